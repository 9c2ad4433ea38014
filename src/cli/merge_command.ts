// `lbgap merge a.json b.json … --out all.json`: joins the results of the shards of one
// experiment (see --shard), refusing overlaps, gaps and mixed specs.
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseAndMerge } from '../experiments/merge.js';
import { writeReport } from '../experiments/report.js';
import { defineCommand, UsageError, type FlagValues } from './args.js';
import { OUTPUT_FLAGS, type Output } from './output.js';
import { prepareOutputFile, writeOutputFile } from './outputs.js';
import { plural } from './plural.js';
import { prepareReportDir } from './report_command.js';

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

export async function mergeCommand(f: FlagValues<typeof MERGE_COMMAND.flags>, positional: string[], io: Output, use: string): Promise<number> {
  if (positional.length < 1) throw new UsageError('expects the shards\' results files as arguments', use);
  if (!f.out) throw new UsageError('--out FILE is required', use);
  if (positional.includes(f.out)) throw new UsageError(`--out ${f.out} is one of the files to merge; give a new file`, use);
  await prepareOutputFile(f.out, { label: '--out', force: f.force });
  const texts = await Promise.all(positional.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
  const merged = parseAndMerge(texts);
  const report = f.report !== false;
  if (report) await prepareReportDir(dirname(f.out), merged, { label: '--out', force: f.force });
  await writeOutputFile(f.out, JSON.stringify(merged, null, 1) + '\n', '--out');
  io.out(`merged ${plural(positional.length, 'file')} (${plural(merged.done.length, 'job')}) into ${f.out}`);
  if (report) io.out(`wrote ${(await writeReport(merged, dirname(f.out))).join(', ')}`);
  io.json(merged);
  return 0;
}
