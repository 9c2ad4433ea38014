// `lbgap report results.json`: re-renders REPORT.md and the SVG figures from a results file.
import { basename, dirname, resolve } from 'node:path';
import { figures } from '../experiments/charts.js';
import { writeReport } from '../experiments/report.js';
import { parseResults, type ResultsFile } from '../experiments/results.js';
import { isPhiStudyResults, parsePhiStudyResults } from '../experiments/phi_study_results.js';
import { phiReportFiles, writePhiReport } from '../experiments/phi_study_report.js';
import { defineCommand, lookupFlag, UsageError, type CommandSpec, type FlagValues } from './args.js';
import { readInputText } from './inputs.js';
import { OUTPUT_FLAGS, type Output } from './output.js';
import { prepareOutputDir } from './outputs.js';

export const REPORT_COMMAND = defineCommand({
  name: 'report',
  args: 'results.json',
  summary: 'Re-render REPORT.md and the SVG figures from a results.json (of reproduce, sweep, warmstart or merge).',
  flags: [
    { name: 'out', type: 'string', metavar: 'DIR', help: 'where to write REPORT.md and the figures (default: the results file\'s directory)' },
    { name: 'force', type: 'boolean', help: 'replace an existing REPORT.md or figures (not needed to re-render a results.json in its own folder)' },
    ...OUTPUT_FLAGS,
  ],
});

/** The files `writeReport` writes for these results (REPORT.md and the figures). */
export function reportFiles(results: ResultsFile): string[] {
  return ['REPORT.md', ...figures(results).map((f) => f.file)];
}

/**
 * Checks the report's folder before anything is written: existing report files there are
 * only replaced with --force — except beside the run's own results.json, whose report they are.
 */
export async function prepareReportDir(dir: string, results: ResultsFile, o: { label: string; force?: boolean; ownResults?: string }): Promise<void> {
  const own = o.ownResults !== undefined && basename(o.ownResults) === 'results.json' && resolve(dirname(o.ownResults)) === resolve(dir);
  await prepareOutputDir(dir, { label: o.label, force: o.force || own, files: reportFiles(results) });
}

export async function reportCommand(f: FlagValues<typeof REPORT_COMMAND.flags>, positional: string[], io: Output, use: string): Promise<number> {
  if (positional.length !== 1) throw new UsageError(`expects exactly one results file, got ${positional.length}`, use);
  const file = positional[0];
  const text = await readInputText(file, 'results file');
  const dir = f.out ?? dirname(file);
  if (isPhiStudyText(text)) {
    const own = basename(file) === 'results.json' && resolve(dirname(file)) === resolve(dir);
    await prepareOutputDir(dir, { label: f.out !== undefined ? '--out' : 'report', force: f.force || own, files: phiReportFiles() });
    const written = await writePhiReport(parsePhiStudyResults(text, file), dir);
    io.out(`wrote ${written.join(', ')}`);
    io.json({ command: 'report', results: file, dir, written });
    return 0;
  }
  const results = parseResults(text, file);
  await prepareReportDir(dir, results, { label: f.out !== undefined ? '--out' : 'report', force: f.force, ownResults: file });
  const written = await writeReport(results, dir);
  io.out(`wrote ${written.join(', ')}`);
  io.json({ command: 'report', results: file, dir, written });
  return 0;
}

/** True when a results file's text is a φ study's (kind 'phi-study'), rendered by its own report. */
export function isPhiStudyText(text: string): boolean {
  try {
    return isPhiStudyResults(JSON.parse(text));
  } catch {
    return false;
  }
}

/** Splits argv into flag tokens (with their values) and positional arguments (file names). */
export function splitPositional(argv: readonly string[], cmd: CommandSpec): { flags: string[]; positional: string[] } {
  const flags: string[] = [], positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a.startsWith('-') && a.length > 1) {
      flags.push(a);
      const spec = a.startsWith('--') && !a.includes('=') ? lookupFlag(cmd, a.slice(2))?.f : undefined;
      if (spec && spec.type !== 'boolean' && i + 1 < argv.length) flags.push(argv[++i]);
    } else positional.push(a);
  }
  return { flags, positional };
}
