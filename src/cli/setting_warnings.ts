// Settings of an experiment that are probably not what the user meant: a small batch not
// smaller than the large one, or more parallel jobs than cores (warnings: the command runs
// anyway), and a batch larger than the training set (refused before any work: the trainer
// would fail every such job). Each is one sentence naming the flag and the numbers.
import { largeBatch } from '../experiments/jobs.js';
import { trainSize, type ExperimentSpec } from '../experiments/spec.js';

/** A batch size larger than the training set it would draw from. */
export class BatchSizeError extends Error {
  override name = 'BatchSizeError';
}

/** The warnings for running `spec` with `jobs` jobs at a time on `cores` cores. */
export function settingWarnings(spec: ExperimentSpec, jobs: number, cores: number): string[] {
  const out: string[] = [];
  const n = trainSize(spec);
  if (hasSbLb(spec) && n !== null) {
    const lb = largeBatch(spec, n);
    const lbText = spec.lb !== null ? `--lb ${spec.lb}` : `the large batch ${lb} (10% of the ${n} training samples)`;
    if (spec.sb >= lb) out.push(`--sb ${spec.sb} is not smaller than ${lbText}: there is no large batch to compare (pass a smaller --sb or a larger --lb)`);
  }
  if (jobs > cores) out.push(`--jobs ${jobs} is more than the ${cores} cores; jobs will share cores (slower each, same results)`);
  return out;
}

/** Refuses a batch size larger than the training set (the flag or spec field, and both numbers). */
export function checkBatchesFit(spec: ExperimentSpec): void {
  const n = trainSize(spec);
  if (n === null) return;
  const batches: [flag: string, batch: number][] = spec.kind === 'sweep'
    ? spec.batches.map((b) => ['--batch', b])
    : hasSbLb(spec) ? [['--sb', spec.sb], ...(spec.lb !== null ? [['--lb', spec.lb] as [string, number]] : [])] : [];
  const limit = spec.data.trainLimit !== null ? ` (--limit ${spec.data.trainLimit})` : '';
  for (const [flag, b] of batches) {
    if (b > n) throw new BatchSizeError(`${flag} ${b} is larger than the ${n} training samples${limit}; give a batch of at most ${n}`);
  }
}

function hasSbLb(spec: ExperimentSpec): boolean {
  return spec.kind === 'reproduce' || spec.kind === 'warmstart' || spec.kind === 'remedies';
}
