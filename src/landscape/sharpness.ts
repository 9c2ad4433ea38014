// The sharpness metric of Keskar et al. 2017, §2.2 (PAPER.md):
//
//   C_ε = { y ∈ Rᵖ : |y_i| ≤ ε(|(A⁺x)_i| + 1) }
//   φ_{x,f}(ε, A) = ( max_{y ∈ C_ε} f(x + A·y) − f(x) ) / ( 1 + f(x) ) × 100
//
// Full space: A = Iₙ (y is a perturbation of x, half-widths ε(|x_i| + 1)). Random
// subspace: A is the n×p matrix of RandomSubspace (entries uniform on (−√3, √3), variance
// 1; generated from a seed, never stored), A⁺x by a Cholesky solve on AᵀA.
// The inner maximization runs L-BFGS-B on −f(x + A·y) for maxIter iterations (the paper
// uses 10), starting at y = 0 — the paper does not state its start; y = 0 is feasible,
// deterministic and makes φ ≥ 0 since L-BFGS-B never increases the objective. A random
// start inside the box is available (`start: { seed }`), or at a random corner of it
// (`start: { seed, at: 'corner' }`: every y_i = ±half-width, signs from the seed).
// The unstated choices the sensitivity study varies (issue 16) are options here: A's
// distribution and column scaling (`subspace` as a SubspaceBasis, subspace_basis.ts) and the
// box itself (`boxScale`: half-widths ε·s_i in the full space, e.g. filter-normalized scales).
// Precision: x + A·y is formed in f32, so the realized perturbation carries a relative
// rounding error ≈ 2^-24·|x_i|/|y_i| (≈ 6e-5 at ε = 1e-3); f is evaluated exactly there.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';
import { Rng } from '../util/rng.js';
import { minimizeLbfgsb, type LbfgsbStopReason } from './lbfgsb.js';
import { checkObjective, checkPoint, type Objective } from './objective.js';
import { RandomSubspace } from './randproj.js';
import { isSubspaceBasis, type SubspaceBasis } from './subspace_basis.js';
import { PerturbedObjective } from './perturbation.js';
import { VecOps } from './vec.js';

export interface SharpnessOptions {
  /** Box radius ε (default 1e-3; the paper also uses 5e-4). */
  eps?: number;
  /** Random subspace A (n×p, default p = 100; or any SubspaceBasis); omitted → full space A = I. */
  subspace?: { p?: number; seed: number } | SubspaceBasis;
  /** L-BFGS-B iterations for the inner maximization (default 10, as in the paper). */
  maxIter?: number;
  /** L-BFGS-B memory (default 10). */
  m?: number;
  /** Start of the inner maximization: 'zero' (default), a uniform random point of C_ε, or a random corner of C_ε (at: 'corner'). */
  start?: 'zero' | { seed: number; at?: 'inside' | 'corner' };
  /**
   * Full space only: half-widths ε·boxScale[i] instead of the paper's ε(|x_i| + 1) (length n,
   * finite, ≥ 0; a 0 holds that coordinate fixed).
   */
  boxScale?: Float32Array;
  /** Called after each L-BFGS-B iteration with its number and φ (percent) at the iterate so far. */
  onIteration?: (iteration: number, phi: number) => void;
}

export interface SharpnessResult {
  /** φ in percent. */
  phi: number;
  /** f(x). */
  f0: number;
  /** The largest f(x + A·y) found over C_ε. */
  fmax: number;
  /** The maximizing y (length n in full space, p in a subspace). */
  y: Float32Array;
  /** Half-widths of C_ε, ε(|(A⁺x)_i| + 1). */
  halfWidths: Float32Array;
  iterations: number;
  /** Objective evaluations in total (one per f and ∇f pair). */
  evaluations: number;
  reason: LbfgsbStopReason;
  /** f(x + A·y) at L-BFGS-B's final iterate (= fmax unless a random start ended below f(x)). */
  fFinal: number;
  /** ‖P(y − ∇h) − y‖∞ of h(y) = −f(x + A·y) at the final iterate: 0 at a box-constrained stationary point. */
  projGradNorm: number;
}

export function sharpness(k: Kernels, obj: Objective, x: Float32Array, options: SharpnessOptions = {}): SharpnessResult {
  checkObjective(obj);
  const n = obj.n;
  checkPoint('x', x, n);
  const eps = options.eps ?? 1e-3;
  if (typeof eps !== 'number' || !(eps > 0) || !Number.isFinite(eps)) throw new KernelRangeError('eps', `must be a finite number > 0, got ${eps}`);
  const maxIter = options.maxIter ?? 10;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new KernelRangeError('maxIter', `must be an integer ≥ 1, got ${maxIter}`);
  let sub: RandomSubspace | SubspaceBasis | null = null;
  if (isSubspaceBasis(options.subspace)) {
    if (options.subspace.n !== n) throw new KernelRangeError('subspace', `has n = ${options.subspace.n}, the objective n = ${n}`);
    sub = options.subspace;
  } else if (options.subspace !== undefined) {
    if (typeof options.subspace !== 'object' || options.subspace === null) throw new KernelTypeError('subspace', 'must be { p?, seed } or a SubspaceBasis');
    const p = options.subspace.p ?? 100;
    if (!Number.isInteger(p) || p < 1) throw new KernelRangeError('subspace.p', `must be an integer ≥ 1, got ${p}`);
    if (p > n) throw new KernelRangeError('subspace.p', `must be ≤ n = ${n} (A⁺ needs full column rank), got ${p}`);
    sub = new RandomSubspace(k, n, p, options.subspace.seed);
  }
  const dim = sub ? sub.p : n;

  // Half-widths of C_ε.
  const w = new Float32Array(dim);
  if (options.boxScale !== undefined) {
    const s = options.boxScale;
    if (sub) throw new KernelRangeError('boxScale', 'applies to the full space only (no subspace)');
    if (!(s instanceof Float32Array) || s.length !== n) throw new KernelRangeError('boxScale', `must be a Float32Array of length n = ${n}`);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(s[i]) || s[i] < 0) throw new KernelRangeError('boxScale', `entry ${i} is ${s[i]} (must be finite and ≥ 0)`);
      w[i] = Math.fround(eps * s[i]);
    }
  } else {
    const center: ArrayLike<number> = sub ? sub.pinv(x) : x;
    for (let i = 0; i < dim; i++) w[i] = Math.fround(eps * (Math.abs(center[i]) + 1));
  }
  const lower = Float32Array.from(w, (v) => -v);

  const ops = new VecOps(k);
  try {
    // h(y) = −f(x + A·y): L-BFGS-B minimizes it over C_ε.
    const inner = new PerturbedObjective(k, ops, obj, x, sub, -1);
    let y0 = new Float32Array(dim);
    let f0: number;
    if (options.start === undefined || options.start === 'zero') {
      f0 = NaN; // taken from the first inner evaluation, which is at y = 0 (x + A·0 = x exactly)
    } else {
      if (typeof options.start !== 'object' || options.start === null || !Number.isInteger(options.start.seed)) throw new KernelTypeError('start', "must be 'zero' or { seed: integer, at?: 'inside' | 'corner' }");
      const at = options.start.at ?? 'inside';
      if (at !== 'inside' && at !== 'corner') throw new KernelRangeError('start.at', `must be 'inside' or 'corner', got ${String(at)}`);
      const rng = new Rng(options.start.seed);
      if (at === 'inside') y0 = Float32Array.from(w, (v) => Math.fround((2 * rng.uniform() - 1) * v));
      else {
        for (let i = 0; i < dim; i += 32) {
          let bits = rng.nextU32();
          for (let t = i; t < Math.min(dim, i + 32); t++, bits >>>= 1) y0[t] = bits & 1 ? w[t] : -w[t];
        }
      }
      f0 = -inner.evalGrad(new Float32Array(dim), new Float32Array(dim));
    }
    const onIteration = options.onIteration;
    const r = minimizeLbfgsb(k, inner, y0, {
      lower, upper: w, maxIter, m: options.m, pgtol: 0, ftol: 0,
      onIteration: onIteration && ((it, h) => {
        const fx = Number.isNaN(f0) ? inner.firstValue : f0;
        onIteration(it, ((Math.max(-h, fx) - fx) / (1 + fx)) * 100);
      }),
    });
    if (Number.isNaN(f0)) f0 = inner.firstValue;
    if (1 + f0 === 0) throw new KernelRangeError('obj', 'f(x) = −1 makes φ undefined (it divides by 1 + f(x))');
    // y = 0 lies in C_ε, so the maximum is at least f(x) (matters only for a random start).
    const atCenter = f0 > -r.f;
    const fmax = atCenter ? f0 : -r.f;
    return {
      phi: ((fmax - f0) / (1 + f0)) * 100,
      f0, fmax, y: atCenter ? new Float32Array(dim) : r.x, halfWidths: w,
      iterations: r.iterations, evaluations: inner.evaluations, reason: r.reason,
      fFinal: -r.f, projGradNorm: r.projGradNorm,
    };
  } finally {
    ops.dispose();
  }
}

