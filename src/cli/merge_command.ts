// `lbgap merge a.json b.json … --out all.json`: joins the results of the shards of one
// experiment (see --shard), refusing overlaps, gaps and mixed specs.
import { readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { parseAndMerge } from '../experiments/merge.js';
import { writeReport } from '../experiments/report.js';
import { UsageError, type CommandSpec, type ParsedFlags } from './args.js';
import type { Io } from './io.js';

export const MERGE_COMMAND: CommandSpec = {
  name: 'merge',
  summary: 'Join the results.json files of the shards of one experiment (lbgap merge a.json b.json … --out all.json) and render its report.',
  flags: [
    { name: 'out', type: 'string', metavar: 'FILE', help: 'merged results file (required); REPORT.md and figures go beside it' },
    { name: 'no-report', type: 'boolean', help: 'write only the merged JSON' },
  ],
};

export async function mergeCommand(f: ParsedFlags, positional: string[], io: Io, use: string): Promise<number> {
  if (positional.length < 1) throw new UsageError('expects the shards\' results files as arguments', use);
  if (!f.out) throw new UsageError('--out FILE is required', use);
  const texts = await Promise.all(positional.map(async (file) => ({ file, text: await readFile(file, 'utf8') })));
  const merged = parseAndMerge(texts);
  await writeFile(f.out as string, JSON.stringify(merged, null, 1) + '\n');
  io.out(`merged ${positional.length} file${positional.length === 1 ? '' : 's'} (${merged.done.length} jobs) into ${f.out}`);
  if (!f['no-report']) io.out(`wrote ${(await writeReport(merged, dirname(f.out as string))).join(', ')}`);
  return 0;
}
