import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { addScaledRef, boxProjectRef, dotRef, maxAbsRef, maxStepRef, projGradNormInfRef } from '../ref/landscape_vec.js';
import { rand } from '../ref/rng.js';

const SIZES = [1, 3, 17, 65, 255];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`landscape vector kernels (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });
    const put = (a: ArrayLike<number>) => { const v = k.f32(a.length); v.set(a); return v; };
    const ptr = (a: Float32Array) => k.ptr(a)!;

    it('box_project_f32 clips to [lo, hi] (infinite bounds included) in place', () => {
      for (const n of SIZES) {
        const x = put(Array.from(rand(n, n), (v) => 3 * v));
        const lo = put(Array.from(rand(n, n + 1), (v, i) => (i % 4 === 0 ? -Infinity : v - 1)));
        const hi = put(Array.from(rand(n, n + 2), (v, i) => (i % 5 === 0 ? Infinity : v + 1)));
        const lov = Array.from(lo), hiv = Array.from(hi);
        for (let i = 0; i < n; i++) if (lov[i] > hiv[i]) { hi[i] = lov[i]; hiv[i] = lov[i]; }
        const ref = boxProjectRef(x, lov, hiv);
        k.exports.box_project_f32(ptr(x), ptr(lo), ptr(hi), n);
        expect(Array.from(k.view(x)), `n=${n}`).toEqual(Array.from(ref));
        k.free(x); k.free(lo); k.free(hi);
      }
    });

    it('dot_f32_f64acc equals the f64 dot of the f32 inputs (exact products, f64 sums)', () => {
      for (const n of [...SIZES, 100003]) {
        const a = put(rand(n, 2 * n)), b = put(rand(n, 2 * n + 1));
        const ref = dotRef(a, b);
        const abs = dotRef(Array.from(a, Math.abs), Array.from(b, Math.abs));
        expect(Math.abs(k.exports.dot_f32_f64acc(ptr(a), ptr(b), n) - ref), `n=${n}`).toBeLessThanOrEqual(n * 2 ** -52 * abs);
        k.free(a); k.free(b);
      }
    });

    it('add_scaled_f32: out = x + alpha·d, also in place (out = x and out = d)', () => {
      for (const n of SIZES) for (const alpha of [0, 1, -1, 0.37]) {
        const x = put(rand(n, n + 5)), d = put(rand(n, n + 6)), out = k.f32(n);
        const ref = addScaledRef(x, Math.fround(alpha), d);
        const tol = (i: number) => 2 ** -23 * (Math.abs(x[i]) + Math.abs(alpha * d[i]));
        k.exports.add_scaled_f32(ptr(out), ptr(x), alpha, ptr(d), n);
        for (let i = 0; i < n; i++) expect(Math.abs(out[i] - ref[i])).toBeLessThanOrEqual(tol(i));
        const x0 = Float32Array.from(x);
        k.exports.add_scaled_f32(ptr(x), ptr(x), alpha, ptr(d), n); // out aliases x
        for (let i = 0; i < n; i++) expect(x[i]).toBe(out[i]);
        x.set(x0);
        k.exports.add_scaled_f32(ptr(d), ptr(x), alpha, ptr(d), n); // out aliases d
        for (let i = 0; i < n; i++) expect(d[i]).toBe(out[i]);
        k.free(x); k.free(d); k.free(out);
      }
      // alpha = −1 is an exact subtraction in both builds (used for s = x − x_old).
      const a = put([1.5, 3, 1e-8, 7]), b = put([0.5, 3, 2e-8, -1]), o = k.f32(4);
      k.exports.add_scaled_f32(ptr(o), ptr(a), -1, ptr(b), 4);
      expect(Array.from(o)).toEqual([1, 0, Math.fround(1e-8) - Math.fround(2e-8), 8].map(Math.fround));
    });

    it('scale_f32, max_abs_f32 (NaN propagates), proj_grad_norm_inf_f32, max_step_in_box_f32', () => {
      for (const n of SIZES) {
        const x = put(rand(n, n + 9));
        const ref = Array.from(x, (v) => Math.fround(v * Math.fround(-2.5)));
        k.exports.scale_f32(ptr(x), -2.5, n);
        expect(Array.from(x)).toEqual(ref);
        expect(k.exports.max_abs_f32(ptr(x), n)).toBe(maxAbsRef(x));
        x[n - 1] = NaN;
        expect(k.exports.max_abs_f32(ptr(x), n)).toBeNaN();
        const y = put(rand(n, n + 10)), g = put(Array.from(rand(n, n + 11), (v) => 4 * v));
        const lo = put(new Array(n).fill(-1)), hi = put(Array.from({ length: n }, (_, i) => (i % 2 ? Infinity : 1)));
        expect(k.exports.proj_grad_norm_inf_f32(ptr(y), ptr(g), ptr(lo), ptr(hi), n)).toBe(projGradNormInfRef(y, g, lo, hi));
        const d = put(rand(n, n + 12));
        expect(k.exports.max_step_in_box_f32(ptr(y), ptr(d), ptr(lo), ptr(hi), n)).toBeCloseTo(maxStepRef(y, d, lo, hi), 12);
        for (const a of [x, y, g, lo, hi, d]) k.free(a);
      }
      // A gradient far below ulp(x) still shows (f64 inside the kernel).
      const xb = put([1000, 1000, 1000, 1000, 1000]), gb = put([0, 0, 0, 0, 1e-6]);
      const lb = put(new Array(5).fill(-Infinity)), hb = put(new Array(5).fill(Infinity));
      expect(k.exports.proj_grad_norm_inf_f32(ptr(xb), ptr(gb), ptr(lb), ptr(hb), 5)).toBeCloseTo(Math.fround(1e-6), 15); // scalar tail
      gb[1] = 3e-6;
      expect(k.exports.proj_grad_norm_inf_f32(ptr(xb), ptr(gb), ptr(lb), ptr(hb), 5)).toBeCloseTo(Math.fround(3e-6), 15); // SIMD lane
      const z = put([0, 0]), d = put([0, 1]), lo = put([-Infinity, -Infinity]), hi = put([Infinity, Infinity]);
      expect(k.exports.max_step_in_box_f32(ptr(z), ptr(d), ptr(lo), ptr(hi), 2)).toBe(Infinity);
      expect(k.exports.max_abs_f32(ptr(z), 0)).toBe(0);
    });
  });
}
