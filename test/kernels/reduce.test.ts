import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Mem, dotRef, sumRef, sumAbsRef } from '../ref/nn.js';
import { rand } from '../ref/rng.js';

// Tolerances. Reductions widen to f64 and promise |err| ≤ n·2⁻⁵³·Σ|terms|; we check
// against 1e-13·Σ|terms| (far tighter than any f32 accumulation could meet, so a
// regression to f32 sums fails). Elementwise ops are one or two f32 roundings (an FMA
// in the relaxed build rounds once): |err| ≤ 2⁻²³·(|a·x| + |b·y|) per element.
const SIZES = [0, 1, 3, 17, 65, 255];
const EPS32 = 2 ** -23;

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`reductions and BLAS-1 (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    it('sum_f32, dot_f32, sumsq_f32 match f64 sums on 0, 1, 3, 17, 65, 255 elements', () => {
      for (const n of SIZES) {
        const x = rand(n, n + 1), y = rand(n, n + 7);
        const px = m.f32(x), py = m.f32(y);
        const tol = 1e-13 * (sumAbsRef(x) + 1e-30);
        expect(Math.abs(k.exports.sum_f32(px, n) - sumRef(x)), `sum n=${n}`).toBeLessThanOrEqual(tol);
        const xy = x.map((v, i) => v * y[i]);
        expect(Math.abs(k.exports.dot_f32(px, py, n) - dotRef(x, y)), `dot n=${n}`).toBeLessThanOrEqual(1e-13 * sumAbsRef(xy) + 1e-300);
        expect(Math.abs(k.exports.sumsq_f32(px, n) - dotRef(x, x)), `sumsq n=${n}`).toBeLessThanOrEqual(1e-13 * dotRef(x, x) + 1e-300);
      }
    });

    it('sum_f32 keeps f64 accuracy where f32 accumulation would not: 1e8 followed by many ones', () => {
      const n = 4097;
      const x = new Float32Array(n).fill(1); x[0] = 1e8;
      // In f32, 1e8 + 1 == 1e8, so an f32 accumulator would lose every one.
      expect(k.exports.sum_f32(m.f32(x), n)).toBe(1e8 + 4096);
    });

    it('is deterministic: same inputs give the same bits', () => {
      const x = rand(255, 3), px = m.f32(x);
      const a = k.exports.dot_f32(px, px, 255), b = k.exports.dot_f32(px, px, 255);
      expect(Object.is(a, b)).toBe(true);
    });

    it('axpy_f32, axpby_f32, scal_f32, add_f32, fill_f32, copy_f32 on every size', () => {
      for (const n of SIZES) {
        const x = rand(n, 2 * n + 1), y = rand(n, 3 * n + 2);
        const a = 0.75, b = -1.25;
        // axpy
        let px = m.f32(x), py = m.f32(y);
        k.exports.axpy_f32(n, a, px, py);
        let want = Float64Array.from(y, (v, i) => v + a * x[i]);
        let bound = Float64Array.from(y, (v, i) => Math.abs(v) + Math.abs(a * x[i]));
        expectWithin(m.get(py, n), want, bound, `axpy n=${n}`);
        // axpby
        py = m.f32(y);
        k.exports.axpby_f32(n, a, px, b, py);
        want = Float64Array.from(y, (v, i) => a * x[i] + b * v);
        bound = Float64Array.from(y, (v, i) => 2 * (Math.abs(b * v) + Math.abs(a * x[i])));
        expectWithin(m.get(py, n), want, bound, `axpby n=${n}`);
        // scal (one rounding of an exact-in-f64 product: must equal Math.fround)
        px = m.f32(x);
        k.exports.scal_f32(n, a, px);
        expect(Array.from(m.get(px, n)), `scal n=${n}`).toEqual(Array.from(x, (v) => Math.fround(v * a)));
        // add with z distinct, z aliasing x, z aliasing y
        const z = m.f32(n);
        px = m.f32(x); py = m.f32(y);
        const sum = Array.from(x, (v, i) => Math.fround(v + y[i]));
        k.exports.add_f32(n, px, py, z);
        expect(Array.from(m.get(z, n)), `add n=${n}`).toEqual(sum);
        k.exports.add_f32(n, px, py, px);
        expect(Array.from(m.get(px, n)), `add z=x n=${n}`).toEqual(sum);
        px = m.f32(x);
        k.exports.add_f32(n, px, py, py);
        expect(Array.from(m.get(py, n)), `add z=y n=${n}`).toEqual(sum);
        // fill and copy
        const f = m.f32(n);
        k.exports.fill_f32(n, 2.5, f);
        expect(Array.from(m.get(f, n)), `fill n=${n}`).toEqual(new Array(n).fill(2.5));
        const c = m.f32(n);
        k.exports.copy_f32(n, px, c);
        expect(Array.from(m.get(c, n)), `copy n=${n}`).toEqual(Array.from(x));
      }
    });

    it('axpy_f32 and axpby_f32 allow x and y to be the same array', () => {
      const x = rand(17, 5);
      const p = m.f32(x);
      k.exports.axpy_f32(17, 2, p, p);
      expect(Array.from(m.get(p, 17))).toEqual(Array.from(x, (v) => Math.fround(3 * v)));
    });

    it('copy_f32 handles overlapping ranges like memmove', () => {
      const x = Float32Array.from({ length: 20 }, (_, i) => i);
      const p = m.f32(x);
      k.exports.copy_f32(16, p, p + 8); // shift right by 2 floats
      expect(Array.from(m.get(p, 20)).slice(2, 18)).toEqual(Array.from(x.slice(0, 16)));
    });

    it('is_finite_f32 finds one NaN, +Inf or −Inf at any position (SIMD body and tail)', () => {
      for (const n of [1, 3, 17, 65, 255]) {
        const x = rand(n, n);
        const p = m.f32(x);
        expect(k.exports.is_finite_f32(p, n), `clean n=${n}`).toBe(1);
        for (const bad of [NaN, Infinity, -Infinity]) {
          for (const at of new Set([0, n >> 1, n - 1])) {
            const y = x.slice(); y[at] = bad;
            expect(k.exports.is_finite_f32(m.f32(y), n), `n=${n} ${bad} at ${at}`).toBe(0);
          }
        }
      }
      // The largest finite float and subnormals are finite.
      expect(k.exports.is_finite_f32(m.f32([3.4028234663852886e38, -3.4028234663852886e38, 1e-45, 0, -0]), 5)).toBe(1);
      expect(k.exports.is_finite_f32(m.f32(0), 0)).toBe(1);
    });
  });
}

function expectWithin(got: Float32Array, want: Float64Array, bound: Float64Array, what: string) {
  for (let i = 0; i < got.length; i++) {
    const tol = 2 * EPS32 * bound[i] + 1e-45;
    if (!(Math.abs(got[i] - want[i]) <= tol)) {
      expect.fail(`${what}: [${i}] = ${got[i]}, want ${want[i]} ± ${tol}`);
    }
  }
}

