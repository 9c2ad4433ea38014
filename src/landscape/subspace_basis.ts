// The n×p matrix A of the sharpness metric's random subspace, with the choices the paper
// leaves open (PAPER.md, issue 16): the distribution of A's entries and the scaling of its
// columns.
//
//   columns  'uniform'    entries uniform on (−√3, √3): RandomSubspace (randproj.ts), generated
//                         from (seed, row, col) in the kernels, never stored — lbgap's default;
//            'gaussian'   entries N(0, 1);
//            'rademacher' entries ±1 with probability ½ each.
//   scaling  'none'       A as drawn (every entry of variance 1, so ‖a_j‖ ≈ √n);
//            'unit'       every column divided by its norm (‖a_j‖ = 1);
//            'orthonormal' A·L⁻ᵀ with AᵀA = L·Lᵀ (Cholesky), so the columns are orthonormal
//                         (AᵀA = I; the same span as A).
// Gaussian and Rademacher matrices are drawn once from a seeded Rng and kept as f32 (n·p
// floats: 584 MB for F1 at p = 100); A·y and Aᵀ·g on them are JS loops with f64 sums.
// Scalings are a p×p matrix M applied on the small side: (A·M)·y = A·(M·y) and
// (A·M)ᵀ·g = Mᵀ·(Aᵀ·g), so the uniform kernel operator is reused as it is.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError } from '../kernels/errors.js';
import { checkF32 } from '../kernels/validate.js';
import { Rng } from '../util/rng.js';
import { cholesky, choleskySolve, invert } from './dense.js';
import { RandomSubspace } from './randproj.js';

export const COLUMN_DISTRIBUTIONS = ['uniform', 'gaussian', 'rademacher'] as const;
export type ColumnDistribution = (typeof COLUMN_DISTRIBUTIONS)[number];
export const COLUMN_SCALINGS = ['none', 'unit', 'orthonormal'] as const;
export type ColumnScaling = (typeof COLUMN_SCALINGS)[number];

/**
 * A subspace matrix as an operator on vectors in Wasm memory (byte offsets: the caller's
 * vectors may be views that a memory growth detached; offsets stay valid).
 */
export interface SubspaceBasis {
  readonly n: number;
  readonly p: number;
  /** out (n floats at outPtr) = A·y + beta·out, y: p floats at yPtr (beta = 0: out write-only). */
  applyAt(yPtr: number, outPtr: number, beta: number): void;
  /** out (p floats at outPtr) = Aᵀ·g, g: n floats at gPtr. */
  applyTAt(gPtr: number, outPtr: number): void;
  /** AᵀA (p×p, row-major f64). */
  gram(): Float64Array;
  /** A⁺x = (AᵀA)⁻¹Aᵀx (p values). */
  pinv(x: Float32Array): Float64Array;
  /** Frees what the basis holds in Wasm memory. */
  dispose(): void;
}

export interface SubspaceBasisOptions {
  /** Seed of A (the uniform kernel's key, or the Rng of the Gaussian/Rademacher draw). */
  seed: number;
  columns?: ColumnDistribution;
  scaling?: ColumnScaling;
}

/** Aᵀx for x outside or inside Wasm memory, through the pointer interface. */
function applyT(k: Kernels, basis: SubspaceBasis, x: Float32Array): Float32Array {
  checkF32('x', x);
  if (k.lengthOf(x) !== basis.n) throw new KernelRangeError('x', `must have length n = ${basis.n}, got ${k.lengthOf(x)}`);
  const out = new Float32Array(basis.p);
  k.withArgs([x, out], [false, true], (px, po) => basis.applyTAt(px.ptr, po.ptr));
  return out;
}

function pinvFromGram(k: Kernels, basis: SubspaceBasis, x: Float32Array, chol: { l: Float64Array | null }): Float64Array {
  if (basis.p > basis.n) throw new KernelRangeError('p', `the pseudo-inverse needs p ≤ n (A must have full column rank), got p = ${basis.p} > n = ${basis.n}`);
  chol.l ??= cholesky(basis.gram(), basis.p, 'AᵀA');
  return choleskySolve(chol.l, basis.p, applyT(k, basis, x));
}

/** The uniform kernel matrix (RandomSubspace) as a SubspaceBasis. */
export class UniformColumns implements SubspaceBasis {
  readonly sub: RandomSubspace;
  constructor(readonly k: Kernels, readonly n: number, readonly p: number, readonly seed: number) {
    this.sub = new RandomSubspace(k, n, p, seed);
  }
  applyAt(yPtr: number, outPtr: number, beta: number): void { this.k.exports.randproj_apply_f32(this.seed, this.n, this.p, yPtr, outPtr, beta); }
  applyTAt(gPtr: number, outPtr: number): void { this.k.exports.randproj_apply_t_f32(this.seed, this.n, this.p, gPtr, outPtr); }
  gram(): Float64Array { return this.sub.gram(); }
  pinv(x: Float32Array): Float64Array { return this.sub.pinv(x); }
  dispose(): void {}
}

/** A Gaussian or Rademacher n×p matrix drawn once and kept (row-major f32, outside Wasm memory). */
export class StoredColumns implements SubspaceBasis {
  /** A[row·p + col]. */
  readonly a: Float32Array;
  private gramCache: Float64Array | null = null;
  private chol = { l: null as Float64Array | null };

  constructor(readonly k: Kernels, readonly n: number, readonly p: number, readonly seed: number, readonly columns: 'gaussian' | 'rademacher') {
    if (!Number.isInteger(n) || n < 1) throw new KernelRangeError('n', `must be an integer ≥ 1, got ${n}`);
    if (!Number.isInteger(p) || p < 1) throw new KernelRangeError('p', `must be an integer ≥ 1, got ${p}`);
    if (n * p > 2 ** 31) throw new KernelRangeError('p', `n·p = ${n * p} entries are too many to store (at most 2^31)`);
    const rng = new Rng(seed);
    const a = (this.a = new Float32Array(n * p));
    if (columns === 'gaussian') {
      for (let i = 0; i < a.length; i++) a[i] = rng.normal();
    } else if (columns === 'rademacher') {
      for (let i = 0; i < a.length; i += 32) {
        let bits = rng.nextU32();
        for (let t = i; t < Math.min(a.length, i + 32); t++, bits >>>= 1) a[t] = bits & 1 ? 1 : -1;
      }
    } else {
      throw new KernelRangeError('columns', `must be 'gaussian' or 'rademacher', got ${String(columns)}`);
    }
  }

  applyAt(yPtr: number, outPtr: number, beta: number): void {
    const { n, p, a } = this;
    const y = Float64Array.from(new Float32Array(this.k.memory.buffer, yPtr, p));
    const out = new Float32Array(this.k.memory.buffer, outPtr, n);
    for (let i = 0, r = 0; i < n; i++, r += p) {
      let s = 0;
      for (let j = 0; j < p; j++) s += a[r + j] * y[j];
      out[i] = beta === 0 ? s : s + beta * out[i];
    }
  }

  applyTAt(gPtr: number, outPtr: number): void {
    const { n, p, a } = this;
    const g = new Float32Array(this.k.memory.buffer, gPtr, n);
    const acc = new Float64Array(p);
    for (let i = 0, r = 0; i < n; i++, r += p) {
      const gi = g[i];
      if (gi === 0) continue;
      for (let j = 0; j < p; j++) acc[j] += a[r + j] * gi;
    }
    new Float32Array(this.k.memory.buffer, outPtr, p).set(acc);
  }

  /** AᵀA in f64, summed over blocks of rows whose products run in the kernels' sgemm (f32 within a block). */
  gram(): Float64Array {
    if (this.gramCache) return this.gramCache;
    const { n, p, a, k } = this;
    const G = new Float64Array(p * p);
    const rows = 2048;
    const c = new Float32Array(p * p);
    for (let r0 = 0; r0 < n; r0 += rows) {
      const m = Math.min(rows, n - r0);
      const block = a.subarray(r0 * p, (r0 + m) * p);
      k.sgemm(true, false, p, p, m, 1, block, p, block, p, 0, c, p);
      for (let i = 0; i < p * p; i++) G[i] += c[i];
    }
    // Symmetric by construction; average the two triangles so rounding cannot break it.
    for (let i = 0; i < p; i++) for (let j = 0; j < i; j++) { const v = 0.5 * (G[i * p + j] + G[j * p + i]); G[i * p + j] = v; G[j * p + i] = v; }
    return (this.gramCache = G);
  }

  pinv(x: Float32Array): Float64Array { return pinvFromGram(this.k, this, x, this.chol); }
  dispose(): void {}
}

/** A·M for a p×p matrix M (row-major f64): the column scalings. */
export class TransformedColumns implements SubspaceBasis {
  readonly n: number;
  readonly p: number;
  private yScratch: number; private gScratch: number;
  private gramCache: Float64Array | null = null;
  private chol = { l: null as Float64Array | null };
  private disposed = false;

  constructor(readonly k: Kernels, readonly base: SubspaceBasis, readonly m: Float64Array) {
    this.n = base.n; this.p = base.p;
    if (!(m instanceof Float64Array) || m.length !== this.p * this.p) throw new KernelRangeError('m', `must be a Float64Array of length p² = ${this.p * this.p}`);
    for (let i = 0; i < m.length; i++) if (!Number.isFinite(m[i])) throw new KernelRangeError('m', `entry ${i} is ${m[i]} (must be finite)`);
    this.yScratch = k.arena.alloc(this.p * 4);
    this.gScratch = k.arena.alloc(this.p * 4);
  }

  applyAt(yPtr: number, outPtr: number, beta: number): void {
    const { p, m, k } = this;
    const y = Float64Array.from(new Float32Array(k.memory.buffer, yPtr, p));
    const my = new Float32Array(k.memory.buffer, this.yScratch, p);
    for (let i = 0; i < p; i++) { let s = 0; for (let j = 0; j < p; j++) s += m[i * p + j] * y[j]; my[i] = s; }
    this.base.applyAt(this.yScratch, outPtr, beta);
  }

  applyTAt(gPtr: number, outPtr: number): void {
    const { p, m, k } = this;
    this.base.applyTAt(gPtr, this.gScratch);
    const atg = Float64Array.from(new Float32Array(k.memory.buffer, this.gScratch, p));
    const out = new Float32Array(k.memory.buffer, outPtr, p);
    for (let j = 0; j < p; j++) { let s = 0; for (let i = 0; i < p; i++) s += m[i * p + j] * atg[i]; out[j] = s; }
  }

  /** MᵀGM. */
  gram(): Float64Array {
    if (this.gramCache) return this.gramCache;
    const { p, m } = this;
    const G = this.base.gram();
    const gm = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) { let s = 0; for (let t = 0; t < p; t++) s += G[i * p + t] * m[t * p + j]; gm[i * p + j] = s; }
    const out = new Float64Array(p * p);
    for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) { let s = 0; for (let t = 0; t < p; t++) s += m[t * p + i] * gm[t * p + j]; out[i * p + j] = s; }
    return (this.gramCache = out);
  }

  pinv(x: Float32Array): Float64Array { return pinvFromGram(this.k, this, x, this.chol); }

  dispose(): void {
    if (this.disposed) return;
    this.k.arena.release(this.yScratch); this.k.arena.release(this.gScratch);
    this.base.dispose();
    this.disposed = true;
  }
}

/** M for a column scaling of a matrix with Gram matrix G: diag(1/‖a_j‖) ('unit') or L⁻ᵀ, G = LLᵀ ('orthonormal'). */
export function scalingMatrix(G: Float64Array, p: number, scaling: 'unit' | 'orthonormal'): Float64Array {
  const m = new Float64Array(p * p);
  if (scaling === 'unit') {
    for (let j = 0; j < p; j++) {
      const d = G[j * p + j];
      if (!(d > 0)) throw new KernelRangeError('A', `column ${j} has norm ${Math.sqrt(Math.max(0, d))}; it cannot be normalized`);
      m[j * p + j] = 1 / Math.sqrt(d);
    }
    return m;
  }
  const linv = invert(cholesky(G, p, 'AᵀA'), p);
  if (!linv) throw new KernelRangeError('A', 'the Cholesky factor of AᵀA is singular; A has no orthonormal basis of rank p');
  for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) m[i * p + j] = linv[j * p + i];
  return m;
}

/** The subspace matrix for a choice of column distribution and scaling (default: uniform, as drawn — lbgap's metric). */
export function makeSubspaceBasis(k: Kernels, n: number, p: number, options: SubspaceBasisOptions): SubspaceBasis {
  const columns = options.columns ?? 'uniform';
  const scaling = options.scaling ?? 'none';
  if (!COLUMN_DISTRIBUTIONS.includes(columns)) throw new KernelRangeError('columns', `must be one of ${COLUMN_DISTRIBUTIONS.join(', ')}, got ${String(columns)}`);
  if (!COLUMN_SCALINGS.includes(scaling)) throw new KernelRangeError('scaling', `must be one of ${COLUMN_SCALINGS.join(', ')}, got ${String(scaling)}`);
  const seed = options.seed;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new KernelRangeError('seed', `must be an integer in [0, 2^32), got ${seed}`);
  if (!Number.isInteger(p) || p < 1) throw new KernelRangeError('p', `must be an integer ≥ 1, got ${p}`);
  if (p > n) throw new KernelRangeError('p', `must be ≤ n = ${n} (A⁺ needs full column rank), got ${p}`);
  const base: SubspaceBasis = columns === 'uniform' ? new UniformColumns(k, n, p, seed) : new StoredColumns(k, n, p, seed, columns);
  if (scaling === 'none') return base;
  return new TransformedColumns(k, base, scalingMatrix(base.gram(), p, scaling));
}

export function isSubspaceBasis(v: unknown): v is SubspaceBasis {
  const b = v as SubspaceBasis;
  return typeof b === 'object' && b !== null && typeof b.applyAt === 'function' && typeof b.applyTAt === 'function' && typeof b.pinv === 'function';
}
