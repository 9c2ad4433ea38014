// The jobs of an experiment in a fixed order, and `--shard i/n` selection. A job is one run of
// one seed (reproduce: SB, LB, then the parametric plot between their minimizers, which waits
// for both; sweep: one batch size; warm start: one k; remedies: plain SB, plain LB or one arm;
// frontier: one batch size, after a first 'step costs' job that the runner runs alone).
// Jobs of one group (a reproduce seed; otherwise the job alone) always share a shard, so a
// parametric plot finds its SB and LB checkpoints; group g belongs to shard g mod n, so shards
// stay balanced and every shard's result can be merged back by job index.
import { frontierBatches } from './frontier_spec.js';
import type { ExperimentSpec } from './spec.js';

export type Setting =
  | { type: 'run'; role: 'SB' | 'LB'; batch: number } // reproduce: one side; both sides of a seed start from the same initial weights
  | { type: 'parametric'; sb: number; lb: number }    // reproduce: the SB→LB line between the minimizers of jobs sb and lb
  | { type: 'batch'; batch: number }              // sweep: one batch size
  | { type: 'warmstart'; k: number; sb: number; lb: number } // SB for k epochs, then LB
  // remedies: plain SB (arm null), plain LB (arm null), or LB with remedyRuns[arm]
  | { type: 'remedy'; name: string; batch: number; arm: number | null }
  | { type: 'frontier'; batch: number }           // frontier: one batch size, trained to the target
  // frontier: a training step at every batch size timed alone, in the job's thread and over the workers (run exclusive)
  | { type: 'stepcosts'; batches: number[] };

export interface Job {
  index: number; seed: number; setting: Setting; label: string;
  /** Jobs that must finish first (their checkpoints are this job's input). */
  after: number[];
  /** Jobs of a group share a shard. */
  group: number;
  /** Run alone (scheduler.ts runSlots): no other job beside it (the frontier's step costs). */
  exclusive?: boolean;
}

export interface Shard { index: number; count: number }

export class ShardError extends Error {
  override name = 'ShardError';
  readonly argument = 'shard';
}

/** Parses `i/n` (0 ≤ i < n). */
export function parseShard(text: string): Shard {
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) throw new ShardError(`--shard: must look like i/n (e.g. 0/4), got ${JSON.stringify(text)}`);
  const index = Number(m[1]), count = Number(m[2]);
  if (count < 1) throw new ShardError(`--shard: the shard count n must be ≥ 1, got ${count}`);
  if (index >= count) throw new ShardError(`--shard: the index i must be in [0, ${count - 1}], got ${index}`);
  return { index, count };
}

/** The large batch: spec.lb, or 10% of the training samples (the paper's LB). */
export function largeBatch(spec: ExperimentSpec, trainSamples: number): number {
  return spec.lb ?? Math.max(1, Math.round(trainSamples / 10));
}

/** Every job of the experiment, settings outer, seeds inner (reproduce: SB, LB, parametric per seed). */
export function allJobs(spec: ExperimentSpec, trainSamples: number): Job[] {
  const jobs: Job[] = [];
  const add = (seed: number, setting: Setting, label: string, group: number, after: number[] = []) => {
    const job: Job = { index: jobs.length, seed, setting, label: `${label}, seed ${seed}`, after, group };
    jobs.push(job);
    return job;
  };
  const lb = largeBatch(spec, trainSamples);
  if (spec.kind === 'reproduce') {
    spec.seeds.forEach((seed, g) => {
      const a = add(seed, { type: 'run', role: 'SB', batch: spec.sb }, `SB ${spec.sb}`, g);
      const b = add(seed, { type: 'run', role: 'LB', batch: lb }, `LB ${lb}`, g);
      if (spec.interpolation.points > 0) add(seed, { type: 'parametric', sb: a.index, lb: b.index }, 'parametric plot SB→LB', g, [a.index, b.index]);
    });
    return jobs;
  }
  const remedy = (name: string, batch: number, arm: number | null) => ({ setting: { type: 'remedy', name, batch, arm } as Setting, label: name });
  const settings: { setting: Setting; label: string }[] =
    spec.kind === 'sweep' ? spec.batches.map((b) => ({ setting: { type: 'batch', batch: b } as Setting, label: `B=${b}` }))
      : spec.kind === 'frontier' ? frontierBatches(spec.frontier!, trainSamples).map((b) => ({ setting: { type: 'frontier', batch: b } as Setting, label: `B=${b}` }))
      : spec.kind === 'remedies' ? [remedy('SB', spec.sb, null), remedy('LB', lb, null), ...spec.remedyRuns.map((r, i) => remedy(r.name, lb, i))]
        : spec.warmstartK.map((k) => ({ setting: { type: 'warmstart', k, sb: spec.sb, lb } as Setting, label: `k=${k}` }));
  // frontier: first, one job that times a step at every batch size with the cores to itself
  // (in its thread and over the --jobs budget's workers); it runs alone, at the start.
  if (spec.kind === 'frontier') jobs.push({ index: 0, seed: spec.seeds[0], setting: { type: 'stepcosts', batches: frontierBatches(spec.frontier!, trainSamples) }, label: 'step costs', after: [], group: 0, exclusive: true });
  for (const { setting, label } of settings) for (const seed of spec.seeds) add(seed, setting, label, jobs.length);
  return jobs;
}

/** The number of groups (the most shards an experiment can use). */
export function groupCount(jobs: Job[]): number {
  return new Set(jobs.map((j) => j.group)).size;
}

export function shardJobs(jobs: Job[], shard: Shard | null): Job[] {
  return shard ? jobs.filter((j) => j.group % shard.count === shard.index) : jobs;
}
