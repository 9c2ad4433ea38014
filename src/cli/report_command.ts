// `lbgap report results.json`: re-renders REPORT.md and the SVG figures from a results file.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeReport } from '../experiments/report.js';
import { parseResults } from '../experiments/results.js';
import { UsageError, type CommandSpec, type ParsedFlags } from './args.js';
import type { Io } from './io.js';

export const REPORT_COMMAND: CommandSpec = {
  name: 'report',
  summary: 'Re-render REPORT.md and the SVG figures from a results.json (of reproduce, sweep, warmstart or merge).',
  flags: [
    { name: 'out', type: 'string', metavar: 'DIR', help: 'where to write REPORT.md and the figures (default: the results file\'s directory)' },
  ],
};

export async function reportCommand(f: ParsedFlags, positional: string[], io: Io, use: string): Promise<number> {
  if (positional.length !== 1) throw new UsageError(`expects exactly one results file, got ${positional.length}`, use);
  const file = positional[0];
  const results = parseResults(await readFile(file, 'utf8'), file);
  const written = await writeReport(results, (f.out as string | undefined) ?? dirname(file));
  io.out(`wrote ${written.join(', ')}`);
  return 0;
}

/** Splits argv into flag tokens (with their values) and positional arguments (file names). */
export function splitPositional(argv: readonly string[], cmd: CommandSpec): { flags: string[]; positional: string[] } {
  const flags: string[] = [], positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-') && a.length > 1) {
      flags.push(a);
      const spec = cmd.flags.find((fl) => `--${fl.name}` === a);
      if (spec && spec.type !== 'boolean' && i + 1 < argv.length) flags.push(argv[++i]);
    } else positional.push(a);
  }
  return { flags, positional };
}
