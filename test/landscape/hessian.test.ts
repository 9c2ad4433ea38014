import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { hessianTopEigenvalues, hessianTrace, hessianVectorProduct } from '../../src/landscape/hessian.js';
import type { Objective } from '../../src/landscape/objective.js';
import { rand } from '../ref/rng.js';
import { quadratic, withSpectrum } from './objectives.js';

/** The same quadratic without its exact hvp, so the finite-difference path is used. */
function withoutHvp(o: Objective): Objective {
  return { n: o.n, evalGrad: o.evalGrad.bind(o) };
}

function matVec(H: Float64Array, n: number, v: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i] += H[i * n + j] * v[j];
  return out;
}

const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`Hessian tools (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('hvp by central differences matches H·v on quadratics (n ∈ {1, 3, 17, 65}) within the stated ~ε^{2/3}', () => {
      for (const n of [1, 3, 17, 65]) {
        const H = withSpectrum(Array.from({ length: n }, (_, i) => 1 + i), n);
        const obj = withoutHvp(quadratic(H, Float64Array.from(rand(n, 2))));
        const x = rand(n, 5), v = rand(n, 6);
        const hv = hessianVectorProduct(k, obj, x, v);
        const ref = matVec(H, n, v);
        const err = norm(Array.from(hv, (h, i) => h - ref[i]));
        // rounding bound ε·(‖x‖‖H‖ + ‖∇f‖)/h·‖v‖ with ‖H‖ = n: a few 1e-5·‖H‖‖v‖
        expect(err, `n=${n}`).toBeLessThanOrEqual(1e-4 * n * norm(v));
      }
    });

    it('hvp: non-quadratic f = Σ exp(x_i) (truncation error O(h²)) and the exact obj.hvp path', () => {
      const n = 17;
      let hvpCalls = 0;
      const obj: Objective = {
        n,
        evalGrad(x, g) { let f = 0; for (let i = 0; i < n; i++) { const e = Math.exp(x[i]); g[i] = e; f += e; } return f; },
      };
      const x = rand(n, 9), v = rand(n, 10);
      const hv = hessianVectorProduct(k, obj, x, v);
      for (let i = 0; i < n; i++) expect(Math.abs(hv[i] - Math.exp(x[i]) * v[i])).toBeLessThanOrEqual(1e-3 * Math.exp(x[i]) * Math.abs(v[i]) + 1e-4);
      const exact: Objective = { ...obj, hvp(x, v, out) { hvpCalls++; for (let i = 0; i < n; i++) out[i] = Math.exp(x[i]) * v[i]; } };
      const hv2 = hessianVectorProduct(k, exact, x, v);
      expect(hvpCalls).toBe(1);
      for (let i = 0; i < n; i++) expect(hv2[i]).toBe(Math.fround(Math.exp(x[i]) * v[i]));
      expect(Array.from(hessianVectorProduct(k, obj, x, new Float32Array(n)))).toEqual(new Array(n).fill(0));
    });

    it('top-k eigenvalues (Lanczos) of a known spectrum, with exact hvp and with finite differences', () => {
      const n = 60;
      const eigs = Array.from({ length: n }, (_, i) => (i < 3 ? [50, 30, 20][i] : 1 + 9 * i / n));
      const H = withSpectrum(eigs, 123);
      const q = quadratic(H, Float64Array.from(rand(n, 1)));
      const x = rand(n, 2);
      const exact = hessianTopEigenvalues(k, q, x, { count: 3, tol: 1e-6 });
      expect(exact.converged).toBe(true);
      expect(exact.evaluations).toBe(0);
      [50, 30, 20].forEach((l, i) => expect(Math.abs(exact.values[i] - l), `λ${i}`).toBeLessThanOrEqual(1e-4 * l));
      // Ritz vectors are eigenvectors: ‖Hu − λu‖ small, ‖u‖ = 1.
      for (let i = 0; i < 3; i++) {
        const u = exact.vectors![i];
        const hu = matVec(H, n, u);
        expect(Math.abs(norm(u) - 1)).toBeLessThan(1e-5);
        expect(norm(Array.from(hu, (h, t) => h - exact.values[i] * u[t]))).toBeLessThan(1e-3);
      }
      const fd = hessianTopEigenvalues(k, withoutHvp(q), x, { count: 2, tol: 1e-4 });
      expect(fd.converged).toBe(true);
      expect(fd.evaluations).toBe(2 * fd.iterations);
      [50, 30].forEach((l, i) => expect(Math.abs(fd.values[i] - l)).toBeLessThanOrEqual(1e-3 * l));
    });

    it("'algebraic' vs 'magnitude' with a negative eigenvalue; iteration cap respected", () => {
      const n = 20;
      const eigs = Array.from({ length: n }, (_, i) => (i === 0 ? -40 : i === 1 ? 25 : 0.5 + i / 10));
      const q = quadratic(withSpectrum(eigs, 9), new Float64Array(n));
      const x = rand(n, 3);
      const alg = hessianTopEigenvalues(k, q, x, { count: 1, which: 'algebraic', tol: 1e-8 });
      expect(alg.values[0]).toBeCloseTo(25, 4);
      const mag = hessianTopEigenvalues(k, q, x, { count: 1, which: 'magnitude', tol: 1e-8 });
      expect(mag.values[0]).toBeCloseTo(-40, 4);
      // A clustered spectrum needs many steps: the cap stops Lanczos unconverged.
      const cl = quadratic(withSpectrum(Array.from({ length: n }, (_, i) => 10 + i * 1e-3), 4), new Float64Array(n));
      const capped = hessianTopEigenvalues(k, cl, x, { count: 1, maxIter: 3, tol: 1e-10 });
      expect(capped.iterations).toBe(3);
      expect(capped.converged).toBe(false);
    });

    it('an invariant subspace (rank-2 Hessian) before count is reached restarts and finds the zero eigenvalues', () => {
      const n = 8;
      const eigs = [5, 3, 0, 0, 0, 0, 0, 0];
      const q = quadratic(withSpectrum(eigs, 2), new Float64Array(n));
      const r = hessianTopEigenvalues(k, q, rand(n, 1), { count: 4, maxIter: 8, tol: 1e-6 });
      expect(r.values[0]).toBeCloseTo(5, 6);
      expect(r.values[1]).toBeCloseTo(3, 6);
      expect(Math.abs(r.values[2])).toBeLessThan(1e-5);
      expect(Math.abs(r.values[3])).toBeLessThan(1e-5);
    });

    it('Hutchinson trace: exact for a diagonal Hessian; within 4 standard errors for a dense one', () => {
      const n = 65;
      const d = Array.from({ length: n }, (_, i) => 1 + (i % 9));
      const diag = new Float64Array(n * n);
      d.forEach((v, i) => { diag[i * n + i] = v; });
      const tr = d.reduce((a, b) => a + b, 0);
      const r1 = hessianTrace(k, quadratic(diag, new Float64Array(n)), rand(n, 1), { maxSamples: 5 });
      expect(r1.estimate).toBeCloseTo(tr, 3);
      expect(r1.stdError).toBeLessThan(1e-3);
      const H = withSpectrum(d, 17);
      // Var(vᵀHv) = 2·Σ_{i≠j} H_ij² for Rademacher v.
      let off = 0;
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j) off += H[i * n + j] ** 2;
      const r2 = hessianTrace(k, quadratic(H, new Float64Array(n)), rand(n, 1), { maxSamples: 400, rtol: 0, seed: 5 });
      expect(r2.samples).toBe(400);
      expect(Math.abs(r2.estimate - tr)).toBeLessThanOrEqual(4 * r2.stdError);
      const theory = Math.sqrt(2 * off / 400);
      expect(r2.stdError / theory).toBeGreaterThan(0.7);
      expect(r2.stdError / theory).toBeLessThan(1.3);
      // Finite-difference products: 2 gradient evaluations per sample.
      const r3 = hessianTrace(k, withoutHvp(quadratic(H, new Float64Array(n))), rand(n, 1), { maxSamples: 7, rtol: 0 });
      expect(r3.samples).toBe(7);
      expect(r3.evaluations).toBe(14);
    });

    it('errors: count out of range, maxIter < count, bad step, NaN x, non-finite hvp', () => {
      const q = quadratic(withSpectrum([1, 2, 3], 1), new Float64Array(3));
      const x = Float32Array.of(1, 2, 3);
      expect(() => hessianTopEigenvalues(k, q, x, { count: 4 })).toThrow(expect.objectContaining({ argument: 'count' }));
      expect(() => hessianTopEigenvalues(k, q, x, { count: 2, maxIter: 1 })).toThrow(expect.objectContaining({ argument: 'maxIter' }));
      expect(() => hessianVectorProduct(k, withoutHvp(q), x, x, { step: -1 })).toThrow(expect.objectContaining({ argument: 'step' }));
      expect(() => hessianTrace(k, q, Float32Array.of(1, NaN, 3))).toThrow(expect.objectContaining({ argument: 'x' }));
      expect(() => hessianTrace(k, q, x, { maxSamples: 0 })).toThrow(expect.objectContaining({ argument: 'maxSamples' }));
      const bad: Objective = { n: 3, evalGrad: (_x, g) => { g.fill(0); return 0; }, hvp: (_x, _v, out) => { out.fill(NaN); } };
      expect(() => hessianVectorProduct(k, bad, x, x)).toThrow(expect.objectContaining({ name: 'NonFiniteObjectiveError' }));
    });
  });
}
