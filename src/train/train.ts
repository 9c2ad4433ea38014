// train(): the one training loop (loop.ts) in this thread (local_engine.ts) — seeded
// shuffling, one optimizer step per mini-batch, evaluation after every epoch, NaN/Inf stop,
// atomic checkpoints and bit-identical resume, remedies, the plateau and target stopping rules.
import type { Model } from '../nn/model.js';
import type { EpochMetrics } from './metrics.js';
import { TrainOptionError } from './errors.js';
import { LocalEngine } from './local_engine.js';
import { runTraining, type LoopOptions } from './loop.js';
import type { TrainData } from './setup.js';

export { plateaued, epochsWithoutImprovement, targetReachedAt, meetsTarget, TARGET_METRICS, type PlateauRule, type TargetRule } from './loop.js';
export { snapshot, restore } from './snapshot.js';
export type { StepInfo } from './engine.js';
export type { TrainData } from './setup.js';

/** Training options (loop.ts and setup.ts describe them; the remedy fields: remedies.ts). */
export type TrainOptions = LoopOptions;

/**
 * Trains `model` in place and returns the metrics of every epoch (including those before a
 * resume). Throws NonFiniteLossError at the first NaN/Inf mini-batch loss, TrainOptionError
 * for a bad option.
 */
export async function train(model: Model, data: TrainData, opts: TrainOptions): Promise<EpochMetrics[]> {
  return runTraining(model, data, opts, async (setup) => LocalEngine.create(model, data, setup), (option, message) => new TrainOptionError(option, message));
}
