// The Hessian's eigenvalue density by stochastic Lanczos quadrature (SLQ; Ghorbani et al.
// 2019, PyHessian's "ESD", Yao et al. 2020): for each of `runs` Rademacher start vectors
// q₁ = v/‖v‖, m Lanczos steps (full reorthogonalization) give a tridiagonal T whose
// eigenvalues θ_i are quadrature nodes and the squared first components τ_i = s_{1,i}² their
// weights: q₁ᵀ g(H) q₁ ≈ Σ τ_i g(θ_i), so the density is ≈ mean over runs of
// Σ τ_i·N(t; θ_i, σ²). Smoothed exactly as PyHessian's density_generate (σ² = 1e-5·max(1,
// λmax − λmin), grid padded by 0.01, normalized to integrate to 1). The extreme nodes converge
// to the extreme eigenvalues; inner structure is resolved to ~(λmax − λmin)/m.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError } from '../kernels/errors.js';
import type { LabeledSet, Model } from '../nn/model.js';
import { Rng } from '../util/rng.js';
import { symmetricEigen } from './dense.js';
import { HessianOperator, orthogonalize, type HvpMethod, type HvpOptions } from './hessian.js';
import { ModelObjective, type ModelObjectiveInfo } from './model_objective.js';
import { checkHvpMethod, HVP_ERROR, HVP_NAME, networkHvpStep } from './network.js';
import { checkObjective, type Objective } from './objective.js';
import { checkFiniteParams } from '../nn/param_table.js';
import { VecOps, type WVec } from './vec.js';

export interface DensityOptions extends HvpOptions {
  /** Lanczos steps per run (default min(n, 64)); memory n·steps floats. */
  steps?: number;
  /** Start vectors (default 1, as PyHessian). */
  runs?: number;
  seed?: number;
  /** Called after each Lanczos step with the run and step numbers (from 1) (for progress). */
  onStep?: (run: number, step: number) => void;
}

export interface QuadratureRun {
  /** Ritz values of T (ascending). */
  nodes: number[];
  /** Their weights (sum 1). */
  weights: number[];
  /** Lanczos steps taken (fewer than asked when an invariant subspace was found). */
  steps: number;
}

export interface SpectralQuadrature {
  runs: QuadratureRun[];
  method: HvpMethod;
  /** Hessian-vector products spent. */
  products: number;
}

function positiveInt(name: string, v: unknown, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) throw new KernelRangeError(name, `must be an integer in [1, ${max}], got ${v}`);
  return v;
}

/** SLQ nodes and weights of ∇²f(x). */
export function hessianDensity(k: Kernels, obj: Objective, x: Float32Array, options: DensityOptions = {}): SpectralQuadrature {
  checkObjective(obj);
  const n = obj.n;
  const steps = positiveInt('steps', options.steps ?? Math.min(n, 64), n);
  const runs = positiveInt('runs', options.runs ?? 1, 1e6);
  const rng = new Rng(options.seed ?? 0);
  const ops = new VecOps(k);
  try {
    const H = new HessianOperator(ops, obj, x, options);
    const Q: WVec[] = Array.from({ length: steps }, () => ops.alloc(n));
    const w = ops.alloc(n);
    const out: QuadratureRun[] = [];
    for (let r = 0; r < runs; r++) {
      const q0 = Q[0].v;
      for (let i = 0; i < n; i += 32) {
        let bits = rng.nextU32();
        for (let t = i; t < Math.min(n, i + 32); t++, bits >>>= 1) q0[t] = bits & 1 ? 1 : -1;
      }
      ops.scale(Q[0], 1 / Math.sqrt(n));
      const alpha: number[] = [], beta: number[] = [];
      for (let j = 0; j < steps; j++) {
        H.apply(Q[j], w);
        const a = ops.dot(Q[j], w);
        alpha.push(a);
        options.onStep?.(r + 1, j + 1);
        ops.addScaled(w, w, -a, Q[j]);
        if (j > 0) ops.addScaled(w, w, -beta[j - 1], Q[j - 1]);
        const basis = Q.slice(0, j + 1);
        orthogonalize(ops, w, basis);
        orthogonalize(ops, w, basis);
        const b = Math.sqrt(ops.dot(w, w));
        const tnorm = Math.max(...alpha.map(Math.abs), ...beta, b);
        if (j + 1 === steps || !(b > 1e-10 * tnorm)) break; // invariant subspace: T is exact
        beta.push(b);
        ops.copy(Q[j + 1], w);
        ops.scale(Q[j + 1], 1 / b);
      }
      const m = alpha.length;
      const T = new Float64Array(m * m);
      for (let i = 0; i < m; i++) {
        T[i * m + i] = alpha[i];
        if (i + 1 < m) { T[i * m + i + 1] = beta[i]; T[(i + 1) * m + i] = beta[i]; }
      }
      const { values, vectors } = symmetricEigen(T, m);
      const order = Array.from({ length: m }, (_, i) => i).sort((i, j) => values[i] - values[j]);
      out.push({ nodes: order.map((i) => values[i]), weights: order.map((i) => vectors[i] ** 2), steps: m });
    }
    return { runs: out, method: H.method, products: H.products };
  } finally {
    ops.dispose();
  }
}

export interface DensityCurveOptions {
  /** Grid points (default 1000). */
  bins?: number;
  /** Relative Gaussian variance (default 1e-5, PyHessian's; times max(1, λmax − λmin)). */
  sigma2?: number;
}

/** The smoothed density on a grid, PyHessian's density_generate: ∫ density = 1 over the grid. */
export function densityCurve(q: SpectralQuadrature, options: DensityCurveOptions = {}): { grid: number[]; density: number[] } {
  const bins = positiveInt('bins', options.bins ?? 1000, 1e7);
  if (bins < 2) throw new KernelRangeError('bins', `must be ≥ 2, got ${bins}`);
  const s2rel = options.sigma2 ?? 1e-5;
  if (!(s2rel > 0) || !Number.isFinite(s2rel)) throw new KernelRangeError('sigma2', `must be a finite number > 0, got ${s2rel}`);
  if (q.runs.length === 0) throw new KernelRangeError('q', 'has no runs');
  const mean = (f: (r: QuadratureRun) => number) => q.runs.reduce((s, r) => s + f(r), 0) / q.runs.length;
  const hi = mean((r) => r.nodes[r.nodes.length - 1]) + 0.01, lo = mean((r) => r.nodes[0]) - 0.01;
  const s2 = s2rel * Math.max(1, hi - lo);
  const dx = (hi - lo) / (bins - 1);
  const grid = Array.from({ length: bins }, (_, i) => lo + i * dx);
  const density = grid.map((t) => mean((r) => r.nodes.reduce((s, th, i) => s + r.weights[i] * Math.exp(-((th - t) ** 2) / (2 * s2)), 0)) / Math.sqrt(2 * Math.PI * s2));
  const total = density.reduce((a, b) => a + b, 0) * dx;
  return { grid, density: density.map((d) => d / total) };
}

export interface NetworkDensityOptions extends DensityOptions {
  sample?: number;
  chunk?: number;
  sampleSeed?: number;
  bn?: 'batch' | 'running';
  hvp?: HvpMethod;
}

export interface NetworkDensityResult extends SpectralQuadrature {
  n: number;
  loss: ModelObjectiveInfo;
  hvpMethod: string;
  hvpError: string;
  seconds: number;
}

/** SLQ eigenvalue density of the loss Hessian at the model's parameters (exact products by default). */
export function networkHessianDensity(model: Model, ds: LabeledSet, options: NetworkDensityOptions = {}): NetworkDensityResult {
  const x = Float32Array.from(model.params.view());
  checkFiniteParams(model, x);
  const method = checkHvpMethod(options.hvp);
  const obj = new ModelObjective(model, ds, { sample: options.sample, chunk: options.chunk, seed: options.sampleSeed, bn: options.bn });
  try {
    const t0 = performance.now();
    const q = hessianDensity(model.k, obj, x, { ...options, method, step: method === 'exact' ? undefined : options.step ?? networkHvpStep(x) });
    return { n: model.numParams, loss: obj.info, ...q, hvpMethod: HVP_NAME[method], hvpError: HVP_ERROR[method], seconds: (performance.now() - t0) / 1000 };
  } finally {
    obj.dispose();
  }
}
