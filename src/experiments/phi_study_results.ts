// The results file of a φ study (results.json, kind 'phi-study'): the spec, one record per
// finished job (grid point × checkpoint), failures, timings. `lbgap report` renders it and
// `lbgap merge` joins its shards, like every experiment's results.
import type { JobFailure } from './results.js';
import { ResultsError, type Environment } from './results.js';
import type { Shard } from './jobs.js';
import { checkShardCover, mergeTimings } from './merge.js';
import type { PhiRecord } from './phi_study_job.js';
import { PHI_STUDY_KIND, resolvePhiStudySpec, type PhiStudySpec } from './phi_study_spec.js';

export interface PhiStudyResults {
  version: 1;
  kind: typeof PHI_STUDY_KIND;
  status: 'running' | 'interrupted' | 'complete' | 'failed';
  spec: PhiStudySpec;
  environment: Environment;
  data: { train: string; trainSamples: number };
  totalJobs: number;
  shard: Shard | null;
  jobs: number[];
  done: number[];
  records: PhiRecord[];
  failures?: JobFailure[];
  timings: {
    started: string; finished: string | null;
    /** Sum of the jobs' seconds (CPU-side work), and the wall-clock seconds of every session that ran them. */
    seconds: number; wallSeconds: number;
    jobs: { job: number; seconds: number }[];
  };
}

/** True when parsed JSON is a φ-study results file (before it is checked). */
export function isPhiStudyResults(json: unknown): boolean {
  return typeof json === 'object' && json !== null && (json as { kind?: unknown }).kind === PHI_STUDY_KIND;
}

export function parsePhiStudyResults(text: string, file: string): PhiStudyResults {
  let r: PhiStudyResults;
  try {
    r = JSON.parse(text) as PhiStudyResults;
  } catch (e) {
    throw new ResultsError(file, `is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new ResultsError(file, 'must hold a JSON object');
  if (r.version !== 1) throw new ResultsError(file, `version: must be 1, got ${JSON.stringify(r.version)}`);
  if (r.kind !== PHI_STUDY_KIND) throw new ResultsError(file, `kind: must be ${JSON.stringify(PHI_STUDY_KIND)}, got ${JSON.stringify(r.kind)}`);
  try {
    r.spec = resolvePhiStudySpec(r.spec);
  } catch (e) {
    throw new ResultsError(file, `spec.${(e as Error).message}`);
  }
  for (const key of ['records', 'jobs', 'done'] as const) if (!Array.isArray(r[key])) throw new ResultsError(file, `${key}: must be a list`);
  if (!Number.isInteger(r.totalJobs) || r.totalJobs < 1) throw new ResultsError(file, `totalJobs: must be an integer ≥ 1, got ${JSON.stringify(r.totalJobs)}`);
  r.records.forEach((rec, i) => {
    if (!rec || typeof rec !== 'object' || !Number.isInteger(rec.job) || !Number.isInteger(rec.point) || typeof rec.checkpoint !== 'string' || !Array.isArray(rec.sharpness))
      throw new ResultsError(file, `records[${i}]: must be a φ record { job, point, checkpoint, sharpness, … }`);
    if (rec.point >= r.spec.variations.length) throw new ResultsError(file, `records[${i}].point: ${rec.point} is not a grid point of the spec (${r.spec.variations.length})`);
  });
  return r;
}

/** Joins the shards of one φ study (same spec, every job exactly once, each complete). */
export function mergePhiStudyResults(parts: { file: string; results: PhiStudyResults }[]): PhiStudyResults {
  const all = checkShardCover(parts, 'study');
  return {
    ...parts[0].results, status: 'complete', shard: null, jobs: all, done: all,
    records: parts.flatMap((p) => p.results.records).sort((a, b) => a.job - b.job),
    timings: { ...mergeTimings(parts), wallSeconds: Math.max(...parts.map((p) => p.results.timings.wallSeconds)) },
  };
}
