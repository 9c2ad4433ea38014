// The jobs of an experiment in a fixed order, and `--shard i/n` selection. A job is one
// (setting, seed) pair (remedies: one run — plain SB, plain LB or one arm — of one seed); job j belongs to shard j mod n, so shards of a sweep stay balanced
// and every shard's result can be merged back by job index.
import type { ExperimentSpec } from './spec.js';

export type Setting =
  | { type: 'pair'; sb: number; lb: number }       // reproduce: SB and LB from the same initial weights
  | { type: 'batch'; batch: number }              // sweep: one batch size
  | { type: 'warmstart'; k: number; sb: number; lb: number } // SB for k epochs, then LB
  // remedies: plain SB (arm null), plain LB (arm null), or LB with remedyRuns[arm]
  | { type: 'remedy'; name: string; batch: number; arm: number | null };

export interface Job { index: number; seed: number; setting: Setting; label: string }

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

/** Every job of the experiment, settings outer, seeds inner. */
export function allJobs(spec: ExperimentSpec, trainSamples: number): Job[] {
  const lb = largeBatch(spec, trainSamples);
  const remedy = (name: string, batch: number, arm: number | null) => ({ setting: { type: 'remedy', name, batch, arm } as Setting, label: name });
  const settings: { setting: Setting; label: string }[] =
    spec.kind === 'reproduce' ? [{ setting: { type: 'pair', sb: spec.sb, lb }, label: `SB ${spec.sb} / LB ${lb}` }]
      : spec.kind === 'sweep' ? spec.batches.map((b) => ({ setting: { type: 'batch', batch: b } as Setting, label: `B=${b}` }))
        : spec.kind === 'remedies' ? [remedy('SB', spec.sb, null), remedy('LB', lb, null), ...spec.remedyRuns.map((r, i) => remedy(r.name, lb, i))]
          : spec.warmstartK.map((k) => ({ setting: { type: 'warmstart', k, sb: spec.sb, lb } as Setting, label: `k=${k}` }));
  const jobs: Job[] = [];
  for (const { setting, label } of settings) for (const seed of spec.seeds) jobs.push({ index: jobs.length, seed, setting, label: `${label}, seed ${seed}` });
  return jobs;
}

export function shardJobs(jobs: Job[], shard: Shard | null): Job[] {
  return shard ? jobs.filter((j) => j.index % shard.count === shard.index) : jobs;
}
