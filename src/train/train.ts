// The single-worker trainer: seeded shuffling, one optimizer step per mini-batch, evaluation
// on train and test after every epoch, NaN/Inf stop, atomic checkpoints and bit-identical resume.
import { Batcher } from '../data/batcher.js';
import type { Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import { createOptimizer, type OptimizerName } from '../optim/index.js';
import { Lamb } from '../optim/lamb.js';
import { Lars } from '../optim/lars.js';
import { layerSlices } from '../optim/segments.js';
import type { Optimizer } from '../optim/optimizer.js';
import { Rng } from '../util/rng.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from './checkpoint.js';
import { CheckpointError, NonFiniteLossError, TrainOptionError } from './errors.js';
import type { EpochMetrics } from './metrics.js';
import { checkRemedies, epochBatchSize, RemedyStepper, type RemedyOptions } from './remedies.js';

export interface StepInfo { epoch: number; step: number; globalStep: number; loss: number }

/** Training options; the remedy fields (augment, sam, …) are described in remedies.ts. */
export interface TrainOptions extends RemedyOptions {
  /** Total epochs (a resumed run continues up to this count). */
  epochs: number;
  batchSize: number;
  /**
   * 'adam' (default; Keras defaults), 'sgd' (momentum 0.9), 'lars' or 'lamb' (layer-wise
   * trust ratios over the model's layers; options in `layerwise`), or a ready optimizer.
   */
  optimizer?: OptimizerName | 'lars' | 'lamb' | Optimizer;
  /** Learning rate for a named optimizer (default: adam 1e-3, sgd 0.01, lars 1, lamb 1e-3). */
  lr?: number;
  /** Seed of the shuffling RNG (the model's init seed is separate: Model.create). Default 0. */
  seed?: number;
  /** Evaluate the training metrics on its first N samples (default: all). */
  trainEvalSamples?: number;
  /** Samples per evaluation forward pass (default 1000). */
  evalBatchSize?: number;
  /** Drop the last partial batch of each epoch (default false). */
  dropLast?: boolean;
  /**
   * Extra fields for the checkpoint's `run` record (e.g. the CLI's data set, sample limit and
   * kernel build), so a resume can restore the settings train() itself does not know.
   */
  runInfo?: Record<string, unknown>;
  onEpoch?: (m: EpochMetrics) => void;
  onStep?: (s: StepInfo) => void;
  /** Save a checkpoint every `every` epochs (and after the last one). */
  checkpoint?: { path: string; every?: number };
  /** Resume from a checkpoint file or a decoded checkpoint. */
  resume?: string | Checkpoint;
  /**
   * The paper's stopping rule ("until the loss function ceased to improve"): stop once the
   * evaluated training loss has not fallen below the best so far by more than `minDelta`
   * (absolute, as Keras's EarlyStopping) for `patience` epochs; `epochs` stays the cap.
   * Decided from the metrics history alone, so a resumed run stops where a straight one does.
   */
  plateau?: PlateauRule;
}

export interface PlateauRule { patience: number; minDelta: number }

/** Epochs since the last improvement of the training loss by more than minDelta. */
export function epochsWithoutImprovement(history: readonly EpochMetrics[], minDelta: number): number {
  let best = Infinity, since = 0;
  for (const m of history) {
    if (m.trainLoss < best - minDelta) { best = m.trainLoss; since = 0; } else since++;
  }
  return since;
}

/** True when `plateau` says training has stopped improving after `history`. */
export function plateaued(history: readonly EpochMetrics[], plateau: PlateauRule | undefined): boolean {
  return plateau !== undefined && history.length > 0 && epochsWithoutImprovement(history, plateau.minDelta) >= plateau.patience;
}

export interface TrainData { train: Dataset; test?: Dataset }

function posInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new TrainOptionError(name, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/**
 * Trains `model` in place and returns the metrics of every epoch (including those before a
 * resume). Throws NonFiniteLossError at the first NaN/Inf mini-batch loss.
 */
export async function train(model: Model, data: TrainData, opts: TrainOptions): Promise<EpochMetrics[]> {
  if (!data || typeof data !== 'object' || !data.train) throw new TrainOptionError('data.train', 'a training Dataset is required');
  const epochs = posInt('epochs', opts.epochs, 0);
  const batchSize = posInt('batchSize', opts.batchSize);
  model.checkDataset(data.train);
  if (data.test) model.checkDataset(data.test);
  if (batchSize > data.train.n) throw new TrainOptionError('batchSize', `${batchSize} is larger than the ${data.train.n} training samples`);
  const seed = opts.seed ?? 0;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new TrainOptionError('seed', `must be a finite number, got ${seed}`);
  const trainEval = opts.trainEvalSamples === undefined ? data.train.n : Math.min(posInt('trainEvalSamples', opts.trainEvalSamples), data.train.n);
  const evalBatchSize = posInt('evalBatchSize', opts.evalBatchSize ?? 1000);
  const every = opts.checkpoint ? posInt('checkpoint.every', opts.checkpoint.every ?? 1) : 0;
  if (opts.checkpoint && (typeof opts.checkpoint.path !== 'string' || !opts.checkpoint.path)) throw new TrainOptionError('checkpoint.path', 'must be a non-empty string');
  if (opts.plateau !== undefined) {
    posInt('plateau.patience', opts.plateau.patience);
    if (typeof opts.plateau.minDelta !== 'number' || !(opts.plateau.minDelta >= 0) || !Number.isFinite(opts.plateau.minDelta)) throw new TrainOptionError('plateau.minDelta', `must be a finite number ≥ 0, got ${JSON.stringify(opts.plateau.minDelta)}`);
  }
  const remedies = checkRemedies(opts, { shape: data.train.shape, batchSize, epochs, seed });
  if (remedies?.layerwise && opts.optimizer !== 'lars' && opts.optimizer !== 'lamb') throw new TrainOptionError('layerwise', `applies to the 'lars' and 'lamb' optimizers, not ${JSON.stringify(typeof opts.optimizer === 'object' ? opts.optimizer.type : opts.optimizer ?? 'adam')}`);

  let optimizer: Optimizer;
  let ownOptimizer = false;
  const optName = opts.optimizer ?? 'adam';
  if (typeof optName === 'string') {
    if (optName !== 'adam' && optName !== 'sgd' && optName !== 'lars' && optName !== 'lamb') throw new TrainOptionError('optimizer', `must be 'adam', 'sgd', 'lars' or 'lamb', got ${JSON.stringify(optName)}`);
    if (opts.lr !== undefined && !(typeof opts.lr === 'number' && opts.lr > 0 && Number.isFinite(opts.lr))) throw new TrainOptionError('lr', `must be a positive finite number, got ${opts.lr}`);
    if (optName === 'lars' || optName === 'lamb') {
      const lw = remedies?.layerwise ?? { granularity: 'layer' as const };
      const slices = layerSlices(model, lw.granularity);
      optimizer = optName === 'lars'
        ? new Lars(model.k, model.numParams, slices, { lr: opts.lr, trust: lw.trust, weightDecay: lw.weightDecay })
        : new Lamb(model.k, model.numParams, slices, { lr: opts.lr, weightDecay: lw.weightDecay });
    } else {
      optimizer = createOptimizer(model.k, model.numParams, optName === 'adam' ? { type: 'adam', lr: opts.lr } : { type: 'sgd', lr: opts.lr });
    }
    ownOptimizer = true;
  } else {
    optimizer = optName;
    if (opts.lr !== undefined) optimizer.lr = opts.lr;
  }

  const run: Record<string, unknown> = { ...opts.runInfo, batchSize, seed, optimizer: optimizer.type, lr: optimizer.lr, dropLast: opts.dropLast ?? false, trainEvalSamples: trainEval };
  if (remedies) run.remedies = remedies;
  let stepper: RemedyStepper | null = null;
  let rng = new Rng(seed);
  let startEpoch = 0, globalStep = 0;
  const history: EpochMetrics[] = [];
  try {
    if (opts.resume !== undefined) {
      const c = typeof opts.resume === 'string' ? await loadCheckpoint(opts.resume) : opts.resume;
      const where = typeof opts.resume === 'string' ? opts.resume : '<checkpoint>';
      restore(model, optimizer, c, where);
      rng = new Rng(c.rng);
      startEpoch = c.epoch; globalStep = c.step;
      history.push(...c.history);
    }
    const fixedBatcher = new Batcher(data.train, batchSize, rng, { dropLast: opts.dropLast ?? false });
    model.reserve(batchSize);
    if (remedies) stepper = new RemedyStepper(model, optimizer, remedies, data.train);
    for (let epoch = startEpoch + 1; epoch <= epochs && !plateaued(history, opts.plateau); epoch++) {
      // Dynamic sampling: a Batcher per epoch batch size, all drawing from the one shuffling Rng.
      const epochBatch = epochBatchSize(remedies, batchSize, epoch);
      const batcher = epochBatch === batchSize ? fixedBatcher : new Batcher(data.train, epochBatch, rng, { dropLast: opts.dropLast ?? false });
      const nb = batcher.batchesPerEpoch;
      const t0 = performance.now();
      const order = batcher.epochOrder();
      let lossSum = 0, samples = 0;
      for (let b = 0; b < nb; b++) {
        const idx = batcher.batch(order, b);
        const n = idx.length;
        const x = model.inputView(n), y = model.labelsView(n);
        batcher.gather(idx, x, y);
        const loss = stepper ? stepper.gradient(n, globalStep) : model.lossAndGrad(x, y, n);
        globalStep++;
        if (!Number.isFinite(loss)) throw new NonFiniteLossError(epoch, b + 1, globalStep, loss);
        if (stepper) stepper.update(epochBatch, epoch - 1 + b / nb);
        else optimizer.step(model.params.ptr, model.grads.ptr);
        lossSum += loss * n; samples += n;
        opts.onStep?.({ epoch, step: b + 1, globalStep, loss });
      }
      const t1 = performance.now();
      const tr = model.evaluate(data.train, { limit: trainEval, batchSize: evalBatchSize });
      const te = data.test ? model.evaluate(data.test, { batchSize: evalBatchSize }) : null;
      const t2 = performance.now();
      const m: EpochMetrics = {
        epoch, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te ? te.loss : null, testAcc: te ? te.accuracy : null,
        batchLoss: lossSum / samples, seconds: (t1 - t0) / 1000, evalSeconds: (t2 - t1) / 1000,
        steps: globalStep, samplesPerSecond: samples / ((t1 - t0) / 1000),
      };
      history.push(m);
      opts.onEpoch?.(m);
      if (opts.checkpoint && (epoch % every === 0 || epoch === epochs || plateaued(history, opts.plateau))) {
        await saveCheckpoint(opts.checkpoint.path, snapshot(model, optimizer, rng, epoch, globalStep, history, run));
      }
    }
    return history;
  } finally {
    stepper?.dispose();
    if (ownOptimizer) optimizer.dispose();
  }
}

/** Captures a run's complete state after `epoch` epochs. */
export function snapshot(model: Model, optimizer: Optimizer, rng: Rng, epoch: number, step: number, history: EpochMetrics[], run: Record<string, unknown>): Checkpoint {
  return {
    spec: model.toJSON(), epoch, step, rng: rng.state(),
    dropoutBase: model.dropoutBase, trainForwards: model.trainForwards,
    params: model.params.view().slice(), buffers: model.buffers.view().slice(),
    optimizer: optimizer.state(), history: history.slice(), run,
  };
}

/** Loads a checkpoint into a model and optimizer built for the same spec. */
export function restore(model: Model, optimizer: Optimizer, c: Checkpoint, where = '<checkpoint>'): void {
  if (JSON.stringify(c.spec) !== JSON.stringify(model.toJSON())) {
    throw new CheckpointError(where, `was saved for a different network (${c.spec?.name ?? 'unnamed'}: ${JSON.stringify(c.spec).slice(0, 120)}…) than this model (${model.spec.name ?? 'unnamed'})`);
  }
  if (c.params.length !== model.numParams) throw new CheckpointError(where, `holds ${c.params.length} parameters, the model has ${model.numParams}`);
  if (c.buffers.length !== model.numBuffers) throw new CheckpointError(where, `holds ${c.buffers.length} buffer values, the model has ${model.numBuffers}`);
  try {
    optimizer.setState(c.optimizer);
  } catch (e) {
    throw new CheckpointError(where, `optimizer state does not fit: ${(e as Error).message}`, { cause: e });
  }
  model.params.view().set(c.params);
  model.buffers.view().set(c.buffers);
  model.dropoutBase = c.dropoutBase;
  model.trainForwards = c.trainForwards;
}
