// Remedies for large-batch training, as trainer options usable in any experiment and on any
// engine: the paper's (data augmentation, conservative training, adversarial training, dynamic
// sampling) and later work's (SAM, ghost batch norm, linear LR scaling with warmup; LARS/LAMB
// are optimizers, see src/optim/registry.ts). Every option is JSON; each is one entry of
// remedy_registry.ts (validation and behaviour); this file holds their types, the validation
// of a whole set, and RemedyStepper, the in-thread driver of one step (step.ts). Randomness
// (augmentation) is drawn from (seed, global step), so a resumed run repeats it exactly
// without extra checkpoint state.
import type { Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import type { Optimizer } from '../optim/optimizer.js';
import type { SliceGranularity } from '../optim/slices.js';
import { REMEDIES, type AttachEnv, type RemedyContext, type RemedyEntry } from './remedy_registry.js';
import { LocalBatch, runUpdate, updateProgram, type ParamSide, type StepHooks } from './step.js';

export { augmentSeedAt, REMEDIES, REMEDY_NAMES, type RemedyEntry, type RemedyContext } from './remedy_registry.js';

export interface AugmentRemedy {
  /** Max shift in pixels (zero pad + random crop), both axes. */
  shift?: number;
  /** Random horizontal flips (for natural images such as CIFAR; not for digits). */
  flip?: boolean;
  /** Seed of the augmentation draws (default: the training seed). */
  seed?: number;
}

export interface RemedyOptions {
  /** Data augmentation applied to every training batch (image data [H, W, C] only). */
  augment?: AugmentRemedy;
  /**
   * Conservative training (Keskar et al.): each batch approximately solves
   * min_x f_B(x) + λ/2‖x − x_k‖² with `steps` (default 3) optimizer steps from x_k.
   */
  conservative?: { lambda: number; steps?: number };
  /**
   * Adversarial training with FGSM: x_adv = x + ε·sign(∇_x loss). The first
   * round(fraction·B) samples of every batch are replaced (default fraction 1: all).
   */
  adversarial?: { epsilon: number; fraction?: number };
  /**
   * Dynamic sampling: the batch grows geometrically from `from` (epoch 1) to batchSize (epoch
   * `over`, default: the last epoch of this call — give it explicitly when a run is resumed
   * with a different epoch total, or the schedule changes).
   */
  dynamicBatch?: { from: number; over?: number };
  /** SAM (Foret et al. 2021) with radius ρ around the base optimizer. */
  sam?: { rho: number };
  /** Ghost batch norm (Hoffer et al. 2017): BN statistics over virtual batches of `size` samples. */
  ghostBatch?: { size: number };
  /** Linear LR scaling lr = base·B/reference (default 256) with linear warmup from base over `warmupEpochs` (default 0). */
  lrScaling?: { reference?: number; warmupEpochs?: number };
  /** Options of the 'lars' / 'lamb' optimizers. */
  layerwise?: { granularity?: SliceGranularity; trust?: number; weightDecay?: number };
}

/** The option fields of RemedyOptions (the registry's names). */
export const REMEDY_FIELDS = ['augment', 'conservative', 'adversarial', 'dynamicBatch', 'sam', 'ghostBatch', 'lrScaling', 'layerwise'] as const;

/** Remedy options with defaults filled in (only those given are present). */
export interface ResolvedRemedies {
  augment?: { shift: number; flip: boolean; seed: number };
  conservative?: { lambda: number; steps: number };
  adversarial?: { epsilon: number; fraction: number };
  dynamicBatch?: { from: number; over: number };
  sam?: { rho: number };
  ghostBatch?: { size: number };
  lrScaling?: { reference: number; warmupEpochs: number };
  layerwise?: { granularity: SliceGranularity; trust?: number; weightDecay?: number };
}

/** The registry entries of the remedies in `r`, in registry order, each with its resolved option. */
function given(r: ResolvedRemedies | null): [RemedyEntry<unknown>, unknown][] {
  if (!r) return [];
  const rec = r as Record<string, unknown>;
  return (REMEDIES as readonly RemedyEntry<unknown>[]).filter((e) => rec[e.name] !== undefined).map((e) => [e, rec[e.name]]);
}

/**
 * Validates the remedy fields of training options against the data and batch size; returns
 * them resolved, or null when none is given.
 */
export function checkRemedies(opts: RemedyOptions, ctx: RemedyContext): ResolvedRemedies | null {
  const out: Record<string, unknown> = {};
  const rec = opts as Record<string, unknown>;
  for (const e of REMEDIES as readonly RemedyEntry<unknown>[]) {
    if (rec[e.name] !== undefined) out[e.name] = e.check(rec[e.name], ctx);
  }
  return Object.keys(out).length ? out as ResolvedRemedies : null;
}

/** The batch size of an epoch under the remedies (dynamic sampling) or the fixed one. */
export function epochBatchSize(r: ResolvedRemedies | null, batchSize: number, epoch: number): number {
  let b = batchSize;
  for (const [e, v] of given(r)) if (e.epochBatchSize) b = e.epochBatchSize(v, b, epoch);
  return b;
}

/** The learning rate of a step under the remedies (LR scaling) from the base rate. */
export function stepLearningRate(r: ResolvedRemedies | null, base: number, batchSize: number, progress: number): number {
  let lr = base;
  for (const [e, v] of given(r)) if (e.learningRate) lr = e.learningRate(v, lr, batchSize, progress);
  return lr;
}

/** Whether some remedy reads the whole batch gradient (a pool then completes it before the update). */
export function readsWholeGradient(r: ResolvedRemedies | null): boolean {
  return given(r).some(([e]) => e.readsWholeGradient);
}

/** The step hooks of one participant for the remedies in `r`. */
export function attachRemedies(r: ResolvedRemedies | null, env: AttachEnv): StepHooks[] {
  const out: StepHooks[] = [];
  try {
    for (const [e, v] of given(r)) if (e.attach) out.push(e.attach(v, env));
  } catch (err) {
    disposeHooks(out);
    throw err;
  }
  return out;
}

export function disposeHooks(hooks: readonly StepHooks[]): void {
  for (const h of hooks) h.dispose?.();
}

/**
 * One in-thread training step with the remedies. Call `gradient` on a batch already in the
 * model's input/label buffers (it transforms the inputs in place, then leaves the batch
 * gradient in model.grads and returns the batch loss), then `update`.
 */
export class RemedyStepper {
  private readonly batch: LocalBatch;
  private readonly hooks: StepHooks[];
  private readonly side: ParamSide;
  private readonly baseLr: number;
  /** The learning rate of the last update (for tests and logs). */
  lastLr = NaN;

  constructor(private readonly model: Model, private readonly optimizer: Optimizer, readonly remedies: ResolvedRemedies | null, data: Pick<Dataset, 'shape'>) {
    const n = model.numParams;
    this.batch = new LocalBatch(model, data);
    this.side = { k: model.k, params: model.params.ptr, numParams: n, lo: 0, hi: n };
    this.hooks = attachRemedies(remedies, { k: model.k, side: this.side, shape: data.shape, gradientSide: true });
    this.baseLr = optimizer.lr;
  }

  /** Transforms the batch of n samples in the input buffer, then computes its gradient; `globalStep` counts the steps before this one. */
  gradient(n: number, globalStep: number): number {
    this.batch.begin({ n, batch: n, offset: 0, globalStep });
    for (const h of this.hooks) h.inputs?.(this.batch);
    return this.batch.gradient(true);
  }

  /**
   * The parameter update for the batch of the last `gradient` call. `batchSize` is the
   * epoch's nominal batch size (LR scaling), `progress` the fractional epoch (warmup).
   */
  update(batchSize: number, progress: number): void {
    this.optimizer.lr = stepLearningRate(this.remedies, this.baseLr, batchSize, progress);
    this.lastLr = this.optimizer.lr;
    const grads = this.model.grads.ptr;
    const program = updateProgram(this.side, this.hooks, { optimizer: this.optimizer, elementwise: true, ownsWhole: true }, grads);
    runUpdate(program, (r) => (r.kind === 'gradient' ? (this.batch.gradient(false), grads) : 0));
  }

  dispose(): void {
    disposeHooks(this.hooks);
  }
}
