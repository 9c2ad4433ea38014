// L-BFGS-B: limited-memory BFGS for min f(x) subject to lo ≤ x ≤ hi
// (Byrd, Lu, Nocedal, Zhu 1995, "A limited memory algorithm for bound constrained
// optimization"; with the subspace-step projection of Morales & Nocedal 2011, v3.0).
//
// Each iteration:
//  1. Generalized Cauchy point (GCP): the first local minimizer of the quadratic model
//     m(x) = f + gᵀ(x−x_k) + ½(x−x_k)ᵀB(x−x_k) along the projected steepest-descent path
//     x(t) = P(x_k − t·g), scanning the breakpoints in increasing t (ties in index order),
//     put in order lazily: bucketed by the top bits of t, a bucket sorted only when the
//     scan reaches it. B in
//     the compact representation B = θI − W·M·Wᵀ, W = [Y, θS] (n×2m),
//     M = [[−D, Lᵀ], [L, θSᵀS]]⁻¹ (Byrd, Nocedal, Schnabel 1994).
//  2. Subspace minimization over the variables free at the GCP (direct primal method,
//     Sherman–Morrison–Woodbury on the reduced B̂ = θI − ZᵀWMWᵀZ), the result projected
//     onto the box; if the projected step is not a descent direction, the step is
//     truncated at the box instead (v3.0 rule).
//  3. A line search along d = x̄ − x_k satisfying the strong Wolfe conditions
//     (c1 = 1e-3, c2 = 0.9, bracketing + safeguarded cubic zoom), with the step bounded
//     so x_k + t·d stays in the box (first iteration: t ≤ 1, and t0 = 1/‖d‖ when unboxed).
//  4. The pair (s, y) is stored unless sᵀy ≤ ε·yᵀy (ε = 2.2e-16), which keeps B positive
//     definite; θ = yᵀy/sᵀy.
// Vectors (x, g, S, Y, bounds) live in Wasm memory and all n-length dots/axpys/projections
// run in the SIMD kernels, as do the O(n) passes of an iteration — the breakpoints, their
// order, the free/active split and WᵀZZᵀW (assembly/lbfgsb.ts, the same f64 arithmetic in
// the same order as the JS loops they replaced); small 2m×2m matrices are f64 in JS; the
// scan over the breakpoints it passes is a JS loop (inherently sequential).
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';
import { invert, matVec } from './dense.js';
import { checkObjective, type Objective } from './objective.js';
import { VecOps, WVec, evaluate } from './vec.js';

export type LbfgsbStopReason =
  | 'pgtol'            // ‖P(x − g) − x‖∞ ≤ pgtol (converged)
  | 'ftol'             // relative reduction (f_k − f_{k+1})/max(|f_k|, |f_{k+1}|, 1) ≤ ftol (converged)
  | 'maxIter'
  | 'maxEval'
  | 'lineSearchFailed' // no sufficient decrease even along the steepest-descent path
  | 'noDescent';       // the model direction is not a descent direction even with B = I

export interface LbfgsbOptions {
  /** Lower bounds: a Float32Array of length n or one number for all (default −Infinity). */
  lower?: Float32Array | number;
  /** Upper bounds (default +Infinity). */
  upper?: Float32Array | number;
  /** Number of stored correction pairs (default 10). */
  m?: number;
  /** Maximum iterations (default 1000). */
  maxIter?: number;
  /** Maximum objective evaluations (default 20·maxIter + 20). */
  maxEval?: number;
  /** Projected-gradient ∞-norm tolerance (default 1e-5). */
  pgtol?: number;
  /** Relative-reduction tolerance, scipy's factr·ε_mach (default 1e7·2.2e-16 ≈ 2.2e-9). */
  ftol?: number;
  /** Called after each iteration with its number (from 1) and the objective there (for progress). */
  onIteration?: (iteration: number, f: number) => void;
}

export interface LbfgsbResult {
  /** The final iterate (a copy outside Wasm memory). */
  x: Float32Array;
  f: number;
  /** ‖P(x − g) − x‖∞ at x (NaN if the run ended on a point whose gradient was not kept). */
  projGradNorm: number;
  iterations: number;
  evaluations: number;
  converged: boolean;
  reason: LbfgsbStopReason;
}

const EPS = 2.220446049250313e-16;
const C1 = 1e-3, C2 = 0.9;
const MAX_LS_EVALS = 20;

/** Minimizes obj over the box [lower, upper] starting from x0 (projected onto the box). */
export function minimizeLbfgsb(k: Kernels, obj: Objective, x0: Float32Array, options: LbfgsbOptions = {}): LbfgsbResult {
  checkObjective(obj);
  const n = obj.n;
  if (!(x0 instanceof Float32Array)) throw new KernelTypeError('x0', 'must be a Float32Array');
  if (x0.length !== n) throw new KernelRangeError('x0', `must have length n = ${n}, got ${x0.length}`);
  for (let i = 0; i < n; i++) if (Number.isNaN(x0[i])) throw new KernelRangeError('x0', `entry ${i} is NaN`);
  const m = intOption('m', options.m, 10, 1);
  const maxIter = intOption('maxIter', options.maxIter, 1000, 0);
  const maxEval = intOption('maxEval', options.maxEval, 20 * maxIter + 20, 1);
  const pgtol = numOption('pgtol', options.pgtol, 1e-5);
  const ftol = numOption('ftol', options.ftol, 1e7 * EPS);

  const ops = new VecOps(k);
  try {
    const lo = boundVec(ops, 'lower', options.lower, n, -Infinity);
    const hi = boundVec(ops, 'upper', options.upper, n, Infinity);
    const lov = lo.v, hiv = hi.v;
    let constrained = false, boxed = true;
    for (let i = 0; i < n; i++) {
      if (lov[i] > hiv[i]) throw new KernelRangeError('lower', `lower[${i}] = ${lov[i]} exceeds upper[${i}] = ${hiv[i]}`);
      const fl = lov[i] > -Infinity, fu = hiv[i] < Infinity;
      if (fl || fu) constrained = true;
      if (!(fl && fu)) boxed = false;
    }
    const solver = new Solver(ops, obj, n, m, lo, hi, constrained, boxed, maxIter, maxEval, pgtol, ftol, options.onIteration);
    return solver.run(x0);
  } finally {
    ops.dispose();
  }
}

function intOption(name: string, v: number | undefined, def: number, min: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new KernelRangeError(name, `must be an integer ≥ ${min}, got ${v}`);
  return v;
}

function numOption(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (typeof v !== 'number' || !(v >= 0)) throw new KernelRangeError(name, `must be a number ≥ 0, got ${v}`);
  return v;
}

function boundVec(ops: VecOps, name: string, b: Float32Array | number | undefined, n: number, def: number): WVec {
  if (b === undefined) return ops.alloc(n, def);
  if (typeof b === 'number') {
    if (Number.isNaN(b)) throw new KernelRangeError(name, 'is NaN');
    return ops.alloc(n, b);
  }
  if (!(b instanceof Float32Array)) throw new KernelTypeError(name, 'must be a Float32Array or a number');
  if (b.length !== n) throw new KernelRangeError(name, `must have length n = ${n}, got ${b.length}`);
  for (let i = 0; i < n; i++) if (Number.isNaN(b[i])) throw new KernelRangeError(name, `entry ${i} is NaN`);
  return ops.from(b);
}

class Solver {
  // Working vectors in Wasm memory.
  private x: WVec; private g: WVec; private xOld: WVec; private gOld: WVec;
  private d: WVec; private xcp: WVec; private r: WVec; private sTmp: WVec; private yTmp: WVec;
  // Correction pairs, oldest first (logical order); buffers are swapped, never copied.
  private S: WVec[] = []; private Y: WVec[] = [];
  private spare: { s: WVec; y: WVec }[] = [];
  // f64 small matrices over the stored pairs: SY[i][j] = s_iᵀy_j, SS, YY.
  private SY: number[][] = []; private SS: number[][] = []; private YY: number[][] = [];
  private theta = 1;
  private M: Float64Array | null = null; // 2col × 2col
  private evals = 0;
  private f = 0;
  // Cauchy-scan buffers (assembly/lbfgsb.ts): breakpoint keys (f64) and indices (i32), the
  // bucketed copies, bucket starts, radix counts, and a stats word; sized 0 when unconstrained.
  private keys: WVec; private idx: WVec; private keys2: WVec; private idx2: WVec;
  private bstart: WVec; private count: WVec; private stats: WVec;
  private readonly buckets: number;
  // The 2m pointers of Y_j, S_j (i32); f64 scratch: the Gram kernel's rows of W, a 2m×2m
  // matrix (WᵀZZᵀW, or M for the scan), and the scan's p, cv, w_b, M·w_b and state.
  private wPtrs: WVec; private gramWork: WVec; private mat: WVec; private scanP: WVec;
  private scanCv: WVec; private scanW: WVec; private scanTmp: WVec; private scanSt: WVec;

  constructor(
    private ops: VecOps, private obj: Objective, private n: number, private m: number,
    private lo: WVec, private hi: WVec, private constrained: boolean, private boxed: boolean,
    private maxIter: number, private maxEval: number, private pgtol: number, private ftol: number,
    private onIteration: ((iteration: number, f: number) => void) | undefined,
  ) {
    this.x = ops.alloc(n); this.g = ops.alloc(n); this.xOld = ops.alloc(n); this.gOld = ops.alloc(n);
    this.d = ops.alloc(n); this.xcp = ops.alloc(n); this.r = ops.alloc(n);
    this.sTmp = ops.alloc(n); this.yTmp = ops.alloc(n);
    for (let i = 0; i < m; i++) this.spare.push({ s: ops.alloc(n), y: ops.alloc(n) });
    const nbMax = constrained ? n : 0;
    this.keys = ops.alloc(2 * nbMax); this.idx = ops.alloc(nbMax);
    this.keys2 = ops.alloc(2 * nbMax); this.idx2 = ops.alloc(nbMax);
    this.buckets = ops.k.exports.lbfgsb_buckets();
    this.bstart = ops.alloc(constrained ? this.buckets + 1 : 0);
    this.count = ops.alloc(256); this.stats = ops.alloc(1);
    this.wPtrs = ops.alloc(2 * m); this.mat = ops.alloc(8 * m * m);
    this.gramWork = ops.alloc(ops.k.exports.lbfgsb_gram_workspace_bytes(m) / 4);
    this.scanP = ops.alloc(4 * m); this.scanCv = ops.alloc(4 * m); this.scanW = ops.alloc(4 * m);
    this.scanTmp = ops.alloc(4 * m); this.scanSt = ops.alloc(16);
  }

  private get col(): number { return this.S.length; }

  private evalAt(x: WVec, g: WVec): number {
    const f = evaluate(this.ops, this.obj, x, g, this.evals + 1);
    this.evals++;
    return f;
  }

  private result(reason: LbfgsbStopReason, iterations: number, pg: number): LbfgsbResult {
    return {
      x: Float32Array.from(this.x.v), f: this.f, projGradNorm: pg, iterations, evaluations: this.evals,
      converged: reason === 'pgtol' || reason === 'ftol', reason,
    };
  }

  run(x0: Float32Array): LbfgsbResult {
    const { ops, x, g, lo, hi } = this;
    x.v.set(x0);
    ops.project(x, lo, hi); // an infeasible start is projected onto the box
    this.f = this.evalAt(x, g);
    let pg = ops.projGradNormInf(x, g, lo, hi);
    if (pg <= this.pgtol) return this.result('pgtol', 0, pg);
    let iter = 0;
    while (true) {
      if (iter >= this.maxIter) return this.result('maxIter', iter, pg);
      if (this.evals >= this.maxEval) return this.result('maxEval', iter, pg);
      // Steps 1–2: the model's minimizer x̄ (in xcp), direction d = x̄ − x.
      this.cauchyPoint();
      if (this.col > 0) this.subspaceMin();
      ops.addScaled(this.d, this.xcp, -1, x);
      const gd = ops.dot(g, this.d);
      if (!(gd < 0)) {
        if (this.col > 0) { this.resetMemory(); continue; }
        return this.result('noDescent', iter, pg);
      }
      // Step 3: line search.
      ops.copy(this.xOld, x); ops.copy(this.gOld, g);
      const f0 = this.f;
      let stpmax = 1e10;
      if (this.constrained) stpmax = iter === 0 ? 1 : Math.max(1, ops.maxStep(x, this.d, lo, hi));
      const dnorm = Math.sqrt(ops.dot(this.d, this.d));
      const stp0 = iter === 0 && !this.boxed ? Math.min(1 / dnorm, stpmax) : 1;
      const ls = this.lineSearch(f0, gd, stp0, stpmax);
      if (ls === 'budget') {
        pg = NaN;
        return this.result('maxEval', iter, pg);
      }
      if (ls === 'failed') {
        ops.copy(x, this.xOld); ops.copy(g, this.gOld); this.f = f0;
        if (this.col > 0) { this.resetMemory(); continue; }
        return this.result('lineSearchFailed', iter, pg);
      }
      iter++;
      this.onIteration?.(iter, this.f);
      // Step 4: the correction pair.
      ops.addScaled(this.sTmp, x, -1, this.xOld);
      ops.addScaled(this.yTmp, g, -1, this.gOld);
      const sy = ops.dot(this.sTmp, this.yTmp), yy = ops.dot(this.yTmp, this.yTmp);
      if (sy > EPS * yy) this.addPair(sy, yy);
      pg = ops.projGradNormInf(x, g, lo, hi);
      if ((f0 - this.f) / Math.max(Math.abs(f0), Math.abs(this.f), 1) <= this.ftol) return this.result('ftol', iter, pg);
      if (pg <= this.pgtol) return this.result('pgtol', iter, pg);
    }
  }

  private resetMemory(): void {
    for (let i = 0; i < this.S.length; i++) this.spare.push({ s: this.S[i], y: this.Y[i] });
    this.S = []; this.Y = []; this.SY = []; this.SS = []; this.YY = [];
    this.theta = 1; this.M = null;
  }

  /** Appends (sTmp, yTmp) as the newest pair, dropping the oldest when m are stored. */
  private addPair(sy: number, yy: number): void {
    const { ops } = this;
    if (this.col === this.m) {
      this.spare.push({ s: this.S.shift()!, y: this.Y.shift()! });
      for (const A of [this.SY, this.SS, this.YY]) { A.shift(); for (const row of A) row.shift(); }
    }
    const slot = this.spare.pop()!;
    // Swap buffers: the temporaries become the stored pair.
    this.S.push(this.sTmp); this.Y.push(this.yTmp);
    this.sTmp = slot.s; this.yTmp = slot.y;
    const c = this.col, s = this.S[c - 1], y = this.Y[c - 1];
    for (const A of [this.SY, this.SS, this.YY]) { for (const row of A) row.push(0); A.push(new Array(c).fill(0)); }
    for (let i = 0; i < c; i++) {
      this.SY[i][c - 1] = i === c - 1 ? sy : ops.dot(this.S[i], y);
      this.SY[c - 1][i] = i === c - 1 ? sy : ops.dot(s, this.Y[i]);
      this.SS[i][c - 1] = this.SS[c - 1][i] = ops.dot(this.S[i], s);
      this.YY[i][c - 1] = this.YY[c - 1][i] = i === c - 1 ? yy : ops.dot(this.Y[i], y);
    }
    this.theta = yy / sy;
    this.formM();
  }

  /** M = [[−D, Lᵀ], [L, θSᵀS]]⁻¹; a singular middle matrix drops the memory. */
  private formM(): void {
    const c = this.col, k2 = 2 * c, K = new Float64Array(k2 * k2);
    for (let i = 0; i < c; i++) {
      K[i * k2 + i] = -this.SY[i][i];
      for (let j = 0; j < c; j++) {
        if (i > j) { K[(c + i) * k2 + j] = this.SY[i][j]; K[j * k2 + c + i] = this.SY[i][j]; }
        K[(c + i) * k2 + c + j] = this.theta * this.SS[i][j];
      }
    }
    const M = invert(K, k2);
    if (!M) { this.resetMemory(); return; }
    this.M = M;
  }

  /** The pointers of Y_0..Y_{c−1}, S_0..S_{c−1} in wPtrs, for the kernels that read rows of W. */
  private setWPtrs(): void {
    const c = this.col;
    const ptrs = new Int32Array(this.ops.k.memory.buffer, this.wPtrs.ptr, 2 * c);
    for (let j = 0; j < c; j++) { ptrs[j] = this.Y[j].ptr; ptrs[c + j] = this.S[j].ptr; }
  }

  /** Wᵀv for an n-vector v in Wasm memory (2·col SIMD dots). */
  private wT(v: WVec): Float64Array {
    const c = this.col, out = new Float64Array(2 * c);
    for (let j = 0; j < c; j++) { out[j] = this.ops.dot(this.Y[j], v); out[c + j] = this.theta * this.ops.dot(this.S[j], v); }
    return out;
  }

  /** out += alpha·W·u (u of length 2·col), SIMD scaled adds. */
  private addW(out: WVec, alpha: number, u: Float64Array): void {
    const c = this.col;
    for (let j = 0; j < c; j++) {
      if (u[j] !== 0) this.ops.addScaled(out, out, alpha * u[j], this.Y[j]);
      if (u[c + j] !== 0) this.ops.addScaled(out, out, alpha * this.theta * u[c + j], this.S[j]);
    }
  }

  // The GCP; leaves it in xcp and c = Wᵀ(xcp − x) in this.cVec.
  private cVec = new Float64Array(0);
  private cauchyPoint(): void {
    const { n, ops } = this;
    const e = ops.k.exports;
    const c = this.col, k2 = 2 * c, theta = this.theta, M = this.M;
    const { x, g, lo, hi, d, keys, idx, keys2, idx2 } = this;
    // t_i, d_i = 0 where t_i = 0 else −g_i; the finite positive t_i in (keys, idx).
    const nb = e.lbfgsb_breakpoints_f32(x.ptr, g.ptr, lo.ptr, hi.ptr, d.ptr, n, keys.ptr, idx.ptr, this.stats.ptr);
    const nUnboundedMoving = new Int32Array(ops.k.memory.buffer, this.stats.ptr, 1)[0];
    const p = this.wT(d);
    const cv = new Float64Array(k2);
    const fp = -ops.dot(d, d);
    const Mp = M ? matVec(M, k2, p) : new Float64Array(0);
    const fpp = -theta * fp - dotArr(p, Mp);
    const fpp0 = fpp;
    if (fp >= 0) { this.xcp.v.set(x.v); this.cVec = cv; return; } // d = 0: x is already stationary in the box
    // The scan (Wasm; the order put in place lazily: (keys2, idx2) bucketed by the top 16
    // bits of t, each bucket sorted when the scan reaches it).
    if (nb > 0) e.lbfgsb_bucket_f64(keys.ptr, idx.ptr, nb, keys2.ptr, idx2.ptr, this.bstart.ptr);
    const buf = ops.k.memory.buffer;
    const pW = new Float64Array(buf, this.scanP.ptr, k2), cvW = new Float64Array(buf, this.scanCv.ptr, k2);
    pW.set(p); cvW.fill(0);
    if (M) new Float64Array(buf, this.mat.ptr, k2 * k2).set(M);
    this.setWPtrs();
    const st = new Float64Array(buf, this.scanSt.ptr, 7);
    st[0] = fp; st[1] = fpp; st[2] = fpp0; st[3] = -fp / fpp; st[4] = 0; st[5] = theta; st[6] = nUnboundedMoving;
    const next = e.lbfgsb_cauchy_scan_f32(
      keys2.ptr, idx2.ptr, nb, this.bstart.ptr, keys.ptr, idx.ptr, this.count.ptr,
      x.ptr, g.ptr, lo.ptr, hi.ptr, this.wPtrs.ptr, c, this.mat.ptr, this.scanP.ptr, this.scanCv.ptr,
      this.scanW.ptr, this.scanTmp.ptr, this.scanSt.ptr,
    );
    let dtm = st[3], tOld = st[4];
    p.set(pW); cv.set(cvW);
    dtm = Math.max(0, dtm);
    tOld += dtm;
    // xcp = x + tOld·d, then the passed coordinates (idx2[0..next)) at their bounds.
    ops.addScaled(this.xcp, x, tOld, d);
    if (next > 0) e.lbfgsb_set_at_bound_f32(this.xcp.ptr, idx2.ptr, next, g.ptr, lo.ptr, hi.ptr);
    ops.project(this.xcp, lo, hi);
    for (let j = 0; j < k2; j++) cv[j] += dtm * p[j];
    this.cVec = cv;
  }

  /** Direct primal subspace minimization over the variables free at the GCP; result in xcp. */
  private subspaceMin(): void {
    const { n, ops } = this;
    const c = this.col, k2 = 2 * c, theta = this.theta, M = this.M!;
    const e = ops.k.exports;
    const { xcp, lo, hi } = this;
    // Z: the coordinates free at the GCP, lo_i < xcp_i < hi_i.
    const nFree = e.lbfgsb_count_free_f32(xcp.ptr, lo.ptr, hi.ptr, n);
    if (nFree === 0) return;
    // r = Zᵀ(g + θ(xcp − x) − W·M·c), kept as an n-vector that is zero on the active set.
    const { r } = this;
    ops.addScaled(r, this.xcp, -1, this.x);
    ops.scale(r, theta);
    ops.addScaled(r, r, 1, this.g);
    this.addW(r, -1, matVec(M, k2, this.cVec));
    e.lbfgsb_zero_active_f32(r.ptr, xcp.ptr, lo.ptr, hi.ptr, n);
    // v = M·WᵀZ·r;  N = I − (1/θ)·M·WᵀZZᵀW;  v ← N⁻¹v.
    const v = matVec(M, k2, this.wT(r));
    const WZZW = this.freeGram(nFree);
    const N = new Float64Array(k2 * k2);
    for (let i = 0; i < k2; i++) {
      for (let j = 0; j < k2; j++) {
        let s = 0;
        for (let t = 0; t < k2; t++) s += M[i * k2 + t] * WZZW[t * k2 + j];
        N[i * k2 + j] = (i === j ? 1 : 0) - s / theta;
      }
    }
    const Ninv = invert(N, k2);
    if (!Ninv) return; // keep the GCP
    const w = matVec(Ninv, k2, v);
    // du = −(1/θ)·r − (1/θ²)·ZᵀW·w, in r.
    ops.scale(r, -1 / theta);
    this.addW(r, -1 / (theta * theta), w);
    e.lbfgsb_zero_active_f32(r.ptr, xcp.ptr, lo.ptr, hi.ptr, n);
    // Projected step x̄ = P(xcp + du); if not a descent direction from x, truncate at the box.
    ops.addScaled(this.sTmp, this.xcp, 1, r);
    ops.project(this.sTmp, this.lo, this.hi);
    ops.addScaled(this.yTmp, this.sTmp, -1, this.x);
    if (ops.dot(this.yTmp, this.g) < 0) {
      ops.copy(this.xcp, this.sTmp);
    } else {
      const alpha = Math.min(1, ops.maxStep(this.xcp, r, this.lo, this.hi));
      ops.addScaled(this.xcp, this.xcp, alpha, r);
      ops.project(this.xcp, this.lo, this.hi);
    }
  }

  /**
   * WᵀZZᵀW = Σ_{i free} w_i w_iᵀ, summed (in Wasm, increasing i) over the smaller of the
   * free and the active set: WᵀW − Σ_{i active} w_i w_iᵀ when the active set is smaller.
   * Only the upper triangle is summed (and mirrored) when that gives the same bits as the
   * full square: the start matrix has no −0 and every row w_i is finite (Y_j is finite iff
   * YᵀY's diagonal is, θS_j if θ²SᵀS's is).
   */
  private freeGram(nFree: number): Float64Array {
    const { n, ops } = this;
    const c = this.col, k2 = 2 * c, th = this.theta;
    const buf = ops.k.memory.buffer;
    const G = new Float64Array(buf, this.mat.ptr, k2 * k2);
    this.setWPtrs();
    const useFree = nFree <= n - nFree;
    if (useFree) {
      G.fill(0);
    } else {
      // WᵀW = [[YᵀY, θYᵀS], [θSᵀY, θ²SᵀS]] from the maintained inner products.
      for (let i = 0; i < c; i++) for (let j = 0; j < c; j++) {
        G[i * k2 + j] = this.YY[i][j];
        G[i * k2 + c + j] = th * this.SY[j][i];
        G[(c + i) * k2 + j] = th * this.SY[i][j];
        G[(c + i) * k2 + c + j] = th * th * this.SS[i][j];
      }
    }
    let tri = true;
    for (let j = 0; j < k2 * k2; j++) if (Object.is(G[j], -0)) tri = false;
    for (let j = 0; j < c; j++) if (!Number.isFinite(this.YY[j][j]) || !Number.isFinite(th * th * this.SS[j][j])) tri = false;
    ops.k.exports.lbfgsb_gram_f32(this.xcp.ptr, this.lo.ptr, this.hi.ptr, n, useFree ? 1 : 0, this.wPtrs.ptr, c, th, useFree ? 1 : -1, this.gramWork.ptr, this.mat.ptr, tri ? 1 : 0);
    return new Float64Array(buf, this.mat.ptr, k2 * k2).slice();
  }

  /**
   * Strong-Wolfe line search on φ(t) = f(x_old + t·d), t ∈ (0, stpmax]: bracketing then
   * zoom with safeguarded cubic interpolation (Nocedal & Wright, Alg. 3.5/3.6). Leaves the
   * accepted point in x, g, f. 'budget' when maxEval ran out (x holds the best point with
   * sufficient decrease, or x_old).
   */
  private lineSearch(f0: number, gd0: number, stp0: number, stpmax: number): 'ok' | 'failed' | 'budget' {
    const { ops } = this;
    const phi = (t: number): [number, number] => {
      ops.addScaled(this.x, this.xOld, t, this.d);
      ops.project(this.x, this.lo, this.hi);
      const f = this.evalAt(this.x, this.g);
      return [f, ops.dot(this.g, this.d)];
    };
    let best = { t: 0, f: f0 };
    const sufficient = (t: number, f: number) => f <= f0 + C1 * t * gd0;
    const finish = (_t: number, f: number): 'ok' => { this.f = f; return 'ok'; };
    const outOfBudget = (): 'budget' => {
      ops.addScaled(this.x, this.xOld, best.t, this.d);
      ops.project(this.x, this.lo, this.hi);
      this.f = best.f;
      return 'budget';
    };
    let tPrev = 0, fPrev = f0, dPrev = gd0;
    let t = Math.min(stp0, stpmax);
    let lsEvals = 0;
    let lo: { t: number; f: number; d: number }, hi: { t: number; f: number; d: number };
    while (true) {
      if (this.evals >= this.maxEval) return outOfBudget();
      const [f, dphi] = phi(t); lsEvals++;
      if (sufficient(t, f) && f < best.f) best = { t, f };
      if (!sufficient(t, f) || (lsEvals > 1 && f >= fPrev)) {
        lo = { t: tPrev, f: fPrev, d: dPrev }; hi = { t, f, d: dphi };
        break;
      }
      if (Math.abs(dphi) <= -C2 * gd0) return finish(t, f);
      if (dphi >= 0) { lo = { t, f, d: dphi }; hi = { t: tPrev, f: fPrev, d: dPrev }; break; }
      if (t >= stpmax) return finish(t, f); // decreasing up to the box: take the boundary step
      if (lsEvals >= MAX_LS_EVALS) return finish(t, f);
      tPrev = t; fPrev = f; dPrev = dphi;
      t = Math.min(stpmax, 4 * t);
    }
    // Zoom: lo satisfies sufficient decrease with the lowest f; the minimizer lies between lo and hi.
    while (true) {
      if (lsEvals >= MAX_LS_EVALS) {
        if (lo.t > 0) {
          // Accept lo (sufficient decrease holds there; curvature may not).
          if (this.evals >= this.maxEval) return outOfBudget();
          const [f] = phi(lo.t);
          return finish(lo.t, f);
        }
        return 'failed';
      }
      if (this.evals >= this.maxEval) return outOfBudget();
      const a = Math.min(lo.t, hi.t), b = Math.max(lo.t, hi.t), width = b - a;
      let tc = cubicMin(lo.t, lo.f, lo.d, hi.t, hi.f, hi.d);
      if (!(tc > a + 0.1 * width && tc < b - 0.1 * width)) tc = 0.5 * (lo.t + hi.t);
      if (width <= 1e-12 * Math.max(1, b)) return lo.t > 0 ? finish(lo.t, phi(lo.t)[0]) : 'failed';
      const [f, dphi] = phi(tc); lsEvals++;
      if (sufficient(tc, f) && f < best.f) best = { t: tc, f };
      if (!sufficient(tc, f) || f >= lo.f) {
        hi = { t: tc, f, d: dphi };
      } else {
        if (Math.abs(dphi) <= -C2 * gd0) return finish(tc, f);
        if (dphi * (hi.t - lo.t) >= 0) hi = lo;
        lo = { t: tc, f, d: dphi };
      }
    }
  }
}

/** Minimizer of the cubic interpolating (a, fa, da), (b, fb, db); NaN if none. */
function cubicMin(a: number, fa: number, da: number, b: number, fb: number, db: number): number {
  const d1 = da + db - 3 * (fa - fb) / (a - b);
  const disc = d1 * d1 - da * db;
  if (!(disc >= 0)) return NaN;
  const d2 = Math.sign(b - a) * Math.sqrt(disc);
  return b - (b - a) * (db + d2 - d1) / (db - da + 2 * d2);
}

function dotArr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
