// The random n×p matrix A of the sharpness metric's random-subspace variant, as an
// operator: A·y, Aᵀ·g, AᵀA and A⁺x = (AᵀA)⁻¹Aᵀx. A is never stored — the kernels in
// assembly/randproj.ts regenerate each entry from (seed, row, col); entries are uniform
// on (−√3, √3) (mean 0, variance 1), so a seed fully specifies the subspace.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError } from '../kernels/errors.js';
import { checkF32, checkSize } from '../kernels/validate.js';
import { cholesky, choleskySolve } from './dense.js';

export class RandomSubspace {
  private gramCache: Float64Array | null = null;
  private gramChol: Float64Array | null = null;

  constructor(readonly k: Kernels, readonly n: number, readonly p: number, readonly seed: number) {
    checkSize('n', n, 1);
    checkSize('p', p, 1);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new KernelRangeError('seed', `must be an integer in [0, 2^32), got ${seed}`);
  }

  /** A[row, col]. */
  entry(row: number, col: number): number {
    checkSize('row', row); checkSize('col', col);
    if (row >= this.n) throw new KernelRangeError('row', `must be < n = ${this.n}, got ${row}`);
    if (col >= this.p) throw new KernelRangeError('col', `must be < p = ${this.p}, got ${col}`);
    return this.k.exports.randproj_entry_f32(this.seed, row, col);
  }

  /** out = A·y + beta·out (y: p floats, out: n floats; beta = 0 makes out write-only). */
  apply(y: Float32Array, out: Float32Array, beta = 0): void {
    this.checkLen('y', y, this.p); this.checkLen('out', out, this.n);
    if (!Number.isFinite(beta)) throw new KernelRangeError('beta', `must be finite, got ${beta}`);
    this.k.withArgs([y, out], [false, true], (py, po) => {
      if (po.overlaps(py)) throw new KernelRangeError('out', 'must not overlap y');
      this.k.exports.randproj_apply_f32(this.seed, this.n, this.p, py.ptr, po.ptr, beta);
    });
  }

  /** out = Aᵀ·g (g: n floats, out: p floats), f64-accumulated. */
  applyT(g: Float32Array, out: Float32Array): void {
    this.checkLen('g', g, this.n); this.checkLen('out', out, this.p);
    this.k.withArgs([g, out], [false, true], (pg, po) => {
      if (po.overlaps(pg)) throw new KernelRangeError('out', 'must not overlap g');
      this.k.exports.randproj_apply_t_f32(this.seed, this.n, this.p, pg.ptr, po.ptr);
    });
  }

  /** AᵀA (p×p, row-major f64), computed once per instance. */
  gram(): Float64Array {
    if (this.gramCache) return this.gramCache;
    const { k, p } = this;
    const G = k.arena.alloc(p * p * 8);
    const work = k.arena.alloc(k.exports.randproj_gram_workspace_bytes(p));
    try {
      k.exports.randproj_gram_f64(this.seed, this.n, p, G, work);
      this.gramCache = new Float64Array(k.memory.buffer, G, p * p).slice();
    } finally {
      k.arena.release(work); k.arena.release(G);
    }
    return this.gramCache;
  }

  /**
   * A⁺x = (AᵀA)⁻¹Aᵀx (p values, f64) by a Cholesky solve on the Gram matrix. Needs
   * p ≤ n (A has full column rank with probability 1 then).
   */
  pinv(x: Float32Array): Float64Array {
    this.checkLen('x', x, this.n);
    if (this.p > this.n) throw new KernelRangeError('p', `the pseudo-inverse needs p ≤ n (A must have full column rank), got p = ${this.p} > n = ${this.n}`);
    if (!this.gramChol) this.gramChol = cholesky(this.gram(), this.p, 'AᵀA');
    const atx = new Float32Array(this.p);
    this.applyT(x, atx);
    return choleskySolve(this.gramChol, this.p, atx);
  }

  private checkLen(name: string, a: unknown, len: number): void {
    checkF32(name, a);
    const l = this.k.lengthOf(a as Float32Array);
    if (l !== len) throw new KernelRangeError(name, `must have length ${len}, got ${l}`);
  }
}
