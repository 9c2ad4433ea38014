// Remedies for large-batch training, as trainer options usable in any experiment: the paper's
// (data augmentation, conservative training, adversarial training, dynamic sampling) and later
// work's (SAM, ghost batch norm, linear LR scaling with warmup; LARS/LAMB are optimizers, see
// train.ts). Every option is JSON; `checkRemedies` validates them with errors naming the field.
// `RemedyStepper` runs one training step with the batch-level remedies on a batch already in the
// model's input buffer. Randomness (augmentation) is drawn from (seed, global step), so a resumed
// run repeats it exactly without extra checkpoint state.
import { augmentBatch, checkAugment } from '../data/augment.js';
import type { Dataset } from '../data/dataset.js';
import type { Model } from '../nn/model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { ProximalTerm } from '../optim/proximal.js';
import { SamPerturbation } from '../optim/sam.js';
import { geometricBatchSize, warmupScaledLr } from '../optim/schedule.js';
import type { SliceGranularity } from '../optim/segments.js';
import { Rng } from '../util/rng.js';
import { TrainOptionError } from './errors.js';

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

export const REMEDY_FIELDS = ['augment', 'conservative', 'adversarial', 'dynamicBatch', 'sam', 'ghostBatch', 'lrScaling', 'layerwise'] as const;

function obj(field: string, v: unknown, keys: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TrainOptionError(field, `must be an object with ${keys.join(', ')}, got ${JSON.stringify(v)}`);
  for (const key of Object.keys(v)) if (!keys.includes(key)) throw new TrainOptionError(`${field}.${key}`, `is not an option of ${field} (${keys.join(', ')})`);
  return v as Record<string, unknown>;
}

function num(field: string, v: unknown, lo: number, hi: number, openLo = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (openLo ? v <= lo : v < lo) || v > hi) {
    throw new TrainOptionError(field, `must be a finite number in ${openLo ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function int(field: string, v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new TrainOptionError(field, `must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return v;
}

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

/**
 * Validates the remedy fields of training options against the data and batch size; returns
 * them resolved, or null when none is given (the trainer then runs its plain path).
 */
export function checkRemedies(opts: RemedyOptions, ctx: { shape: readonly number[]; batchSize: number; epochs: number; seed: number }): ResolvedRemedies | null {
  const r: ResolvedRemedies = {};
  if (opts.augment !== undefined) {
    const a = obj('augment', opts.augment, ['shift', 'flip', 'seed']);
    const seed = a.seed === undefined ? ctx.seed : num('augment.seed', a.seed, 0, 2 ** 32 - 1);
    const { seed: _s, ...geo } = a;
    try {
      r.augment = { ...checkAugment(geo, ctx.shape, 'augment'), seed };
    } catch (e) {
      const err = e as Error & { argument?: string };
      throw new TrainOptionError(err.argument ?? 'augment', err.message.replace(/^[^:]*: /, ''), );
    }
  }
  if (opts.conservative !== undefined) {
    const c = obj('conservative', opts.conservative, ['lambda', 'steps']);
    r.conservative = { lambda: num('conservative.lambda', c.lambda, 0, Infinity, true), steps: c.steps === undefined ? 3 : int('conservative.steps', c.steps, 1, 1000) };
  }
  if (opts.adversarial !== undefined) {
    const a = obj('adversarial', opts.adversarial, ['epsilon', 'fraction']);
    r.adversarial = { epsilon: num('adversarial.epsilon', a.epsilon, 0, Infinity, true), fraction: a.fraction === undefined ? 1 : num('adversarial.fraction', a.fraction, 0, 1, true) };
  }
  if (opts.dynamicBatch !== undefined) {
    const d = obj('dynamicBatch', opts.dynamicBatch, ['from', 'over']);
    const from = int('dynamicBatch.from', d.from, 1, ctx.batchSize);
    r.dynamicBatch = { from, over: d.over === undefined ? Math.max(1, ctx.epochs) : int('dynamicBatch.over', d.over, 1) };
  }
  if (opts.sam !== undefined) {
    const s = obj('sam', opts.sam, ['rho']);
    r.sam = { rho: num('sam.rho', s.rho, 0, Infinity, true) };
  }
  if (opts.ghostBatch !== undefined) {
    const g = obj('ghostBatch', opts.ghostBatch, ['size']);
    r.ghostBatch = { size: int('ghostBatch.size', g.size, 1, ctx.batchSize) };
  }
  if (opts.lrScaling !== undefined) {
    const l = obj('lrScaling', opts.lrScaling, ['reference', 'warmupEpochs']);
    r.lrScaling = {
      reference: l.reference === undefined ? 256 : int('lrScaling.reference', l.reference, 1),
      warmupEpochs: l.warmupEpochs === undefined ? 0 : num('lrScaling.warmupEpochs', l.warmupEpochs, 0, Infinity),
    };
  }
  if (opts.layerwise !== undefined) {
    const l = obj('layerwise', opts.layerwise, ['granularity', 'trust', 'weightDecay']);
    const granularity = (l.granularity ?? 'layer') as SliceGranularity;
    if (granularity !== 'layer' && granularity !== 'tensor') throw new TrainOptionError('layerwise.granularity', `must be 'layer' or 'tensor', got ${JSON.stringify(l.granularity)}`);
    r.layerwise = { granularity };
    if (l.trust !== undefined) r.layerwise.trust = num('layerwise.trust', l.trust, 0, Infinity, true);
    if (l.weightDecay !== undefined) r.layerwise.weightDecay = num('layerwise.weightDecay', l.weightDecay, 0, Infinity);
  }
  return Object.keys(r).length ? r : null;
}

/** The batch size of an epoch under the remedies (dynamic sampling) or the fixed one. */
export function epochBatchSize(r: ResolvedRemedies | null, batchSize: number, epoch: number): number {
  return r?.dynamicBatch ? geometricBatchSize(r.dynamicBatch.from, batchSize, r.dynamicBatch.over, epoch) : batchSize;
}

/** The seed of the augmentation draws of global step `globalStep` (0-based) for an augmentation seed. */
export function augmentSeedAt(seed: number, globalStep: number): number {
  let z = (seed ^ Math.imul(globalStep + 0x632be5ab, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  return (z ^ (z >>> 13)) >>> 0;
}

/**
 * One training step with the batch-level remedies. Call `gradient` on a batch already in the
 * model's input/label buffers (it augments and perturbs the input in place, then leaves the
 * batch gradient in model.grads and returns the batch loss), then `update`.
 */
export class RemedyStepper {
  private readonly sam: SamPerturbation | null;
  private readonly prox: ProximalTerm | null;
  private readonly acc: number;
  private readonly baseLr: number;
  private xs: Float32Array | null = null;
  private ys: Int32Array | null = null;
  private n = 0;
  /** The learning rate of the last update (for tests and logs). */
  lastLr = NaN;

  constructor(private readonly model: Model, private readonly optimizer: Optimizer, readonly remedies: ResolvedRemedies, private readonly data: Pick<Dataset, 'shape'>) {
    const k = model.k, n = model.numParams;
    this.sam = remedies.sam ? new SamPerturbation(k, n, remedies.sam.rho) : null;
    this.prox = remedies.conservative ? new ProximalTerm(k, n, remedies.conservative.lambda) : null;
    this.acc = remedies.ghostBatch ? k.arena.alloc(n * 4) : 0;
    this.baseLr = optimizer.lr;
  }

  /** Augments / adversarially perturbs the batch of n samples in the input buffer, then computes its gradient. */
  gradient(n: number, globalStep: number): number {
    const m = this.model, r = this.remedies;
    this.n = n;
    if (r.augment) augmentBatch(m.inputView(n), n, this.data.shape, { shift: r.augment.shift, flip: r.augment.flip }, new Rng(augmentSeedAt(r.augment.seed, globalStep)));
    this.xs = this.ys = null;
    if (r.ghostBatch && r.ghostBatch.size < n) { this.xs = m.inputView(n).slice(); this.ys = m.labelsView(n).slice(); }
    if (r.adversarial) this.perturbInputs(n, r.adversarial.epsilon, Math.round(r.adversarial.fraction * n));
    return this.batchGrad(true);
  }

  /** FGSM on the first `count` samples: x += ε·sign(∂loss/∂x), the gradient taken at the clean batch. */
  private perturbInputs(n: number, eps: number, count: number): void {
    if (count === 0) return;
    const m = this.model, d = m.inputSize;
    const dx = new Float32Array(n * d);
    this.chunked(n, (x, y, off, c) => {
      dx.set(m.lossAndInputGrad(x, y, c, { updateStats: false }).dx, off * d);
    });
    const x = this.xs ?? m.inputView(n);
    for (let i = 0; i < count * d; i++) x[i] += eps * Math.sign(dx[i]);
    if (this.xs) m.inputView(n).set(this.xs);
  }

  /** Calls fn per ghost chunk (or once on the whole batch) with inputs/labels to pass to the model. */
  private chunked(n: number, fn: (x: Float32Array, y: Int32Array, off: number, count: number) => void): void {
    const g = this.remedies.ghostBatch?.size ?? n;
    if (!this.xs || !this.ys || g >= n) { fn(this.model.inputView(n), this.model.labelsView(n), 0, n); return; }
    const d = this.model.inputSize;
    for (let off = 0; off < n; off += g) {
      const c = Math.min(g, n - off);
      fn(this.xs.subarray(off * d, (off + c) * d), this.ys.subarray(off, off + c), off, c);
    }
    // Each chunk was loaded at the start of the input buffer: put the whole batch back.
    this.model.inputView(n).set(this.xs);
    this.model.labelsView(n).set(this.ys);
  }

  /**
   * The batch loss, its gradient left in model.grads. With ghost batch norm: the sample-weighted
   * mean of per-chunk gradients, each chunk normalized with its own statistics.
   */
  private batchGrad(updateStats: boolean): number {
    const m = this.model, e = m.k.exports, n = this.n, np = m.numParams;
    const opts = updateStats ? {} : { updateStats: false };
    if (!this.xs) return m.lossAndGrad(m.inputView(n), m.labelsView(n), n, opts);
    e.fill_f32(np, 0, this.acc);
    let loss = 0;
    this.chunked(n, (x, y, _off, c) => {
      loss += m.lossAndGrad(x, y, c, opts) * (c / n);
      e.axpy_f32(np, c / n, m.grads.ptr, this.acc);
    });
    e.copy_f32(np, this.acc, m.grads.ptr);
    return loss;
  }

  /**
   * The parameter update for the batch of the last `gradient` call. `batchSize` is the
   * epoch's nominal batch size (LR scaling), `progress` the fractional epoch (warmup).
   */
  update(batchSize: number, progress: number): void {
    const m = this.model, r = this.remedies;
    if (r.lrScaling) this.optimizer.lr = warmupScaledLr(this.baseLr, batchSize, r.lrScaling.reference, r.lrScaling.warmupEpochs, progress);
    this.lastLr = this.optimizer.lr;
    const steps = r.conservative?.steps ?? 1;
    if (this.prox) this.prox.anchor(m.params.ptr);
    for (let s = 0; s < steps; s++) {
      if (s > 0) this.batchGrad(false);
      if (this.sam) {
        this.sam.perturb(m.params.ptr, m.grads.ptr);
        this.batchGrad(false);
        this.sam.restore(m.params.ptr);
      }
      if (this.prox) this.prox.addGradient(m.params.ptr, m.grads.ptr);
      this.optimizer.step(m.params.ptr, m.grads.ptr);
    }
  }

  dispose(): void {
    this.sam?.dispose();
    this.prox?.dispose();
    if (this.acc) this.model.k.arena.release(this.acc);
  }
}
