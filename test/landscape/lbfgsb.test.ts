import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels, KernelRangeError } from '../../src/kernels/index.js';
import { minimizeLbfgsb } from '../../src/landscape/lbfgsb.js';
import { sortBreakpoints } from './lbfgsb_reference.js';
import { NonFiniteObjectiveError } from '../../src/landscape/errors.js';
import { negate, type Objective } from '../../src/landscape/objective.js';
import { quadratic, rosenbrock, withSpectrum } from './objectives.js';

// x within 1e-6 relative: |x_i − x*_i| ≤ 1e-6·max(1, |x*_i|).
function expectClose(x: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-6) {
  let worst = 0, at = -1;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(x[i] - want[i]) / Math.max(1, Math.abs(want[i]));
    if (!(e <= worst)) { worst = e; at = i; }
  }
  expect(worst, `worst relative error at ${at}: x=${x[at]} want=${want[at]}`).toBeLessThanOrEqual(rel);
}

// pgtol 1e-6 is reachable with f32 iterates and f64 losses on these scales; ftol 0 leaves
// the stop to the projected gradient (or to no further progress at the f32 floor).
const tight = { pgtol: 1e-6, ftol: 0 };

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`minimizeLbfgsb (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('bound-constrained dense quadratic with a known KKT point (some bounds active, some free)', () => {
      const n = 12;
      const H = withSpectrum(Array.from({ length: n }, (_, i) => 1 + 3 * i), 7);
      // x*: coords 0..3 at lower bound −1, 4..6 at upper bound 2, the rest interior.
      const xs = Float64Array.from({ length: n }, (_, i) => (i < 4 ? -1 : i < 7 ? 2 : 0.3 * i - 2));
      // ∇f(x*) = λ: λ > 0 at a lower bound, < 0 at an upper bound, 0 when free → b = λ − Hx*.
      const lam = Float64Array.from({ length: n }, (_, i) => (i < 4 ? 1 + i : i < 7 ? -2 - i : 0));
      const b = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        let hx = 0;
        for (let j = 0; j < n; j++) hx += H[i * n + j] * xs[j];
        b[i] = lam[i] - hx;
      }
      const r = minimizeLbfgsb(k, quadratic(H, b), new Float32Array(n), { lower: -1, upper: 2, ...tight });
      // ‖H‖·ulp(x) puts the f32 gradient floor near 1e-6 here: the run ends either on pgtol
      // or when no step can decrease f any more — both at the f32-accurate solution.
      expect(['pgtol', 'lineSearchFailed']).toContain(r.reason);
      expect(r.projGradNorm).toBeLessThan(1e-5);
      expectClose(r.x, xs);
      for (let i = 0; i < 7; i++) expect(r.x[i]).toBe(xs[i]); // active bounds are hit exactly
    });

    it('unconstrained dense quadratic equals H⁻¹(−b)', () => {
      const n = 9;
      const H = withSpectrum([1, 2, 3, 5, 8, 13, 21, 34, 55], 3);
      const xs = Float64Array.from({ length: n }, (_, i) => Math.sin(i + 1));
      const b = new Float64Array(n);
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b[i] -= H[i * n + j] * xs[j];
      const r = minimizeLbfgsb(k, quadratic(H, b), new Float32Array(n), tight);
      expect(r.converged, r.reason).toBe(true);
      expectClose(r.x, xs, 2e-6);
    });

    it('Rosenbrock: interior optimum (1, 1) in the box [−2, 2]²', () => {
      const obj = rosenbrock();
      const r = minimizeLbfgsb(k, obj, Float32Array.of(-1.2, 1), { lower: -2, upper: 2, ...tight, maxIter: 500 });
      expectClose(r.x, [1, 1], 1e-5); // f32 iterate: ‖x − x*‖ is limited by √(ε_f32·cond) on this valley
      expect(r.f).toBeLessThan(1e-10);
      expect(r.evaluations).toBe(obj.count);
    });

    it('Rosenbrock: optimum on a bound (x ≤ 0.5 → (0.5, 0.25))', () => {
      const r = minimizeLbfgsb(k, rosenbrock(), Float32Array.of(-1.2, 1), {
        lower: Float32Array.of(-2, -2), upper: Float32Array.of(0.5, 2), ...tight, maxIter: 500,
      });
      expect(r.x[0]).toBe(0.5);
      expectClose(r.x, [0.5, 0.25]);
      expect(r.converged, r.reason).toBe(true);
    });

    it('Rosenbrock: y ≥ 1.5 active, x interior (reference by 1-D golden section in f64)', () => {
      const r = minimizeLbfgsb(k, rosenbrock(), Float32Array.of(0, 1.7), {
        lower: Float32Array.of(-2, 1.5), upper: Float32Array.of(2, 3), ...tight, maxIter: 500,
      });
      let a = 0, c = 2;
      const h = (x: number) => (1 - x) ** 2 + 100 * (1.5 - x * x) ** 2;
      for (let i = 0; i < 200; i++) {
        const m1 = a + (c - a) * 0.381966, m2 = a + (c - a) * 0.618034;
        if (h(m1) < h(m2)) c = m2; else a = m1;
      }
      expect(r.x[1]).toBe(1.5);
      expectClose(r.x, [(a + c) / 2, 1.5]);
    });

    it('extended Rosenbrock (n = 20) in a box: ends at a KKT point (f64 projected gradient) with some bounds active', () => {
      const n = 20;
      const grad64 = (x: ArrayLike<number>) => {
        const g = new Float64Array(n);
        for (let i = 0; i < n - 1; i++) { const r = x[i + 1] - x[i] ** 2; g[i] += -400 * x[i] * r - 2 * (1 - x[i]); g[i + 1] += 200 * r; }
        return g;
      };
      const obj: Objective = {
        n,
        evalGrad(x, g) {
          let f = 0;
          for (let i = 0; i < n - 1; i++) f += 100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2;
          g.set(grad64(x));
          return f;
        },
      };
      const lo = Float32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.5 : -2));
      const hi = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 0.8 : 2));
      const x0 = Float32Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.2 : 1));
      const r = minimizeLbfgsb(k, obj, x0, { lower: lo, upper: hi, pgtol: 1e-6, ftol: 0, maxIter: 2000 });
      const g = grad64(r.x);
      let pg = 0;
      for (let i = 0; i < n; i++) pg = Math.max(pg, Math.abs(Math.min(Math.max(r.x[i] - g[i], lo[i]), hi[i]) - r.x[i]));
      expect(pg).toBeLessThan(1e-4); // f32 iterate: ‖∇²f‖·ulp(x) ≈ 1e-4 is the floor here
      expect(r.x[0]).toBe(Math.fround(0.8)); // the first coordinate's upper bound is active
    });

    it('1-D: bound active, interior, unbounded, and a start outside the box', () => {
      const f = (c: number): Objective => ({ n: 1, evalGrad: (x, g) => { g[0] = 2 * (x[0] - c); return (x[0] - c) ** 2; } });
      expect(minimizeLbfgsb(k, f(3), Float32Array.of(1), { lower: 0, upper: 2 }).x[0]).toBe(2);
      expectClose(minimizeLbfgsb(k, f(3), Float32Array.of(1), { lower: 0, upper: 5, ...tight }).x, [3]);
      expectClose(minimizeLbfgsb(k, f(-7.5), Float32Array.of(100), tight).x, [-7.5]);
      const seen: number[] = [];
      const spy: Objective = { n: 1, evalGrad: (x, g) => { seen.push(x[0]); g[0] = 2 * (x[0] - 1); return (x[0] - 1) ** 2; } };
      const r = minimizeLbfgsb(k, spy, Float32Array.of(40), { lower: -3, upper: 4, ...tight });
      expect(seen[0]).toBe(4); // infeasible start projected before the first evaluation
      for (const v of seen) { expect(v).toBeGreaterThanOrEqual(-3); expect(v).toBeLessThanOrEqual(4); }
      expectClose(r.x, [1]);
    });

    it('n = 1000 separable problem (conditioning 100, a third of the bounds active)', () => {
      const n = 1000;
      const h = Float64Array.from({ length: n }, (_, i) => 1 + 99 * ((i * 37) % 101) / 100);
      const c = Float64Array.from({ length: n }, (_, i) => 3 * Math.sin(i * 0.7));
      // f = Σ ½h_i(x_i − c_i)² (no constant offset, so f64 resolves f near the optimum).
      const sep: Objective = {
        n,
        evalGrad(x, g) {
          let f = 0;
          for (let i = 0; i < n; i++) { const e = x[i] - c[i]; g[i] = h[i] * e; f += 0.5 * h[i] * e * e; }
          return f;
        },
      };
      const lo = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : -10));
      const hi = Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 10));
      const r = minimizeLbfgsb(k, sep, new Float32Array(n), { lower: lo, upper: hi, pgtol: 1e-7, ftol: 0, maxIter: 500 });
      const want = Float64Array.from(c, (ci, i) => Math.min(Math.max(ci, lo[i]), hi[i]));
      expectClose(r.x, want);
    });

    it('maximization through negate(): max of −(x − 1)² − 2(y + 3)² over [0, 5] × [−1, 1] is at (1, −1)', () => {
      const f: Objective = {
        n: 2,
        evalGrad(x, g) { g[0] = -2 * (x[0] - 1); g[1] = -4 * (x[1] + 3); return -((x[0] - 1) ** 2) - 2 * (x[1] + 3) ** 2; },
        hvp(_x, v, out) { out[0] = -2 * v[0]; out[1] = -4 * v[1]; },
      };
      const neg = negate(f);
      const out = new Float32Array(2);
      neg.hvp!(new Float32Array(2), Float32Array.of(1, 1), out);
      expect(Array.from(out)).toEqual([2, 4]);
      const r = minimizeLbfgsb(k, neg, Float32Array.of(4, 0), { lower: Float32Array.of(0, -1), upper: Float32Array.of(5, 1), ...tight });
      expectClose(r.x, [1, -1]);
      expect(-r.f).toBeCloseTo(-8, 10); // −0 − 2·(−1 + 3)²
    });

    it('maxIter and maxEval are respected', () => {
      const obj = rosenbrock();
      const r = minimizeLbfgsb(k, obj, Float32Array.of(-1.2, 1), { maxIter: 3 });
      expect(r.iterations).toBe(3);
      expect(r.reason).toBe('maxIter');
      expect(r.converged).toBe(false);
      const obj2 = rosenbrock();
      const r2 = minimizeLbfgsb(k, obj2, Float32Array.of(-1.2, 1), { maxEval: 5 });
      expect(obj2.count).toBeLessThanOrEqual(5);
      expect(r2.evaluations).toBe(obj2.count);
      expect(r2.reason).toBe('maxEval');
      // The reported f belongs to the reported x.
      const g = new Float32Array(2);
      expect(rosenbrock().evalGrad(r2.x, g)).toBeCloseTo(r2.f, 10);
    });

    it('errors: lower > upper, NaN loss, NaN gradient, NaN start, wrong lengths', () => {
      const ok: Objective = { n: 2, evalGrad: (x, g) => { g[0] = x[0]; g[1] = x[1]; return 0.5 * (x[0] ** 2 + x[1] ** 2); } };
      expect(() => minimizeLbfgsb(k, ok, new Float32Array(2), { lower: Float32Array.of(0, 3), upper: Float32Array.of(1, 2) }))
        .toThrow(expect.objectContaining({ name: 'KernelRangeError', argument: 'lower' }));
      const nanF: Objective = { n: 2, evalGrad: (x, g) => { g.fill(1); return x[0] > 0.5 ? NaN : x[0]; } };
      expect(() => minimizeLbfgsb(k, nanF, Float32Array.of(1, 0))).toThrow(NonFiniteObjectiveError);
      const nanG: Objective = { n: 2, evalGrad: (_x, g) => { g[0] = 1; g[1] = NaN; return 0; } };
      expect(() => minimizeLbfgsb(k, nanG, Float32Array.of(1, 0))).toThrow(expect.objectContaining({ argument: 'g' }));
      expect(() => minimizeLbfgsb(k, ok, Float32Array.of(NaN, 0))).toThrow(KernelRangeError);
      expect(() => minimizeLbfgsb(k, ok, new Float32Array(3))).toThrow(expect.objectContaining({ argument: 'x0' }));
      expect(() => minimizeLbfgsb(k, ok, new Float32Array(2), { upper: new Float32Array(5) })).toThrow(expect.objectContaining({ argument: 'upper' }));
      expect(() => minimizeLbfgsb(k, ok, new Float32Array(2), { m: 0 })).toThrow(expect.objectContaining({ argument: 'm' }));
    });

    it('releases its Wasm working memory', () => {
      const before = k.arena.bytesInUse;
      minimizeLbfgsb(k, rosenbrock(), Float32Array.of(-1.2, 1), { maxIter: 5 });
      expect(k.arena.bytesInUse).toBe(before);
    });
  });
}

describe('sortBreakpoints (the Cauchy scan order)', () => {
  it('orders breakpoint indices by t, ties in index order, on awkward sizes and key ranges', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (const n of [0, 1, 3, 17, 65, 255, 4097]) {
      const t = new Float64Array(n + 5);
      // Keys over 40 decades, some exact ties, some coordinates not breakpoints.
      for (let i = 0; i < t.length; i++) t[i] = i % 7 === 3 ? t[Math.max(0, i - 7)] || 1 : 10 ** (rand() * 40 - 20) * (1 + rand());
      const idx = Int32Array.from({ length: n }, (_, i) => i + (i % 2));
      const got = Array.from(sortBreakpoints(idx, n, t));
      const want = Array.from(idx).sort((a, b) => t[a] - t[b] || a - b);
      expect(got).toEqual(want);
    }
  });
});
