import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { sharpness } from '../../src/landscape/sharpness.js';
import type { Objective } from '../../src/landscape/objective.js';
import { cholesky, choleskySolve } from '../../src/landscape/dense.js';
import { randprojApplyTRef, randprojGramRef, randprojMatrixRef } from '../ref/randproj.js';
import { rand } from '../ref/rng.js';
import { diagQuadratic, quadratic, withSpectrum } from './objectives.js';

const f32 = Math.fround;

/** Brute force over the 2^d vertices of the box |y_i| ≤ w_i of max F(y) (F convex → the max is at a vertex). */
function maxOverVertices(w: ArrayLike<number>, F: (y: Float64Array) => number): number {
  const d = w.length;
  let best = -Infinity;
  const y = new Float64Array(d);
  for (let mask = 0; mask < 1 << d; mask++) {
    for (let i = 0; i < d; i++) y[i] = mask & (1 << i) ? w[i] : -w[i];
    best = Math.max(best, F(y));
  }
  return best;
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`sharpness (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('full space, diagonal convex quadratic: φ equals the separable closed form (vertex maximum)', () => {
      for (const [n, eps] of [[1, 1e-3], [3, 1e-3], [17, 5e-4], [255, 1e-3], [1000, 1e-3]] as const) {
        const h = Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 7));
        const b = Float64Array.from(rand(n, n + 1), (v) => 2 * v);
        const obj = diagQuadratic(h, b);
        const x = rand(n, 3 * n);
        const r = sharpness(k, obj, x, { eps });
        // Closed form: per coordinate, the larger of f_i at the two box ends, with the
        // perturbed coordinate formed in f32 exactly as the implementation does.
        const f0 = obj.value(x);
        let fmax = 0;
        for (let i = 0; i < n; i++) {
          const wi = f32(eps * (Math.abs(x[i]) + 1));
          const fi = (z: number) => 0.5 * h[i] * z * z + b[i] * z;
          fmax += Math.max(fi(f32(x[i] + wi)), fi(f32(x[i] - wi)));
        }
        const phi = ((fmax - f0) / (1 + f0)) * 100;
        expect(r.f0).toBe(f0);
        expect(Math.abs(r.phi - phi), `n=${n}: phi ${r.phi} closed form ${phi} (${r.reason}, ${r.iterations} it)`).toBeLessThanOrEqual(1e-9 * Math.abs(phi) + 1e-12);
        expect(r.iterations).toBeLessThanOrEqual(10);
        expect(r.halfWidths[0]).toBe(f32(eps * (Math.abs(x[0]) + 1)));
      }
    });

    it('full space, dense convex quadratic (n = 6): φ matches brute force over the 64 box vertices', () => {
      const n = 6;
      const H = withSpectrum([0.5, 1, 2, 3, 4, 6], 11);
      const b = Float64Array.from(rand(n, 5), (v) => 3 * v);
      const obj = quadratic(H, b);
      const x = rand(n, 21);
      const r = sharpness(k, obj, x, { eps: 1e-3 });
      const w = Array.from(x, (xi) => f32(1e-3 * (Math.abs(xi) + 1)));
      const fmax = maxOverVertices(w, (y) => obj.value(Array.from(x, (xi, i) => f32(xi + y[i]))));
      const f0 = obj.value(x);
      const phi = ((fmax - f0) / (1 + f0)) * 100;
      expect(Math.abs(r.phi - phi), `phi ${r.phi} brute ${phi}`).toBeLessThanOrEqual(1e-9 * Math.abs(phi));
    });

    it('random subspace (p = 1, 2, 3): φ matches brute force over the vertices of C_ε', () => {
      const n = 40;
      const H = withSpectrum(Array.from({ length: n }, (_, i) => 0.2 + 0.1 * i), 5);
      const b = Float64Array.from(rand(n, 9), (v) => v);
      const obj = quadratic(H, b);
      const x = rand(n, 33);
      for (const p of [1, 2, 3]) {
        const seed = 100 + p;
        const r = sharpness(k, obj, x, { eps: 1e-3, subspace: { p, seed } });
        // Reference: materialized A, A⁺x by f64 normal equations, f at x + A·y in f64.
        const A = randprojMatrixRef(seed, n, p);
        const u = choleskySolve(cholesky(randprojGramRef(A, n, p), p), p, randprojApplyTRef(A, n, p, x));
        const w = Array.from(u, (ui) => 1e-3 * (Math.abs(ui) + 1));
        for (let i = 0; i < p; i++) expect(Math.abs(r.halfWidths[i] - w[i])).toBeLessThanOrEqual(1e-6 * w[i]);
        const fAt = (y: Float64Array) => obj.value(Array.from(x, (xi, i) => {
          let s = xi;
          for (let j = 0; j < p; j++) s += A[i * p + j] * y[j];
          return s;
        }));
        const fmax = maxOverVertices(w, fAt);
        const f0 = obj.value(x);
        const phi = ((fmax - f0) / (1 + f0)) * 100;
        // f32 rounding of x + A·y and of the box: a few 1e-5 relative on φ.
        expect(Math.abs(r.phi - phi), `p=${p}: phi ${r.phi} brute ${phi}`).toBeLessThanOrEqual(3e-4 * Math.abs(phi));
        expect(r.y.length).toBe(p);
      }
    });

    it('random subspace with the default p = 100 on n = 300; same seed → same φ, other seed → other φ', () => {
      const n = 300;
      const h = Float64Array.from({ length: n }, (_, i) => 1 + (i % 5));
      const obj = diagQuadratic(h, Float64Array.from(rand(n, 2)));
      const x = rand(n, 4);
      const a = sharpness(k, obj, x, { subspace: { seed: 1 } });
      const b = sharpness(k, obj, x, { subspace: { seed: 1 } });
      const c = sharpness(k, obj, x, { subspace: { seed: 2 } });
      expect(a.y.length).toBe(100);
      expect(a.phi).toBeGreaterThan(0);
      expect(b.phi).toBe(a.phi);
      expect(c.phi).not.toBe(a.phi);
      for (let i = 0; i < 100; i++) expect(Math.abs(a.y[i])).toBeLessThanOrEqual(a.halfWidths[i]);
    });

    it('random start inside the box; iteration cap respected; φ ≥ 0', () => {
      const n = 50;
      const obj = diagQuadratic(Float64Array.from({ length: n }, () => 2), Float64Array.from(rand(n, 7)));
      const x = rand(n, 8);
      const r = sharpness(k, obj, x, { start: { seed: 3 }, maxIter: 2 });
      expect(r.iterations).toBeLessThanOrEqual(2);
      expect(r.phi).toBeGreaterThanOrEqual(0);
      expect(r.evaluations).toBeGreaterThanOrEqual(2);
      const full = sharpness(k, obj, x);
      expect(full.phi).toBeGreaterThanOrEqual(r.phi * (1 - 1e-9));
    });

    it('errors: eps ≤ 0 or NaN, p > n, p < 1, NaN in x, bad maxIter', () => {
      const obj: Objective = { n: 3, evalGrad: (x, g) => { g.set(x); return 0; } };
      const x = Float32Array.of(1, 2, 3);
      for (const eps of [0, -1, NaN, Infinity]) expect(() => sharpness(k, obj, x, { eps })).toThrow(expect.objectContaining({ argument: 'eps' }));
      expect(() => sharpness(k, obj, x, { subspace: { p: 4, seed: 1 } })).toThrow(expect.objectContaining({ argument: 'subspace.p' }));
      expect(() => sharpness(k, obj, x, { subspace: { p: 0, seed: 1 } })).toThrow(expect.objectContaining({ argument: 'subspace.p' }));
      expect(() => sharpness(k, obj, Float32Array.of(1, NaN, 3))).toThrow(expect.objectContaining({ argument: 'x' }));
      expect(() => sharpness(k, obj, x, { maxIter: 0 })).toThrow(expect.objectContaining({ argument: 'maxIter' }));
      const nan: Objective = { n: 3, evalGrad: (_x, g) => { g.fill(0); return NaN; } };
      expect(() => sharpness(k, nan, x)).toThrow(expect.objectContaining({ name: 'NonFiniteObjectiveError' }));
    });
  });
}
