import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { PerturbedObjective } from '../../src/landscape/perturbation.js';
import { RandomSubspace } from '../../src/landscape/randproj.js';
import { minimizeLbfgsb } from '../../src/landscape/lbfgsb.js';
import { VecOps } from '../../src/landscape/vec.js';
import type { Objective } from '../../src/landscape/objective.js';
import { randprojMatrixRef } from '../ref/randproj.js';
import { rand } from '../ref/rng.js';

// A smooth non-quadratic loss: f(z) = Σ log(1 + exp(c_i z_i)) + ¼ Σ z_i² z_{i+1}², exact in f64.
function loss(c: Float64Array) {
  const n = c.length;
  const f = (z: ArrayLike<number>) => {
    let s = 0;
    for (let i = 0; i < n; i++) s += Math.log1p(Math.exp(c[i] * z[i])) + (i + 1 < n ? 0.25 * z[i] ** 2 * z[i + 1] ** 2 : 0);
    return s;
  };
  const obj: Objective = {
    n,
    evalGrad(z, g) {
      for (let i = 0; i < n; i++) {
        g[i] = c[i] / (1 + Math.exp(-c[i] * z[i]))
          + (i + 1 < n ? 0.5 * z[i] * z[i + 1] ** 2 : 0) + (i > 0 ? 0.5 * z[i - 1] ** 2 * z[i] : 0);
      }
      return f(z);
    },
  };
  return { f, obj };
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`PerturbedObjective (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('∇_y f(x + A·y) = Aᵀ∇f matches f64 central differences (full space and subspace, sign ±1)', () => {
      for (const [n, p] of [[1, 0], [3, 0], [17, 0], [17, 3], [65, 17], [255, 1]] as const) {
        const c = Float64Array.from(rand(n, n + 1), (v) => 2 * v);
        const { f, obj } = loss(c);
        const x = rand(n, n + 2);
        const ops = new VecOps(k);
        const sub = p ? new RandomSubspace(k, n, p, 17 + n) : null;
        const A = p ? randprojMatrixRef(17 + n, n, p) : null;
        const dim = p || n;
        // f64 reference function of y (no f32 rounding of x + A·y).
        const F = (y: ArrayLike<number>) => f(Array.from(x, (xi, i) => {
          if (!A) return xi + y[i];
          let s = xi;
          for (let j = 0; j < p; j++) s += A[i * p + j] * y[j];
          return s;
        }));
        for (const sign of [1, -1] as const) {
          const po = new PerturbedObjective(k, ops, obj, x, sub, sign);
          const y = Float32Array.from(rand(dim, dim + 3), (v) => 0.1 * v);
          const gy = new Float32Array(dim);
          const val = po.evalGrad(y, gy);
          expect(Math.abs(val - sign * F(y))).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(F(y))));
          const h = 1e-5;
          for (let j = 0; j < dim; j++) {
            const yp = Float64Array.from(y), ym = Float64Array.from(y);
            yp[j] += h; ym[j] -= h;
            const fd = sign * (F(yp) - F(ym)) / (2 * h);
            // f32 point and gradient: ~1e-5 relative of the gradient's scale.
            expect(Math.abs(gy[j] - fd), `n=${n} p=${p} sign=${sign} j=${j}`).toBeLessThanOrEqual(2e-4 * (1 + Math.abs(fd)) * (A ? Math.sqrt(n) : 1));
          }
          expect(po.evaluations).toBe(1);
          expect(po.firstValue).toBeCloseTo(sign * val, 12);
        }
        ops.dispose();
      }
    });

    it('Wasm views are used in place: gradients written by an objective that grows memory through fresh views', () => {
      // An objective that allocates (growing Wasm memory) before writing g, as a network
      // adapter might; it re-derives the view from g.byteOffset as the contract says.
      let grown = false;
      const grower: Objective = {
        n: 4,
        evalGrad(x, g) {
          const xs = Array.from(x), off = g.byteOffset, len = g.length, inWasm = g.buffer === k.memory.buffer;
          if (!grown) { k.f32(8 << 20); grown = true; } // 32 MiB: forces memory.grow
          const gv = inWasm ? new Float32Array(k.memory.buffer, off, len) : g;
          for (let i = 0; i < 4; i++) gv[i] = 2 * (xs[i] - i);
          return xs.reduce((s, v, i) => s + (v - i) ** 2, 0);
        },
      };
      const r = minimizeLbfgsb(k, grower, new Float32Array(4), { pgtol: 1e-6 });
      expect(grown).toBe(true);
      expect(Array.from(r.x).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([0, 1, 2, 3]);
      // Writing through the stale (detached) view is reported, not silently ignored.
      let grownAgain = false;
      const stale: Objective = {
        n: 2,
        evalGrad(x, g) {
          const x0 = x[0], x1 = x[1];
          if (!grownAgain) { k.f32(16 << 20); grownAgain = true; }
          g[0] = x0; g[1] = x1;
          return 0.5 * (x0 * x0 + x1 * x1);
        },
      };
      expect(() => minimizeLbfgsb(k, stale, Float32Array.of(1, 1))).toThrow(expect.objectContaining({ name: 'NonFiniteObjectiveError', argument: 'g' }));
    });
  });
}
