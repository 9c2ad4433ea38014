// Joins the results of the shards of one experiment (`--shard i/n` runs) into one results
// file. Every shard must hold the same spec and the same job count; together they must cover
// every job exactly once, and each must be complete.
import { parseResults, ResultsError, summarize, type ResultsFile } from './results.js';

export interface NamedResults { file: string; results: ResultsFile }

/** What every results file's shards share for merging: spec, job counts, status, done jobs and timings. */
interface ShardPart {
  file: string;
  results: {
    spec: unknown; totalJobs: number; status: string; done: number[]; jobs: number[];
    timings: { started: string; finished: string | null; seconds: number; jobs: { job: number; seconds: number }[] };
  };
}

/**
 * Checks that the shards hold one spec, are complete and cover every job exactly once;
 * returns the job indices in order. `what` names the kind of run in the messages.
 */
export function checkShardCover(parts: ShardPart[], what: string): number[] {
  if (parts.length === 0) throw new ResultsError('(merge)', 'needs at least one results file');
  const first = parts[0];
  const owner = new Map<number, string>();
  for (const { file, results: r } of parts) {
    if (JSON.stringify(r.spec) !== JSON.stringify(first.results.spec)) throw new ResultsError(file, `holds a different spec than ${first.file}; only shards of the same ${what} can be merged`);
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
  return [...owner.keys()].sort((a, b) => a - b);
}

/** The merged timings: the earliest start, the latest finish, job seconds summed, per-job times in job order. */
export function mergeTimings(parts: ShardPart[]): ShardPart['results']['timings'] {
  return {
    started: parts.map((p) => p.results.timings.started).sort()[0],
    finished: parts.map((p) => p.results.timings.finished ?? '').sort().reverse()[0] || null,
    seconds: parts.reduce((a, p) => a + p.results.timings.seconds, 0),
    jobs: parts.flatMap((p) => p.results.timings.jobs).sort((a, b) => a.job - b.job),
  };
}

export function mergeResults(parts: NamedResults[]): ResultsFile {
  const all = checkShardCover(parts, 'experiment');
  const runs = parts.flatMap((p) => p.results.runs).sort((a, b) => a.job - b.job);
  const interpolations = parts.flatMap((p) => p.results.interpolations).sort((a, b) => a.job - b.job);
  // A frontier's step costs come from the one shard that ran its 'step costs' job (job 0).
  const { frontierStepCosts: _first, ...head } = parts[0].results;
  const stepCosts = parts.find((p) => p.results.frontierStepCosts)?.results.frontierStepCosts;
  return {
    ...head,
    status: 'complete', shard: null, jobs: all, done: all, runs, interpolations, final: summarize(runs),
    timings: mergeTimings(parts),
    ...(stepCosts ? { frontierStepCosts: stepCosts } : {}),
  };
}

export function parseAndMerge(files: { file: string; text: string }[]): ResultsFile {
  return mergeResults(files.map(({ file, text }) => ({ file, results: parseResults(text, file) })));
}
