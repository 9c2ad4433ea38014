// Joins the results of the shards of one experiment (`--shard i/n` runs) into one results
// file. Every shard must hold the same spec and the same job count; together they must cover
// every job exactly once, and each must be complete.
import { parseResults, ResultsError, summarize, type ResultsFile } from './results.js';

export interface NamedResults { file: string; results: ResultsFile }

export function mergeResults(parts: NamedResults[]): ResultsFile {
  if (parts.length === 0) throw new ResultsError('(merge)', 'needs at least one results file');
  const first = parts[0];
  const owner = new Map<number, string>();
  for (const { file, results: r } of parts) {
    if (JSON.stringify(r.spec) !== JSON.stringify(first.results.spec)) throw new ResultsError(file, `holds a different spec than ${first.file}; only shards of the same experiment can be merged`);
    if (r.totalJobs !== first.results.totalJobs) throw new ResultsError(file, `has ${r.totalJobs} jobs in total, ${first.file} has ${first.results.totalJobs}`);
    if (r.status !== 'complete') throw new ResultsError(file, `is ${r.status} (${r.done.length} of ${r.jobs.length} jobs done); finish it with --resume first`);
    for (const j of r.done) {
      const other = owner.get(j);
      if (other !== undefined) throw new ResultsError(file, `job ${j} is also in ${other} (overlapping shards)`);
      owner.set(j, file);
    }
  }
  const missing: number[] = [];
  for (let j = 0; j < first.results.totalJobs; j++) if (!owner.has(j)) missing.push(j);
  if (missing.length) throw new ResultsError('(merge)', `job${missing.length === 1 ? '' : 's'} ${missing.join(', ')} of ${first.results.totalJobs} missing from the given files`);
  const runs = parts.flatMap((p) => p.results.runs).sort((a, b) => a.job - b.job);
  const interpolations = parts.flatMap((p) => p.results.interpolations).sort((a, b) => a.job - b.job);
  const all = [...owner.keys()].sort((a, b) => a - b);
  const started = parts.map((p) => p.results.timings.started).sort()[0];
  const finished = parts.map((p) => p.results.timings.finished ?? '').sort().reverse()[0] || null;
  return {
    ...first.results,
    status: 'complete', shard: null, jobs: all, done: all, runs, interpolations, final: summarize(runs),
    timings: {
      started, finished,
      seconds: parts.reduce((a, p) => a + p.results.timings.seconds, 0),
      jobs: parts.flatMap((p) => p.results.timings.jobs).sort((a, b) => a.job - b.job),
    },
  };
}

export function parseAndMerge(files: { file: string; text: string }[]): ResultsFile {
  return mergeResults(files.map(({ file, text }) => ({ file, results: parseResults(text, file) })));
}
