// `lbgap merge a.json b.json … --out all.json`: joins the results of the shards of one
// experiment (see --shard), refusing overlaps, gaps and mixed specs.
import { dirname } from 'node:path';
import { parseAndMerge } from '../experiments/merge.js';
import { writeReport } from '../experiments/report.js';
import { defineCommand, UsageError, type FlagValues } from './args.js';
import { readInputText } from './inputs.js';
import { OUTPUT_FLAGS, type Output } from './output.js';
import { prepareOutputDir, prepareOutputFile, writeOutputFile } from './outputs.js';
import { plural } from './plural.js';
import { isPhiStudyText, prepareReportDir } from './report_command.js';
import { mergePhiStudyResults, parsePhiStudyResults } from '../experiments/phi_study_results.js';
import { phiReportFiles, writePhiReport } from '../experiments/phi_study_report.js';

export const MERGE_COMMAND = defineCommand({
  name: 'merge',
  args: 'a.json b.json …',
  summary: 'Join the results.json files of the shards of one experiment (lbgap merge a.json b.json … --out all.json) and render its report.',
  flags: [
    { name: 'out', type: 'string', metavar: 'FILE', help: 'merged results file, required (its folder is created); REPORT.md and figures go beside it' },
    { name: 'report', type: 'boolean', default: true, help: 'also render REPORT.md and the figures beside the merged file (--no-report: only the JSON)' },
    { name: 'force', type: 'boolean', help: 'replace an existing merged file, REPORT.md or figures' },
    ...OUTPUT_FLAGS,
  ],
});

/** `lbgap merge` on the shards of a φ study (every file must be one). */
async function mergePhiStudyCommand(f: FlagValues<typeof MERGE_COMMAND.flags>, texts: { file: string; text: string }[], io: Output): Promise<number> {
  const merged = mergePhiStudyResults(texts.map(({ file, text }) => ({ file, results: parsePhiStudyResults(text, file) })));
  const out = f.out!;
  const report = f.report !== false;
  if (report) await prepareOutputDir(dirname(out), { label: '--out', force: f.force, files: phiReportFiles() });
  await writeOutputFile(out, JSON.stringify(merged, null, 1) + '\n', '--out');
  io.out(`merged ${plural(texts.length, 'file')} (${plural(merged.done.length, 'job')}) into ${out}`);
  if (report) io.out(`wrote ${(await writePhiReport(merged, dirname(out))).join(', ')}`);
  io.json(merged);
  return 0;
}

export async function mergeCommand(f: FlagValues<typeof MERGE_COMMAND.flags>, positional: string[], io: Output, use: string): Promise<number> {
  if (positional.length < 1) throw new UsageError('expects the shards\' results files as arguments', use);
  if (!f.out) throw new UsageError('--out FILE is required', use);
  if (positional.includes(f.out)) throw new UsageError(`--out ${f.out} is one of the files to merge; give a new file`, use);
  await prepareOutputFile(f.out, { label: '--out', force: f.force });
  const texts = await Promise.all(positional.map(async (file) => ({ file, text: await readInputText(file, 'results file') })));
  if (texts.some((t) => isPhiStudyText(t.text))) return mergePhiStudyCommand(f, texts, io);
  const merged = parseAndMerge(texts);
  const report = f.report !== false;
  if (report) await prepareReportDir(dirname(f.out), merged, { label: '--out', force: f.force });
  await writeOutputFile(f.out, JSON.stringify(merged, null, 1) + '\n', '--out');
  io.out(`merged ${plural(positional.length, 'file')} (${plural(merged.done.length, 'job')}) into ${f.out}`);
  if (report) io.out(`wrote ${(await writeReport(merged, dirname(f.out))).join(', ')}`);
  io.json(merged);
  return 0;
}
