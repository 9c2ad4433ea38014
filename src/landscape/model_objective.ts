// A network's training loss as an Objective of its flat parameter vector, for sharpness,
// Hessian and noise-scale probes:
//
//   f(x) = mean cross-entropy over a fixed sample of the data set,
//   ∇f(x) = Σ_c (b_c/N)·∇f_c(x)  over fixed consecutive chunks c of b_c samples.
//
// Batch norm, option `bn`:
// - 'batch' (default): every chunk is normalized with ITS OWN batch statistics (training-mode
//   BN, like Keras BN "mode 2" that the paper's code evaluates with); the running statistics
//   are NOT updated. ∇f differentiates through the batch statistics. The chunking is part of
//   the definition of f: change `chunk` and f changes slightly.
// - 'running': BN uses the model's running statistics, held fixed (evaluation mode, the
//   deployed network's loss); each BN layer is then a per-channel affine map of its input,
//   so a weight perturbation is not partly normalized away by re-estimated statistics.
//   `chunk` only splits the work (f does not depend on it beyond f32 rounding).
// Dropout is OFF in both. So f is a deterministic function of x (the same x gives the same
// bits), and ∇f is its exact gradient.
// Why 'batch' stays the default (F1 on MNIST, φ at ε = 1e-3, full space, measured
// 2026-11-25): both modes order converged SB (20 epochs) below LB (32 epochs), but neither
// wins cleanly. 'running' orders them robustly (LB/SB ≥ 80× on every sample tried)
// at magnitudes ~10× the paper's (SB 12–36, LB ≈ 3000), and its f and φ depend on how far
// the running averages lag the weights — far more for LB (10 steps an epoch) than for SB
// (LB after 8 epochs: f = 0.139 with running vs 0.006 with batch statistics). 'batch' gives
// the paper's magnitudes (SB20 0.7–1.4; LB16, LB32 129, 143 on the seed-0 6000-sample draw) but is heavy-tailed in
// the sample: LB32's φ was 143, 75 and 1.05 on three 6000-sample draws.
//
// evalGrad copies the candidate x into model.params, runs the chunks, and restores the
// model's own parameters afterwards (also on error), so a probe leaves the model as it was
// (BN running statistics and the dropout counter included).
//
// hvp is the exact Hessian-vector product of the same f (Model.lossHvp per chunk,
// Pearlmutter's R-operator: ∇²f·v = Σ_c (b_c/N)·∇²f_c·v), with BN in the same mode — with
// batch statistics, their dependence on the weights is differentiated twice. ReLU and
// max-pool are piecewise linear: H is the Hessian of the piece x lies on (the forward's
// masks), exact up to f32 rounding, where central differences of ∇f cross kinks.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';
import type { GradOptions, LabeledSet, Model } from '../nn/model.js';
import { Rng } from '../util/rng.js';
import type { Objective } from './objective.js';

export interface ModelObjectiveOptions {
  /** Samples of the data set the loss is averaged over (default: all). */
  sample?: number;
  /** Samples per chunk (BN batch statistics are per chunk); default min(sample, 1000). */
  chunk?: number;
  /**
   * Seed of the sample: with a sample smaller than the set, `sample` distinct indices are
   * drawn without replacement (Fisher–Yates prefix) and kept in ascending order. Default 0.
   */
  seed?: number;
  /** Batch-norm statistics of the loss: 'batch' (per chunk, the default) or 'running' (fixed). */
  bn?: 'batch' | 'running';
}

/** What a ModelObjective computes, for results and printed output. */
export interface ModelObjectiveInfo {
  dataset: string;
  sample: number;
  datasetSize: number;
  chunk: number;
  seed: number;
  bn: 'batch' | 'running';
  batchNorm: 'batch statistics per chunk (running statistics untouched)' | 'running statistics (evaluation mode, held fixed)';
  dropout: 'off';
}

function positiveInt(name: string, v: unknown, max?: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new KernelRangeError(name, `must be an integer ≥ 1, got ${v}`);
  if (max !== undefined && v > max) throw new KernelRangeError(name, `must be ≤ ${max}, got ${v}`);
  return v;
}

/** `count` distinct indices of [0, n) drawn with a seeded partial Fisher–Yates shuffle, ascending. */
export function sampleIndices(n: number, count: number, seed: number): Int32Array {
  const perm = new Int32Array(n);
  for (let i = 0; i < n; i++) perm[i] = i;
  const rng = new Rng(seed);
  for (let i = 0; i < count; i++) {
    const j = i + rng.int(n - i);
    const t = perm[i]; perm[i] = perm[j]; perm[j] = t;
  }
  return perm.slice(0, count).sort();
}

export class ModelObjective implements Objective {
  readonly n: number;
  readonly k: Kernels;
  readonly info: ModelObjectiveInfo;
  /** Calls of evalGrad so far. */
  evaluations = 0;
  /** Calls of hvp so far. */
  products = 0;
  private readonly xs: Float32Array;
  private readonly ys: Int32Array;
  private acc: number; private saved: number;
  private disposed = false;

  constructor(readonly model: Model, ds: LabeledSet, options: ModelObjectiveOptions = {}) {
    if (typeof model !== 'object' || model === null || typeof model.lossAndGrad !== 'function') throw new KernelTypeError('model', 'must be a Model');
    if (typeof ds !== 'object' || ds === null) throw new KernelTypeError('ds', 'must be a labelled data set { x, y, n, shape, classes }');
    model.checkDataset(ds);
    if (ds.n < 1) throw new KernelRangeError('ds', `${ds.name} is empty`);
    const sample = options.sample === undefined ? ds.n : positiveInt('sample', options.sample, ds.n);
    const chunk = options.chunk === undefined ? Math.min(sample, 1000) : positiveInt('chunk', options.chunk, sample);
    const seed = options.seed ?? 0;
    if (!Number.isInteger(seed) || seed < 0) throw new KernelRangeError('seed', `must be a non-negative integer, got ${seed}`);
    const bn = options.bn ?? 'batch';
    if (bn !== 'batch' && bn !== 'running') throw new KernelRangeError('bn', `must be 'batch' or 'running', got ${String(bn)}`);
    const d = model.inputSize;
    if (sample === ds.n) {
      this.xs = ds.x.subarray(0, ds.n * d); this.ys = ds.y.subarray(0, ds.n);
    } else {
      const idx = sampleIndices(ds.n, sample, seed);
      this.xs = new Float32Array(sample * d); this.ys = new Int32Array(sample);
      for (let j = 0; j < sample; j++) {
        const i = idx[j];
        this.xs.set(ds.x.subarray(i * d, (i + 1) * d), j * d);
        this.ys[j] = ds.y[i];
      }
    }
    this.k = model.k;
    this.n = model.numParams;
    this.info = {
      dataset: ds.name, sample, datasetSize: ds.n, chunk, seed, bn,
      batchNorm: bn === 'batch' ? 'batch statistics per chunk (running statistics untouched)' : 'running statistics (evaluation mode, held fixed)',
      dropout: 'off',
    };
    // Everything evalGrad needs is allocated now, so evaluations do not grow the memory.
    model.reserve(chunk);
    this.acc = this.k.arena.alloc(this.n * 4);
    this.saved = this.k.arena.alloc(this.n * 4);
  }

  /** A copy of the model's current parameters (the usual point to probe). */
  point(): Float32Array {
    return Float32Array.from(this.model.params.view());
  }

  evalGrad(x: Float32Array, g: Float32Array): number {
    const loss = this.overChunks(x, g, 'g', null, () => ({ result: this.model.grads.ptr, to: 0 }), (xs, ys, b, opts) => this.model.lossAndGrad(xs, ys, b, opts));
    this.evaluations++;
    return loss;
  }

  /** out = ∇²f(x)·v exactly (up to f32 rounding), by the R-operator per chunk; returns f(x). Views of Wasm memory are accepted. */
  hvp(x: Float32Array, v: Float32Array, out: Float32Array): number {
    const model = this.model;
    // The direction/product vectors are allocated on first use: after the views' offsets are taken.
    const loss = this.overChunks(x, out, 'out', v, () => ({ to: model.hvpDirection.ptr, result: model.hvpProduct.ptr }), (xs, ys, b, opts) => model.lossHvp(xs, ys, b, opts));
    this.products++;
    return loss;
  }

  /**
   * With the model's parameters set to x (and v copied to `to`), runs `step` on every chunk,
   * accumulates Σ_c (b_c/N)·(the n floats `step` leaves at `result`) into `out`, and returns
   * the mean loss; the model's parameters are restored afterwards (also on error). x, out and
   * v may be views of Wasm memory: they are remembered by offset before `prepare` (which may
   * allocate, growing the memory and detaching them) or any chunk runs.
   */
  private overChunks(
    x: Float32Array, out: Float32Array, outName: string, v: Float32Array | null, prepare: () => { to: number; result: number },
    step: (xs: Float32Array, ys: Int32Array, b: number, opts: GradOptions) => number,
  ): number {
    if (this.disposed) throw new KernelRangeError('objective', 'was disposed');
    const { k, model, n } = this;
    const vec = (name: string, a: Float32Array) => {
      if (!(a instanceof Float32Array) || a.length !== n) throw new KernelRangeError(name, `must be a Float32Array of length ${n}`);
      return a.buffer === k.memory.buffer ? a.byteOffset : -1;
    };
    const xPtr = vec('x', x), oPtr = vec(outName, out), vPtr = v ? vec('v', v) : -1;
    const { to, result } = prepare();
    const e = k.exports;
    const params = model.params.ptr;
    e.copy_f32(n, params, this.saved);
    try {
      if (xPtr >= 0) e.copy_f32(n, xPtr, params); else model.params.view().set(x);
      if (v) { if (vPtr >= 0) e.copy_f32(n, vPtr, to); else new Float32Array(k.memory.buffer, to, n).set(v); }
      const N = this.info.sample, chunk = this.info.chunk, d = model.inputSize;
      const opts: GradOptions = { dropout: false, updateStats: false, bn: this.info.bn };
      let loss = 0;
      for (let off = 0; off < N; off += chunk) {
        const b = Math.min(chunk, N - off);
        loss += b * step(this.xs.subarray(off * d, (off + b) * d), this.ys.subarray(off, off + b), b, opts);
        if (off === 0) { e.copy_f32(n, result, this.acc); e.scale_f32(this.acc, b / N, n); }
        else e.add_scaled_f32(this.acc, this.acc, b / N, result, n);
      }
      if (oPtr >= 0) e.copy_f32(n, this.acc, oPtr);
      else out.set(new Float32Array(k.memory.buffer, this.acc, n));
      return loss / N;
    } finally {
      e.copy_f32(n, this.saved, params);
    }
  }

  /** Loss only (same definition as evalGrad's f). */
  value(x: Float32Array): number {
    return this.evalGrad(x, new Float32Array(this.n));
  }

  /** Returns the two scratch vectors to the arena. */
  dispose(): void {
    if (this.disposed) return;
    this.k.arena.release(this.acc); this.k.arena.release(this.saved);
    this.disposed = true;
  }
}
