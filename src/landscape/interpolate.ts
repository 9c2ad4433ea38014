// Evaluating a network at other parameter vectors: the paper's parametric interpolation
// f(α·x_b + (1 − α)·x_a) (Keskar et al. 2017, Fig. 3; α on [−1, 2]) and the building
// block of the filter-normalized surfaces (surface.ts).
//
// Batch norm at a new point — two modes, reported in every result:
//  - 'recompute' (default): BN running statistics are re-estimated at each point from a
//    sample of the training set (training-mode passes, dropout off): per BN layer the
//    pooled mean and unbiased variance over all the sample's batches, exactly as if one
//    pass had seen the whole sample. Then train and test are evaluated in inference mode.
//  - 'batch-stats': every evaluation chunk (default 5000, as in the authors' code) is
//    normalized with its own batch statistics (Keras BN "mode 2"); running statistics are
//    not involved.
// The model's own parameters and BN running statistics are restored afterwards.
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';
import { BatchNorm } from '../nn/batchnorm.js';
import type { LabeledSet, Metrics, Model } from '../nn/model.js';
import { checkFiniteParams } from '../nn/param_table.js';

export type BnMode = 'recompute' | 'batch-stats';

export interface EvalAtOptions {
  /** How batch norm is handled at each point (default 'recompute'). */
  bn?: BnMode;
  /** 'recompute': training samples (the first N) the statistics are estimated from (default min(train.n, 10000)). */
  statsSamples?: number;
  /** 'recompute': samples per statistics pass (default min(statsSamples, 1000)). */
  statsBatch?: number;
  /** Samples per evaluation chunk (default 5000 with 'batch-stats', 1000 otherwise). */
  evalBatch?: number;
  /** Evaluate only the first N training / test samples (default all). */
  trainLimit?: number;
  testLimit?: number;
}

export interface PointMetrics {
  trainLoss: number; trainAcc: number;
  /** null when no test set was given. */
  testLoss: number | null; testAcc: number | null;
}

/** The BN treatment of a result, spelled out. */
export interface BnReport {
  mode: BnMode;
  description: string;
  statsSamples: number | null;
  statsBatch: number | null;
  evalBatch: number;
}

function optInt(name: string, v: unknown, def: number, max?: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new KernelRangeError(name, `must be an integer ≥ 1, got ${v}`);
  if (max !== undefined && v > max) throw new KernelRangeError(name, `must be ≤ ${max}, got ${v}`);
  return v;
}

/** Resolves the options against the data sets (validating them once). */
export function resolveEvalOptions(train: LabeledSet, opts: EvalAtOptions = {}): Required<Pick<EvalAtOptions, 'bn' | 'evalBatch'>> & EvalAtOptions & { report: BnReport } {
  const bn = opts.bn ?? 'recompute';
  if (bn !== 'recompute' && bn !== 'batch-stats') throw new KernelRangeError('bn', `must be 'recompute' or 'batch-stats', got ${JSON.stringify(bn)}`);
  const evalBatch = optInt('evalBatch', opts.evalBatch, bn === 'batch-stats' ? 5000 : 1000);
  optInt('trainLimit', opts.trainLimit, 1); optInt('testLimit', opts.testLimit, 1);
  if (bn === 'recompute') {
    const statsSamples = optInt('statsSamples', opts.statsSamples, Math.min(train.n, 10000), train.n);
    const statsBatch = optInt('statsBatch', opts.statsBatch, Math.min(statsSamples, 1000), statsSamples);
    return {
      ...opts, bn, evalBatch, statsSamples, statsBatch,
      report: {
        mode: bn, statsSamples, statsBatch, evalBatch,
        description: `BN running statistics recomputed at every point from the first ${statsSamples} training samples (pooled mean and unbiased variance over batches of ${statsBatch}); evaluation in inference mode`,
      },
    };
  }
  return {
    ...opts, bn, evalBatch,
    report: { mode: bn, statsSamples: null, statsBatch: null, evalBatch, description: `BN uses each evaluation chunk's own batch statistics (chunks of ${evalBatch}, Keras mode 2); running statistics not used` },
  };
}

/**
 * Re-estimates every BN layer's running mean and (unbiased) variance at the model's current
 * parameters from the first `samples` samples of ds, in batches of `batch`: the pooled
 * statistics over all batches, Σ(n_b−1)v_b + Σn_b(μ_b−μ)² over N−1 — exactly the sample's.
 * Returns the number of BN layers.
 */
export function recomputeBnStats(model: Model, ds: LabeledSet, samples: number, batch: number): number {
  model.checkDataset(ds);
  // Where each BN layer's running mean and variance sit in the buffer vector (its tensor table).
  const bns: { bn: BatchNorm; mean: number; variance: number }[] = [];
  model.layers.forEach((l, i) => {
    if (l.bufferCount === 0) return;
    if (!(l instanceof BatchNorm)) throw new KernelTypeError('model', `layer ${l.type} holds running state that cannot be recomputed`);
    if (!(l.momentum > 0)) throw new KernelRangeError('model', `a batch-norm layer has momentum ${l.momentum}: its running statistics never change, so they cannot be re-estimated`);
    const at = (role: 'running-mean' | 'running-var') => model.bufferTensors.find((t) => t.layer === i && t.role === role)!.offset;
    bns.push({ bn: l, mean: at('running-mean'), variance: at('running-var') });
  });
  if (bns.length === 0) return 0;
  const N = Math.min(samples, ds.n), d = model.inputSize;
  // Per layer and channel, f64 accumulators of Σn_b·μ_b, Σ(n_b−1)·v_b, Σn_b·μ_b².
  const acc = bns.map(({ bn }) => ({ s1: new Float64Array(bn.C), sv: new Float64Array(bn.C), s2: new Float64Array(bn.C) }));
  for (let o = 0; o < N; o += batch) {
    const b = Math.min(batch, N - o);
    model.buffers.view().fill(0);
    model.loss(ds.x.subarray(o * d, (o + b) * d), ds.y.subarray(o, o + b), b, { train: true, dropout: false, updateStats: true });
    const buf = model.buffers.view();
    bns.forEach(({ bn, mean, variance }, li) => {
      // After one update from zero: running = m·(batch statistic).
      const m = bn.momentum, C = bn.C, a = acc[li];
      const rows = b * (bn.inShape.reduce((x, y) => x * y, 1) / C);
      for (let c = 0; c < C; c++) {
        const mu = buf[mean + c] / m, v = buf[variance + c] / m;
        a.s1[c] += rows * mu; a.s2[c] += rows * mu * mu; a.sv[c] += (rows - 1) * v;
      }
    });
  }
  const buf = model.buffers.view();
  bns.forEach(({ bn, mean, variance }, li) => {
    const C = bn.C, a = acc[li];
    const R = N * (bn.inShape.reduce((x, y) => x * y, 1) / C);
    for (let c = 0; c < C; c++) {
      const mu = a.s1[c] / R;
      buf[mean + c] = mu;
      buf[variance + c] = R > 1 ? (a.sv[c] + a.s2[c] - R * mu * mu) / (R - 1) : 0;
    }
  });
  return bns.length;
}

/**
 * Train (and test) loss and accuracy of the model with parameters `params`, batch norm per
 * `opts.bn`. The model's parameters and running statistics are restored afterwards.
 */
export function evaluateParams(model: Model, params: Float32Array, train: LabeledSet, test: LabeledSet | null, opts: EvalAtOptions = {}): PointMetrics {
  checkFiniteParams(model, params, 'params');
  const o = resolveEvalOptions(train, opts);
  return evalAt(model, params, train, test, o);
}

/** evaluateParams without re-validating (options already resolved). */
export function evalAt(model: Model, params: Float32Array, train: LabeledSet, test: LabeledSet | null, o: ReturnType<typeof resolveEvalOptions>): PointMetrics {
  const savedP = Float32Array.from(model.params.view());
  const savedB = Float32Array.from(model.buffers.view());
  try {
    model.params.view().set(params);
    if (o.bn === 'recompute') recomputeBnStats(model, train, o.statsSamples!, o.statsBatch!);
    const ev = (ds: LabeledSet, limit?: number): Metrics => model.evaluate(ds, { batchSize: o.evalBatch, limit, batchStats: o.bn === 'batch-stats' });
    const tr = ev(train, o.trainLimit);
    const te = test ? ev(test, o.testLimit) : null;
    return { trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te ? te.loss : null, testAcc: te ? te.accuracy : null };
  } finally {
    model.params.view().set(savedP);
    model.buffers.view().set(savedB);
  }
}

/** `points` evenly spaced values on [lo, hi] (both ends included). */
export function linspace(lo: number, hi: number, points: number): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi) || !(hi > lo)) throw new KernelRangeError('range', `must be two finite numbers lo < hi, got [${lo}, ${hi}]`);
  if (!Number.isInteger(points) || points < 2) throw new KernelRangeError('points', `must be an integer ≥ 2, got ${points}`);
  return Array.from({ length: points }, (_, i) => (i === points - 1 ? hi : lo + ((hi - lo) * i) / (points - 1)));
}

export function checkAlphas(alphas: unknown, name = 'alphas'): number[] {
  if (!Array.isArray(alphas) || alphas.length === 0) throw new KernelRangeError(name, 'must be a non-empty array of numbers');
  alphas.forEach((a, i) => { if (typeof a !== 'number' || !Number.isFinite(a)) throw new KernelRangeError(`${name}[${i}]`, `must be a finite number, got ${a}`); });
  return alphas as number[];
}

export interface InterpolateOptions extends EvalAtOptions {
  /** The α values; default `points` evenly spaced on `range`. */
  alphas?: number[];
  /** Default 31. */
  points?: number;
  /** Default [−1, 2]. */
  range?: [number, number];
  /** Called after each point (progress). */
  onPoint?: (p: InterpolationPoint, index: number, total: number) => void;
}

export interface InterpolationPoint extends PointMetrics { alpha: number }

export interface InterpolationResult {
  bn: BnReport;
  n: number;
  train: { name: string; samples: number };
  test: { name: string; samples: number } | null;
  points: InterpolationPoint[];
  seconds: number;
}

/** x(α) = xa + α·(xb − xa), formed in f64 and rounded once (α = 0 and 1 give xa and xb bit for bit). */
export function lerpParams(xa: Float32Array, xb: Float32Array, alpha: number, out = new Float32Array(xa.length)): Float32Array {
  for (let i = 0; i < xa.length; i++) out[i] = xa[i] + alpha * (xb[i] - xa[i]);
  return out;
}

/** The paper's parametric plot: metrics of the model at α·xb + (1 − α)·xa for each α. */
export function interpolate(model: Model, xa: Float32Array, xb: Float32Array, train: LabeledSet, test: LabeledSet | null, options: InterpolateOptions = {}): InterpolationResult {
  checkFiniteParams(model, xa, 'xa');
  checkFiniteParams(model, xb, 'xb');
  model.checkDataset(train);
  if (test) model.checkDataset(test);
  const range = options.range ?? [-1, 2];
  if (!Array.isArray(range) || range.length !== 2) throw new KernelRangeError('range', 'must be [lo, hi]');
  const alphas = options.alphas !== undefined ? checkAlphas(options.alphas) : linspace(range[0], range[1], options.points ?? 31);
  const o = resolveEvalOptions(train, options);
  const t0 = performance.now();
  const x = new Float32Array(model.numParams);
  const points: InterpolationPoint[] = [];
  alphas.forEach((alpha, i) => {
    const p = { alpha, ...evalAt(model, lerpParams(xa, xb, alpha, x), train, test, o) };
    points.push(p);
    options.onPoint?.(p, i, alphas.length);
  });
  return {
    bn: o.report, n: model.numParams,
    train: { name: train.name, samples: Math.min(train.n, o.trainLimit ?? train.n) },
    test: test ? { name: test.name, samples: Math.min(test.n, o.testLimit ?? test.n) } : null,
    points, seconds: (performance.now() - t0) / 1000,
  };
}
