// Hessian tools at a point x, generic over an Objective: Hessian-vector products,
// the top eigenvalues (Lanczos) and the trace (Hutchinson) — the curvature measures
// later work reports next to Keskar et al.'s sharpness (PyHessian, Yao et al. 2020).
//
// Hessian-vector product, option `method`: 'exact' uses obj.hvp (for networks the
// R-operator, model_objective.ts: exact up to f32 rounding); 'central-differences' uses
// central differences of gradients along the unit direction v̂ = v/‖v‖:
//   Hv ≈ ‖v‖·(∇f(x + h·v̂) − ∇f(x − h·v̂)) / (2h),   h = ε^{1/3}·max(1, ‖x‖₂), ε = 2^-23.
// Error: truncation ≤ h²/6·‖∇³f‖·‖v‖ (zero for quadratics) plus rounding ≈
// ε·(‖x‖·‖∇²f‖ + ‖∇f‖)/h·‖v‖ from the f32 point and gradients, i.e. ~ε^{2/3} ≈ 2.6e-5
// relative for well-scaled problems. h scales with ‖x‖ so the perturbation of each
// coordinate stays ~ε^{1/3} relative to it, far above f32 rounding. On piecewise-linear
// networks (ReLU, max-pool) the difference also crosses kinks, an error that no step size
// removes (12–28 % on F1 checkpoints, issue 17): prefer 'exact' wherever obj.hvp exists.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError } from '../kernels/errors.js';
import { Rng } from '../util/rng.js';
import { symmetricEigen } from './dense.js';
import { NonFiniteObjectiveError } from './errors.js';
import { checkObjective, checkPoint, type Objective } from './objective.js';
import { VecOps, WVec, evaluate } from './vec.js';

const EPS_F32 = 2 ** -23;

export type HvpMethod = 'exact' | 'central-differences';

export interface HvpOptions {
  /** 'exact' (obj.hvp; the default when the objective has one) or 'central-differences' of gradients (the default otherwise). */
  method?: HvpMethod;
  /** Central-difference step h (absolute); default ε^{1/3}·max(1, ‖x‖₂). Only with 'central-differences'. */
  step?: number;
}

/** The Hessian at a fixed x as an operator on Wasm-resident vectors. */
export class HessianOperator {
  readonly n: number;
  /** Gradient evaluations spent (2 per central-difference product). */
  evaluations = 0;
  /** Products computed. */
  products = 0;
  readonly method: HvpMethod;
  /** The central-difference step (unused by 'exact'). */
  readonly step: number;
  private x: WVec; private xp: WVec; private gp: WVec; private gm: WVec;

  constructor(readonly ops: VecOps, readonly obj: Objective, x: Float32Array, options: HvpOptions = {}) {
    checkObjective(obj);
    this.n = obj.n;
    checkPoint('x', x, this.n);
    const method = options.method ?? (obj.hvp ? 'exact' : 'central-differences');
    if (method !== 'exact' && method !== 'central-differences') throw new KernelRangeError('method', `must be 'exact' or 'central-differences', got ${String(method)}`);
    if (method === 'exact' && !obj.hvp) throw new KernelRangeError('method', "'exact' needs an objective with hvp(x, v, out)");
    this.method = method;
    this.x = ops.from(x);
    this.xp = ops.alloc(this.n); this.gp = ops.alloc(this.n); this.gm = ops.alloc(this.n);
    const xnorm = Math.sqrt(ops.dot(this.x, this.x));
    this.step = options.step ?? Math.cbrt(EPS_F32) * Math.max(1, xnorm);
    if (!(this.step > 0) || !Number.isFinite(this.step)) throw new KernelRangeError('step', `must be a finite number > 0, got ${options.step}`);
  }

  /** out = ∇²f(x)·v. */
  apply(v: WVec, out: WVec): void {
    const { ops, obj } = this;
    this.products++;
    if (this.method === 'exact') {
      obj.hvp!(this.x.v, v.v, out.v);
      const m = ops.maxAbs(out);
      if (!Number.isFinite(m)) throw new NonFiniteObjectiveError('g', this.products, m);
      return;
    }
    const vnorm = Math.sqrt(ops.dot(v, v));
    if (vnorm === 0) { out.v.fill(0); return; }
    const h = this.step, a = h / vnorm;
    ops.addScaled(this.xp, this.x, a, v);
    evaluate(ops, obj, this.xp, this.gp, ++this.evaluations);
    ops.addScaled(this.xp, this.x, -a, v);
    evaluate(ops, obj, this.xp, this.gm, ++this.evaluations);
    ops.addScaled(out, this.gp, -1, this.gm);
    ops.scale(out, vnorm / (2 * h));
  }
}

/** ∇²f(x)·v as a new Float32Array. */
export function hessianVectorProduct(k: Kernels, obj: Objective, x: Float32Array, v: Float32Array, options: HvpOptions = {}): Float32Array {
  const ops = new VecOps(k);
  try {
    const H = new HessianOperator(ops, obj, x, options);
    checkPoint('v', v, H.n);
    const vw = ops.from(v), out = ops.alloc(H.n);
    H.apply(vw, out);
    return Float32Array.from(out.v);
  } finally {
    ops.dispose();
  }
}

export interface EigenOptions extends HvpOptions {
  /** How many eigenvalues (default 1). */
  count?: number;
  /** 'algebraic' (default): the largest λ; 'magnitude': the largest |λ| (what power iteration finds). */
  which?: 'algebraic' | 'magnitude';
  /** Lanczos steps (= Hessian-vector products) at most (default min(n, 100)); memory n·maxIter floats. */
  maxIter?: number;
  /** Converged when every wanted Ritz pair has ‖Hu − θu‖ ≤ tol·max(|θ|, ‖T‖·1e-12) (default 1e-4). */
  tol?: number;
  /** Seed of the random start vector (default 0). */
  seed?: number;
  /** Return the Ritz vectors (default true). */
  vectors?: boolean;
  /** Called after each Lanczos step with its number (from 1) and the current largest Ritz value (for progress). */
  onStep?: (step: number, top: number) => void;
}

export interface EigenResult {
  /** Eigenvalue estimates, largest first (by `which`). */
  values: number[];
  /** Unit Ritz vectors (present unless vectors: false). */
  vectors?: Float32Array[];
  /** Residual norms ‖Hu − θu‖ = |β_j·s_j| of each pair (Lanczos' own bound). */
  residuals: number[];
  /** Lanczos steps taken. */
  iterations: number;
  converged: boolean;
  /** Gradient evaluations (0 with exact products). */
  evaluations: number;
  /** How the Hessian-vector products were computed. */
  method: HvpMethod;
  /** Which end of the spectrum `values` are: the largest λ ('algebraic') or the largest |λ| ('magnitude'). */
  which: 'algebraic' | 'magnitude';
}

/**
 * The top eigenvalues of ∇²f(x) by Lanczos with full reorthogonalization (classical
 * Gram–Schmidt applied twice), checked via the Ritz residuals; a breakdown (invariant
 * subspace found) before `count` values restarts with a fresh random orthogonal vector.
 */
export function hessianTopEigenvalues(k: Kernels, obj: Objective, x: Float32Array, options: EigenOptions = {}): EigenResult {
  checkObjective(obj);
  const n = obj.n;
  const count = options.count ?? 1;
  if (!Number.isInteger(count) || count < 1 || count > n) throw new KernelRangeError('count', `must be an integer in [1, n = ${n}], got ${count}`);
  const maxIter = options.maxIter ?? Math.min(n, 100);
  if (!Number.isInteger(maxIter) || maxIter < count || maxIter > n) throw new KernelRangeError('maxIter', `must be an integer in [count = ${count}, n = ${n}], got ${maxIter}`);
  const tol = options.tol ?? 1e-4;
  if (!(tol > 0)) throw new KernelRangeError('tol', `must be > 0, got ${tol}`);
  const which = options.which ?? 'algebraic';
  if (which !== 'algebraic' && which !== 'magnitude') throw new KernelRangeError('which', `must be 'algebraic' or 'magnitude', got ${which}`);
  const rng = new Rng(options.seed ?? 0);

  const ops = new VecOps(k);
  try {
    const H = new HessianOperator(ops, obj, x, options);
    const Q: WVec[] = [];
    const alpha: number[] = [], beta: number[] = []; // beta[j] couples q_j and q_{j+1}
    const w = ops.alloc(n);
    const randomUnit = (): WVec => {
      // A random vector orthogonal to Q, normalized (null space exhausted → zero norm).
      const q = ops.alloc(n);
      for (let attempt = 0; attempt < 5; attempt++) {
        const qv = q.v;
        for (let i = 0; i < n; i++) qv[i] = rng.normal();
        orthogonalize(ops, q, Q);
        const nq = Math.sqrt(ops.dot(q, q));
        if (nq > 1e-6) { ops.scale(q, 1 / nq); return q; }
      }
      throw new KernelRangeError('count', 'could not find a direction orthogonal to the Krylov basis');
    };
    let q = randomUnit();
    let ritz = { values: [] as number[], s: [] as Float64Array[], resid: [] as number[] };
    let converged = false;
    for (let j = 0; j < maxIter; j++) {
      Q.push(q);
      H.apply(q, w);
      const a = ops.dot(q, w);
      alpha.push(a);
      ops.addScaled(w, w, -a, q);
      if (j > 0) ops.addScaled(w, w, -beta[j - 1], Q[j - 1]);
      orthogonalize(ops, w, Q);
      orthogonalize(ops, w, Q);
      const b = Math.sqrt(ops.dot(w, w));
      const m = j + 1;
      ritz = ritzPairs(alpha, beta, b, m, which);
      options.onStep?.(m, ritz.values[0]);
      const tnorm = ritz.values.reduce((s, v) => Math.max(s, Math.abs(v)), 0);
      const floor = 1e-12 * Math.max(tnorm, 1e-300);
      if (m >= count) {
        converged = true;
        for (let i = 0; i < count; i++) if (!(ritz.resid[i] <= tol * Math.max(Math.abs(ritz.values[i]), floor))) converged = false;
        if (converged) break;
      }
      if (j + 1 === maxIter) break;
      if (b <= floor) {
        // Invariant subspace: the Ritz values of T are exact eigenvalues. Continue in a fresh direction.
        if (m >= count) { converged = true; break; }
        beta.push(0);
        q = randomUnit();
      } else {
        beta.push(b);
        q = ops.alloc(n);
        ops.copy(q, w);
        ops.scale(q, 1 / b);
      }
    }
    const m = Q.length;
    const result: EigenResult = {
      values: ritz.values.slice(0, count), residuals: ritz.resid.slice(0, count),
      iterations: m, converged, evaluations: H.evaluations, method: H.method, which,
    };
    if (options.vectors !== false) {
      result.vectors = [];
      const u = ops.alloc(n);
      for (let i = 0; i < count; i++) {
        u.v.fill(0);
        for (let j = 0; j < m; j++) ops.addScaled(u, u, ritz.s[i][j], Q[j]);
        result.vectors.push(Float32Array.from(u.v));
      }
    }
    return result;
  } finally {
    ops.dispose();
  }
}

/** w −= Σ (q_iᵀw)·q_i (one classical Gram–Schmidt pass). */
export function orthogonalize(ops: VecOps, w: WVec, Q: WVec[]): void {
  const c = Q.map((q) => ops.dot(q, w));
  for (let i = 0; i < Q.length; i++) if (c[i] !== 0) ops.addScaled(w, w, -c[i], Q[i]);
}

/** Ritz values of the m×m tridiagonal T (sorted by `which`), their vectors s and residuals |b·s_m|. */
function ritzPairs(alpha: number[], beta: number[], b: number, m: number, which: 'algebraic' | 'magnitude') {
  const T = new Float64Array(m * m);
  for (let i = 0; i < m; i++) {
    T[i * m + i] = alpha[i];
    if (i + 1 < m) { T[i * m + i + 1] = beta[i]; T[(i + 1) * m + i] = beta[i]; }
  }
  const { values, vectors } = symmetricEigen(T, m);
  const order = Array.from({ length: m }, (_, i) => i)
    .sort((i, j) => (which === 'algebraic' ? values[j] - values[i] : Math.abs(values[j]) - Math.abs(values[i])));
  return {
    values: order.map((i) => values[i]),
    s: order.map((i) => Float64Array.from({ length: m }, (_, r) => vectors[r * m + i])),
    resid: order.map((i) => Math.abs(b * vectors[(m - 1) * m + i])),
  };
}

export interface TraceOptions extends HvpOptions {
  /** Most Rademacher samples (default 100). */
  maxSamples?: number;
  /** Fewest samples before the rtol stop is considered (default 10). */
  minSamples?: number;
  /** Stop once stdError ≤ rtol·|estimate| (default 1e-2). */
  rtol?: number;
  seed?: number;
  /** Called after each sample with its number (from 1) and the running estimate (for progress). */
  onSample?: (sample: number, estimate: number) => void;
}

export interface TraceResult {
  /** Mean of vᵀHv over the samples (an unbiased estimate of tr H). */
  estimate: number;
  /** Standard error of the mean (sample std / √samples; 0 with one sample). */
  stdError: number;
  samples: number;
  converged: boolean;
  evaluations: number;
  method: HvpMethod;
}

/** tr ∇²f(x) by Hutchinson's estimator E[vᵀHv] with Rademacher v (seeded). */
export function hessianTrace(k: Kernels, obj: Objective, x: Float32Array, options: TraceOptions = {}): TraceResult {
  checkObjective(obj);
  const n = obj.n;
  const maxSamples = options.maxSamples ?? 100;
  const minSamples = Math.min(options.minSamples ?? 10, maxSamples);
  if (!Number.isInteger(maxSamples) || maxSamples < 1) throw new KernelRangeError('maxSamples', `must be an integer ≥ 1, got ${maxSamples}`);
  if (!Number.isInteger(minSamples) || minSamples < 1) throw new KernelRangeError('minSamples', `must be an integer ≥ 1, got ${minSamples}`);
  const rtol = options.rtol ?? 1e-2;
  if (!(rtol >= 0)) throw new KernelRangeError('rtol', `must be ≥ 0, got ${rtol}`);
  const rng = new Rng(options.seed ?? 0);
  const ops = new VecOps(k);
  try {
    const H = new HessianOperator(ops, obj, x, options);
    const v = ops.alloc(n), hv = ops.alloc(n);
    let mean = 0, m2 = 0, s = 0, converged = false;
    while (s < maxSamples) {
      const vv = v.v;
      for (let i = 0; i < n; i += 32) {
        let bits = rng.nextU32();
        for (let t = i; t < Math.min(n, i + 32); t++, bits >>>= 1) vv[t] = bits & 1 ? 1 : -1;
      }
      H.apply(v, hv);
      const z = ops.dot(v, hv);
      s++;
      const d = z - mean;
      mean += d / s;
      m2 += d * (z - mean);
      options.onSample?.(s, mean);
      const se = s > 1 ? Math.sqrt(m2 / (s - 1) / s) : 0;
      if (s >= minSamples && se <= rtol * Math.abs(mean)) { converged = true; break; }
    }
    return { estimate: mean, stdError: s > 1 ? Math.sqrt(m2 / (s - 1) / s) : 0, samples: s, converged, evaluations: H.evaluations, method: H.method };
  } finally {
    ops.dispose();
  }
}
