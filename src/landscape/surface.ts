// Filter-normalized loss surfaces (Li, Xu, Taylor, Studer, Goldstein 2018, "Visualizing the
// Loss Landscape of Neural Nets"): a random Gaussian direction d in parameter space whose
// every filter (conv output channel) or neuron (dense output unit) is rescaled to the norm
// of the corresponding filter/neuron of the point x: d_f ← d_f/‖d_f‖·‖x_f‖. This removes
// the scale invariance that makes raw sharpness comparisons misleading (Dinh et al. 2017).
// Biases and batch-norm gamma/beta: 'zero' (default, Li et al.'s "ignore biasbn") sets
// their direction entries to 0; 'keep' sets them to x's own values (their alternative).
// Curves and grids are evaluated with evaluateParams (interpolate.ts), BN per its options.
import { KernelRangeError } from '../kernels/errors.js';
import type { LabeledSet, Model } from '../nn/model.js';
import { Rng } from '../util/rng.js';
import {
  checkAlphas, evalAt, linspace, resolveEvalOptions, type BnReport, type EvalAtOptions, type PointMetrics,
} from './interpolate.js';
import { checkFiniteParams, type TableTensor } from '../nn/param_table.js';

export interface DirectionOptions {
  seed?: number;
  /** Bias and BN entries: 'zero' (default) or 'keep' (copied from x). */
  biasBn?: 'zero' | 'keep';
}

/** Per-unit Euclidean norms of a weight segment of v (unit of entry i is i % units), f64. */
export function unitNorms(v: Float32Array, seg: Pick<TableTensor, 'offset' | 'length' | 'units'>): Float64Array {
  const s = new Float64Array(seg.units);
  for (let i = 0; i < seg.length; i++) { const a = v[seg.offset + i]; s[i % seg.units] += a * a; }
  for (let u = 0; u < seg.units; u++) s[u] = Math.sqrt(s[u]);
  return s;
}

/** A filter-normalized random direction at x (length model.numParams). */
export function filterNormalizedDirection(model: Model, x: Float32Array, options: DirectionOptions = {}): Float32Array {
  checkFiniteParams(model, x, 'x');
  const biasBn = options.biasBn ?? 'zero';
  if (biasBn !== 'zero' && biasBn !== 'keep') throw new KernelRangeError('biasBn', `must be 'zero' or 'keep', got ${JSON.stringify(biasBn)}`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new KernelRangeError('seed', `must be a non-negative integer, got ${seed}`);
  const rng = new Rng(seed);
  const d = new Float32Array(x.length);
  for (const seg of model.paramTensors) {
    if (seg.role !== 'weight') {
      if (biasBn === 'keep') d.set(x.subarray(seg.offset, seg.offset + seg.length), seg.offset);
      continue;
    }
    for (let i = 0; i < seg.length; i++) d[seg.offset + i] = rng.normal();
    const dn = unitNorms(d, seg), xn = unitNorms(x, seg);
    const scale = Float64Array.from(dn, (v, u) => (v > 0 ? xn[u] / v : 0));
    for (let i = 0; i < seg.length; i++) d[seg.offset + i] = d[seg.offset + i] * scale[i % seg.units];
  }
  return d;
}

export interface Surface1dOptions extends EvalAtOptions {
  /** Steps along d; default `points` evenly spaced on `range`. */
  alphas?: number[];
  points?: number;
  /** Default [−1, 1]. */
  range?: [number, number];
}

export interface SurfacePoint extends PointMetrics { alpha: number }

/** Metrics at x + α·d for each α (a 1-D filter-normalized curve when d comes from filterNormalizedDirection). */
export function surface1d(model: Model, x: Float32Array, d: Float32Array, train: LabeledSet, test: LabeledSet | null, options: Surface1dOptions = {}): { bn: BnReport; points: SurfacePoint[] } {
  checkFiniteParams(model, x, 'x'); checkFiniteParams(model, d, 'd');
  const range = options.range ?? [-1, 1];
  const alphas = options.alphas !== undefined ? checkAlphas(options.alphas) : linspace(range[0], range[1], options.points ?? 31);
  const o = resolveEvalOptions(train, options);
  const p = new Float32Array(x.length);
  const points = alphas.map((alpha) => {
    for (let i = 0; i < x.length; i++) p[i] = x[i] + alpha * d[i];
    return { alpha, ...evalAt(model, p, train, test, o) };
  });
  return { bn: o.report, points };
}

export interface Surface2dOptions extends EvalAtOptions {
  alphas?: number[];
  betas?: number[];
  /** Grid points per axis when alphas/betas are omitted (default 11) over [−1, 1]. */
  points?: number;
  range?: [number, number];
}

export interface Surface2dResult {
  bn: BnReport;
  alphas: number[];
  betas: number[];
  /** Row-major [alphas.length][betas.length]: metrics at x + α·d1 + β·d2. */
  grid: PointMetrics[][];
}

/** Metrics at x + α·d1 + β·d2 over a grid (Li et al.'s 2-D contour data). */
export function surface2d(model: Model, x: Float32Array, d1: Float32Array, d2: Float32Array, train: LabeledSet, test: LabeledSet | null, options: Surface2dOptions = {}): Surface2dResult {
  checkFiniteParams(model, x, 'x'); checkFiniteParams(model, d1, 'd1'); checkFiniteParams(model, d2, 'd2');
  const range = options.range ?? [-1, 1];
  const def = () => linspace(range[0], range[1], options.points ?? 11);
  const alphas = options.alphas !== undefined ? checkAlphas(options.alphas) : def();
  const betas = options.betas !== undefined ? checkAlphas(options.betas, 'betas') : def();
  const o = resolveEvalOptions(train, options);
  const p = new Float32Array(x.length);
  const grid = alphas.map((a) => betas.map((b) => {
    for (let i = 0; i < x.length; i++) p[i] = x[i] + a * d1[i] + b * d2[i];
    return evalAt(model, p, train, test, o);
  }));
  return { bn: o.report, alphas, betas, grid };
}
