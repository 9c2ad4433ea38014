// A command of the `lbgap` table: its flag table and how it runs. `flagCommand` and
// `fileCommand` parse the flags with the table (typed values for a `defineCommand` table),
// print the help on --help, and hand the values to the command.
import { parseFlags, usage, type CommandSpec, type FlagSpec, type FlagValues, type ParsedFlags, type TypedCommand } from './args.js';
import type { Io } from './io.js';
import { splitPositional } from './report_command.js';

export const PROGRAM = 'lbgap';

export interface Command {
  spec: CommandSpec;
  run(argv: readonly string[], io: Io): Promise<number>;
}

type Run<F> = (f: F, io: Io, use: string) => Promise<number>;
type RunWithFiles<F> = (f: F, positional: string[], io: Io, use: string) => Promise<number>;

/** A command taking only flags. */
export function flagCommand<T extends readonly FlagSpec[]>(spec: TypedCommand<T>, go: Run<FlagValues<T>>): Command;
export function flagCommand(spec: CommandSpec, go: Run<ParsedFlags>): Command;
export function flagCommand(spec: CommandSpec, go: Run<ParsedFlags>): Command {
  return {
    spec,
    run: (argv, io) => {
      const use = usage(PROGRAM, spec);
      const f = parseFlags(argv, spec, PROGRAM);
      if (f.help) { io.out(use); return Promise.resolve(0); }
      return go(f, io, use);
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
      const f = parseFlags(flags, spec, PROGRAM);
      if (f.help) { io.out(use); return Promise.resolve(0); }
      return go(f, positional, io, use);
    },
  };
}
