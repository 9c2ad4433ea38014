// A command of the `lbgap` table: its flag table and how it runs. `flagCommand` and
// `fileCommand` parse the flags with the table (typed values for a `defineCommand` table),
// print the help on --help, warn about deprecated spellings, and hand the values to the
// command with its Output (the --quiet/--json rule, output.ts).
import { parseFlags, usage, type CommandSpec, type FlagSpec, type FlagValues, type ParsedFlags, type TypedCommand } from './args.js';
import type { Io } from './io.js';
import { Output } from './output.js';
import { splitPositional } from './report_command.js';

export const PROGRAM = 'lbgap';

export interface Command {
  spec: CommandSpec;
  run(argv: readonly string[], io: Io): Promise<number>;
}

type Run<F> = (f: F, io: Output, use: string) => Promise<number>;
type RunWithFiles<F> = (f: F, positional: string[], io: Output, use: string) => Promise<number>;

/** Deprecation warnings of the parse, on stderr whatever --quiet says. */
const warner = (io: Io, name: string) => (message: string) => io.err(`${PROGRAM} ${name}: warning: ${message}`);

/** A command taking only flags. */
export function flagCommand<T extends readonly FlagSpec[]>(spec: TypedCommand<T>, go: Run<FlagValues<T>>): Command;
export function flagCommand(spec: CommandSpec, go: Run<ParsedFlags>): Command;
export function flagCommand(spec: CommandSpec, go: Run<ParsedFlags>): Command {
  return {
    spec,
    run: (argv, io) => {
      const use = usage(PROGRAM, spec);
      const f = parseFlags(argv, spec, PROGRAM, warner(io, spec.name));
      if (f.help) { io.out(use); return Promise.resolve(0); }
      return go(f, Output.of(io, spec.name, f), use);
    },
  };
}

/** A command taking file arguments besides its flags (report, merge). */
export function fileCommand<T extends readonly FlagSpec[]>(spec: TypedCommand<T>, go: RunWithFiles<FlagValues<T>>): Command;
export function fileCommand(spec: CommandSpec, go: RunWithFiles<ParsedFlags>): Command;
export function fileCommand(spec: CommandSpec, go: RunWithFiles<ParsedFlags>): Command {
  return {
    spec,
    run: (argv, io) => {
      const use = usage(PROGRAM, spec);
      const { flags, positional } = splitPositional(argv, spec);
      const f = parseFlags(flags, spec, PROGRAM, warner(io, spec.name));
      if (f.help) { io.out(use); return Promise.resolve(0); }
      return go(f, positional, Output.of(io, spec.name, f), use);
    },
  };
}
