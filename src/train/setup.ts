// The options every engine shares, validated once: errors name the option, in the caller's
// error type (TrainOptionError in-thread, ParallelOptionError on a pool).
import type { Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import { OptimizerOptionError, type Optimizer } from '../optim/optimizer.js';
import { checkOptimizerOptions, optimizerEntry } from '../optim/registry.js';
import type { Checkpoint } from './checkpoint.js';
import type { StepInfo } from './engine.js';
import { checkRemedies, type RemedyOptions, type ResolvedRemedies } from './remedies.js';

export interface TrainData { train: Dataset; test?: Dataset }

export interface SetupOptions extends RemedyOptions {
  batchSize: number;
  /**
   * A registered optimizer (src/optim/registry.ts: 'adam' (default; Keras defaults), 'sgd'
   * (momentum 0.9), 'lars', 'lamb' (layer-wise trust ratios)), or a ready optimizer (in-thread only).
   */
  optimizer?: string | Optimizer;
  /** Options of the named optimizer besides lr (e.g. { momentum: 0.5 } for sgd), checked by its registry entry. */
  optimizerOptions?: Record<string, unknown>;
  /** Learning rate (default: the optimizer's, adam 1e-3, sgd 0.01, lars 1, lamb 1e-3). */
  lr?: number;
  /** Seed of the shuffling RNG (the model's init seed is separate: Model.create). Default 0. */
  seed?: number;
  /** Evaluate the training metrics on its first N samples (default: all). */
  trainEvalSamples?: number;
  /** Samples per evaluation forward pass (default 1000). */
  evalBatchSize?: number;
  /** Drop the last partial batch of each epoch (default false). */
  dropLast?: boolean;
  onStep?: (s: StepInfo) => void;
}

/** A named optimizer with checked options, or an instance. */
export type OptimizerChoice = { name: string; options: Record<string, unknown> & { lr: number }; elementwise: boolean } | { instance: Optimizer; lr?: number };

/** The validated options an engine is built from. */
export interface RunSetup {
  batchSize: number;
  seed: number;
  trainEval: number;
  evalBatchSize: number;
  dropLast: boolean;
  optimizer: OptimizerChoice;
  remedies: ResolvedRemedies | null;
  onStep?: (s: StepInfo) => void;
  /** Set when the run continues a checkpoint (the engine restores its optimizer state). */
  resume: { checkpoint: Checkpoint; where: string } | null;
}

export type OptionErrorOf = (option: string, message: string) => Error;

export function posInt(errorOf: OptionErrorOf, name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw errorOf(name, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** An error of option checks elsewhere (optimizer registry, remedies) in the caller's type. */
function rethrow(e: unknown, errorOf: OptionErrorOf): never {
  const err = e as Error & { option?: string };
  if (typeof err?.option === 'string' && e instanceof RangeError) throw errorOf(err.option, err.message.replace(/^[^:]*: /, ''));
  throw e;
}

/** The optimizer of a run: its name and checked options (`layerwise` merged in for lars/lamb), or an instance. */
function chooseOptimizer(opts: SetupOptions, remedies: ResolvedRemedies | null, errorOf: OptionErrorOf): OptimizerChoice {
  const o = opts.optimizer ?? 'adam';
  if (typeof o === 'object' && o !== null && typeof (o as Optimizer).step === 'function') {
    if (opts.optimizerOptions !== undefined) throw errorOf('optimizerOptions', 'apply to a named optimizer, not to an instance');
    if (remedies?.layerwise) throw errorOf('layerwise', `applies to the 'lars' and 'lamb' optimizers, not ${JSON.stringify(o.type)}`);
    if (opts.lr !== undefined && !(typeof opts.lr === 'number' && opts.lr > 0 && Number.isFinite(opts.lr))) throw errorOf('lr', `must be a positive finite number, got ${opts.lr}`);
    return { instance: o as Optimizer, lr: opts.lr };
  }
  try {
    const entry = optimizerEntry(o);
    const lw = remedies?.layerwise;
    const merged: Record<string, unknown> = {};
    if (lw) {
      if (!('granularity' in entry.options)) throw errorOf('layerwise', `applies to the 'lars' and 'lamb' optimizers, not ${JSON.stringify(entry.name)}`);
      for (const [key, v] of Object.entries(lw)) {
        if (!(key in entry.options)) throw errorOf(`layerwise.${key}`, `is not an option of ${entry.name} (${Object.keys(entry.options).join(', ')})`);
        merged[key] = v;
      }
    }
    Object.assign(merged, opts.optimizerOptions ?? {});
    if (opts.optimizerOptions !== undefined && (opts.optimizerOptions === null || typeof opts.optimizerOptions !== 'object')) throw errorOf('optimizerOptions', `must be an object, got ${JSON.stringify(opts.optimizerOptions)}`);
    return { name: entry.name, options: checkOptimizerOptions(entry.name, merged, opts.lr), elementwise: entry.elementwise };
  } catch (e) {
    if (e instanceof OptimizerOptionError) rethrow(e, errorOf);
    throw e;
  }
}

/**
 * Checks the shared options against the model and data; `epochs` is the run's total (dynamic
 * sampling's default horizon).
 */
export function resolveSetup(model: Model, data: TrainData, opts: SetupOptions, epochs: number, errorOf: OptionErrorOf): Omit<RunSetup, 'resume'> {
  if (!data || typeof data !== 'object' || !data.train) throw errorOf('data.train', 'a training Dataset is required');
  const batchSize = posInt(errorOf, 'batchSize', opts.batchSize);
  model.checkDataset(data.train);
  if (data.test) model.checkDataset(data.test);
  if (batchSize > data.train.n) throw errorOf('batchSize', `${batchSize} is larger than the ${data.train.n} training samples`);
  const seed = opts.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw errorOf('seed', `must be a finite number, got ${seed}`);
  const trainEval = opts.trainEvalSamples === undefined ? data.train.n : Math.min(posInt(errorOf, 'trainEvalSamples', opts.trainEvalSamples), data.train.n);
  const evalBatchSize = posInt(errorOf, 'evalBatchSize', opts.evalBatchSize ?? 1000);
  if (opts.onStep !== undefined && typeof opts.onStep !== 'function') throw errorOf('onStep', 'must be a function');
  let remedies: ResolvedRemedies | null;
  try {
    remedies = checkRemedies(opts, { shape: data.train.shape, batchSize, epochs, seed });
  } catch (e) {
    rethrow(e, errorOf);
  }
  const optimizer = chooseOptimizer(opts, remedies, errorOf);
  return { batchSize, seed, trainEval, evalBatchSize, dropLast: opts.dropLast ?? false, optimizer, remedies, onStep: opts.onStep };
}
