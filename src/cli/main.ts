// The `lbgap` command: subcommand dispatch, `--help`, and exit codes
// (0 ok, 1 runtime error, 2 usage error).
import { parseFlags, usage, UsageError, type CommandSpec } from './args.js';
import { processIo, type Io } from './io.js';
import { TRAIN_COMMAND, trainCommand } from './train_command.js';
import { SERVE_COMMAND, serveCommand } from './serve_command.js';
import { REPRODUCE_COMMAND, reproduceCommand } from './reproduce_command.js';
import { SWEEP_COMMAND, sweepCommand, WARMSTART_COMMAND, warmstartCommand } from './sweep_command.js';
import { REPORT_COMMAND, reportCommand, splitPositional } from './report_command.js';
import { MERGE_COMMAND, mergeCommand } from './merge_command.js';
import { LANDSCAPE_COMMANDS } from './landscape_commands.js';
import { REMEDIES_COMMAND, remediesCommand } from './remedies_command.js';
import { BENCH_COMMAND, benchCommand } from './bench_command.js';

const PROGRAM = 'lbgap';

interface Command {
  spec: CommandSpec;
  run(argv: readonly string[], io: Io): Promise<number>;
}

const COMMANDS: Command[] = [
  {
    spec: TRAIN_COMMAND,
    run: (argv, io) => {
      const f = parseFlags(argv, TRAIN_COMMAND, PROGRAM);
      if (f.help) { io.out(usage(PROGRAM, TRAIN_COMMAND)); return Promise.resolve(0); }
      const netGiven = argv.some((a) => a === '--net' || a.startsWith('--net='));
      return trainCommand(f, io, usage(PROGRAM, TRAIN_COMMAND), netGiven);
    },
  },
  {
    spec: SERVE_COMMAND,
    run: (argv, io) => {
      const f = parseFlags(argv, SERVE_COMMAND, PROGRAM);
      if (f.help) { io.out(usage(PROGRAM, SERVE_COMMAND)); return Promise.resolve(0); }
      return serveCommand(f, io);
    },
  },
  ...[
    { spec: REPRODUCE_COMMAND, go: reproduceCommand },
    { spec: SWEEP_COMMAND, go: sweepCommand },
    { spec: WARMSTART_COMMAND, go: warmstartCommand },
    { spec: REMEDIES_COMMAND, go: remediesCommand },
  ].map(({ spec, go }): Command => ({
    spec,
    run: (argv, io) => {
      const f = parseFlags(argv, spec, PROGRAM);
      if (f.help) { io.out(usage(PROGRAM, spec)); return Promise.resolve(0); }
      return go(f, io, usage(PROGRAM, spec));
    },
  })),
  ...[
    { spec: REPORT_COMMAND, go: reportCommand, args: 'results.json' },
    { spec: MERGE_COMMAND, go: mergeCommand, args: 'a.json b.json …' },
  ].map(({ spec, go, args }): Command => ({
    spec,
    run: (argv, io) => {
      const use = usage(PROGRAM, spec).replace(`${spec.name} [options]`, `${spec.name} ${args} [options]`);
      const { flags, positional } = splitPositional(argv, spec);
      const f = parseFlags(flags, spec, PROGRAM);
      if (f.help) { io.out(use); return Promise.resolve(0); }
      return go(f, positional, io, use);
    },
  })),
  ...LANDSCAPE_COMMANDS,
  { spec: BENCH_COMMAND, run: (argv, io) => benchCommand(argv, io) },
];

export function topUsage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 4;
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Large-batch vs small-batch training (Keskar et al. 2017) on WebAssembly SIMD kernels.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(w)}${c.spec.summary}`),
    '',
    `Run '${PROGRAM} <command> --help' for a command's options.`,
  ].join('\n');
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(topUsage());
    return name === undefined ? 2 : 0;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd) {
    io.err(`${PROGRAM}: unknown command ${JSON.stringify(name)}\n\n${topUsage()}`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(`${PROGRAM} ${name}: ${e.message}\n\n${e.usage}`);
      return 2;
    }
    const err = e as Error;
    io.err(`${PROGRAM} ${name}: ${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`);
    return 1;
  }
}
