// The `lbgap` command: subcommand dispatch, `--help`, `--version`, and exit codes
// (0 ok, 1 runtime error, 2 usage error, 130 stopped by Ctrl-C). Every failure is one line
// (see errors.ts); a usage error adds the usage line and where to find the options.
import { readFileSync } from 'node:fs';
import { UsageError } from './args.js';
import { fileCommand, flagCommand, PROGRAM, type Command } from './command.js';
import { userMessage } from './errors.js';
import { processIo, type Io } from './io.js';
import { TRAIN_COMMAND, trainCommand } from './train_command.js';
import { SERVE_COMMAND, serveCommand } from './serve_command.js';
import { REPRODUCE_COMMAND, reproduceCommand } from './reproduce_command.js';
import { SWEEP_COMMAND, sweepCommand, WARMSTART_COMMAND, warmstartCommand } from './sweep_command.js';
import { REPORT_COMMAND, reportCommand } from './report_command.js';
import { MERGE_COMMAND, mergeCommand } from './merge_command.js';
import { LANDSCAPE_COMMANDS } from './landscape_commands.js';
import { REMEDIES_COMMAND, remediesCommand } from './remedies_command.js';
import { FRONTIER_COMMAND, frontierCommand } from './frontier_command.js';
import { PHI_STUDY_COMMAND, phiStudyCommand } from './phi_study_command.js';
import { BENCH_COMMAND, benchCommand } from './bench_command.js';
import { didYouMean } from './suggest.js';

const COMMANDS: Command[] = [
  flagCommand(TRAIN_COMMAND, (f, io, use) => trainCommand(f, io, use)),
  flagCommand(SERVE_COMMAND, (f, io) => serveCommand(f, io)),
  flagCommand(REPRODUCE_COMMAND, reproduceCommand),
  flagCommand(SWEEP_COMMAND, sweepCommand),
  flagCommand(WARMSTART_COMMAND, warmstartCommand),
  flagCommand(REMEDIES_COMMAND, remediesCommand),
  flagCommand(FRONTIER_COMMAND, frontierCommand),
  flagCommand(PHI_STUDY_COMMAND, phiStudyCommand),
  fileCommand(REPORT_COMMAND, reportCommand),
  fileCommand(MERGE_COMMAND, mergeCommand),
  ...LANDSCAPE_COMMANDS,
  { spec: BENCH_COMMAND, run: (argv, io) => benchCommand(argv, io) },
];

/** The package's version (package.json beside dist/ or src/). */
export function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** A summary's first sentence or clause: the command list stays one short line per command. */
function headline(summary: string): string {
  return summary.split(/;\s|(?<!\b(?:al|Fig|e\.g|i\.e))\.\s+(?=[A-Z])/)[0].replace(/\.$/, '');
}

export function topUsage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 4;
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'Large-batch vs small-batch training (Keskar et al. 2017) on WebAssembly SIMD kernels.',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(w)}${headline(c.spec.summary)}`),
    '',
    `Run '${PROGRAM} <command> --help' for a command's options, '${PROGRAM} --version' for the version.`,
  ].join('\n');
}

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) { io.err(topUsage()); return 2; } // a usage error: the usage goes to stderr
  if (name === '--help' || name === '-h' || name === 'help') { io.out(topUsage()); return 0; }
  if (name === '--version' || name === '-V' || name === 'version') {
    io.out(`${PROGRAM} ${version()}`);
    return 0;
  }
  const cmd = COMMANDS.find((c) => c.spec.name === name);
  if (!cmd) {
    const names = COMMANDS.map((c) => c.spec.name);
    const what = name.startsWith('-') ? `unknown option ${name}` : `unknown command ${JSON.stringify(name)}`;
    io.err(`${PROGRAM}: ${what}${didYouMean(name.replace(/^-+/, ''), name.startsWith('-') ? ['help', 'version'] : names, (n) => (name.startsWith('-') ? `--${n}` : n))}\n` +
      `Commands: ${names.join(', ')}. Run '${PROGRAM} --help' for what each does.`);
    return 2;
  }
  try {
    return await cmd.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      const line = e.usage.split('\n').find((l) => l.startsWith('Usage:'));
      io.err(`${PROGRAM} ${name}: ${e.message}\n${line ? `\n${line}\n` : ''}Run '${PROGRAM} ${name} --help' for its options.`);
      return 2;
    }
    const { message, internal } = userMessage(e);
    io.err(`${PROGRAM} ${name}: ${message}`);
    if (internal) {
      if (process.env.LBGAP_DEBUG) io.err(String((e as Error)?.stack ?? e));
      else io.err('(this is a bug in lbgap; run again with LBGAP_DEBUG=1 for the stack trace, and please report it)');
    }
    return 1;
  }
}
