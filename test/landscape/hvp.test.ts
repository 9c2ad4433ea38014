// Exact Hessian-vector products of a network's loss (ModelObjective.hvp,
// networkHessianVectorProduct): chunked f against the f64 reference summed over chunks (BN
// batch statistics per chunk, and running statistics), Wasm views, the model left as it was;
// on F1 (a small sample) symmetry uᵀHv = vᵀHu and linearity to f32 precision; and the
// eigenvalue density (SLQ) on known spectra and on a small net.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model, type LabeledSet } from '../../src/nn/model.js';
import { f1 } from '../../src/nn/specs.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { ModelObjective } from '../../src/landscape/model_objective.js';
import { networkHessianVectorProduct } from '../../src/landscape/hvp.js';
import { densityCurve, hessianDensity, networkHessianDensity } from '../../src/landscape/hvp_density.js';
import { networkHessian } from '../../src/landscape/network.js';
import { hessianVectorProduct } from '../../src/landscape/hessian.js';
import { VecOps } from '../../src/landscape/vec.js';
import { Rng } from '../../src/util/rng.js';
import { rand } from '../ref/rng.js';
import { frozenLoss, refHvp, someCoords } from '../nn/hvp_ref.js';
import { quadratic, withSpectrum } from './objectives.js';

const SMALL: ModelSpec = { name: 'small', input: [5], layers: [
  { type: 'dense', units: 7 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 4 }, { type: 'relu' }, { type: 'dense', units: 3 },
] };

function dataset(n: number, shape: number[], classes: number, seed: number): LabeledSet {
  const d = shape.reduce((a, b) => a * b, 1);
  const x = rand(n * d, seed).map((v) => 0.5 + 0.5 * v);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes);
  return { name: `random ${n}`, x, y, n, shape, classes };
}

function randn(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => r.normal());
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`network Hessian-vector products (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    for (const bn of ['batch', 'running'] as const) {
      it(`ModelObjective.hvp over chunks (50 samples, chunks 16+16+16+2, BN ${bn}) = Σ_c (b_c/N)·H_c·v of the f64 reference`, () => {
        const ds = dataset(50, [5], 3, 4);
        const m = Model.create(k, SMALL, { seed: 2 });
        const pv = m.params.view(), noise = rand(pv.length, 9);
        for (let i = 0; i < pv.length; i++) pv[i] += 0.2 * noise[i];
        if (bn === 'running') { const bv = m.buffers.view(); bv.set(rand(bv.length, 3).map((t, i) => (i % 14 < 7 ? 0.3 * t : 1.2 + 0.5 * t))); }
        const before = m.params.view().slice(), stats = m.buffers.view().slice();
        const obj = new ModelObjective(m, ds, { chunk: 16, bn });
        try {
          const x = obj.point(), v = randn(obj.n, 5), out = new Float32Array(obj.n);
          const loss = obj.hvp(x, v, out);
          expect(Array.from(m.params.view())).toEqual(Array.from(before));
          expect(Array.from(m.buffers.view())).toEqual(Array.from(stats));
          expect(loss).toBeCloseTo(obj.value(x), 6);
          // Reference: chunk losses with their own pieces, weighted by b_c/N.
          const p = Float64Array.from(x);
          const fs: ((q: Float64Array) => number)[] = [];
          for (let off = 0; off < 50; off += 16) {
            const b = Math.min(16, 50 - off);
            const xs = ds.x.subarray(off * 5, (off + b) * 5), ys = ds.y.subarray(off, off + b);
            m.lossAndGrad(xs, ys, b, { bn, dropout: false, updateStats: false }); // the model's state for frozenLoss's running stats
            const fc = frozenLoss(m, SMALL, p, xs, ys, b, bn, false);
            fs.push((q) => (b / 50) * fc(q));
          }
          const f = (q: Float64Array) => fs.reduce((s, fc) => s + fc(q), 0);
          const coords = someCoords(obj.n, 80);
          const ref = refHvp(f, p, v, coords);
          const scale = Math.max(...ref.map(Math.abs));
          coords.forEach((i, j) => expect(Math.abs(out[i] - ref[j]), `coordinate ${i}`).toBeLessThan(1e-5 * scale));
          // Views of Wasm memory give the same bits; networkHessianVectorProduct too.
          const ops = new VecOps(k);
          const xw = ops.from(x), vw = ops.from(v), ow = ops.alloc(obj.n);
          obj.hvp(xw.v, vw.v, ow.v);
          expect(Array.from(ow.v)).toEqual(Array.from(out));
          ops.dispose();
          const r = networkHessianVectorProduct(m, ds, v, { chunk: 16, bn });
          expect(Array.from(r.product)).toEqual(Array.from(out));
          expect(obj.products).toBe(2);
        } finally {
          obj.dispose(); m.dispose();
        }
      });
    }

    it('F1 on 32 samples (2 chunks): uᵀHv = vᵀHu and H(u + v) = Hu + Hv to f32 precision', () => {
      const ds = dataset(32, [28, 28, 1], 10, 1);
      const m = Model.create(k, f1(), { seed: 1 });
      const obj = new ModelObjective(m, ds, { chunk: 16 });
      try {
        const n = obj.n, x = obj.point();
        const u = randn(n, 11), v = randn(n, 12);
        const hu = new Float32Array(n), hv = new Float32Array(n), hs = new Float32Array(n);
        // The first product allocates the direction/product vectors and R activations (the
        // memory grows here): views passed in must survive that.
        const ops = new VecOps(k);
        const xw = ops.from(x), uw = ops.from(u), hw = ops.alloc(n);
        obj.hvp(xw.v, uw.v, hw.v);
        hu.set(hw.v);
        ops.dispose();
        obj.hvp(x, v, hv);
        obj.hvp(x, Float32Array.from(u, (t, i) => t + v[i]), hs);
        const a = dot(u, hv), b = dot(v, hu);
        const scale = Math.sqrt(dot(u, u) * dot(hv, hv));
        expect(Math.abs(a - b) / scale).toBeLessThan(1e-5);
        let e = 0; for (let i = 0; i < n; i++) e = Math.max(e, Math.abs(hs[i] - hu[i] - hv[i]));
        let mx = 0; for (let i = 0; i < n; i++) mx = Math.max(mx, Math.abs(hu[i]), Math.abs(hv[i]));
        expect(e / mx).toBeLessThan(1e-4);
        expect(Math.abs(dot(u, hu))).toBeGreaterThan(0);
      } finally {
        obj.dispose(); m.dispose();
      }
    });

    it('SLQ on a known spectrum: with n steps the nodes are the eigenvalues; weights sum to 1 (mean 1/n over runs); the density integrates to 1', () => {
      const n = 24;
      const eigs = Array.from({ length: n }, (_, i) => (i === 0 ? -3 : i === 1 ? 40 : 1 + i / 4));
      const q = quadratic(withSpectrum(eigs, 3), new Float64Array(n));
      const x = rand(n, 1);
      const full = hessianDensity(k, q, x, { steps: n, runs: 3, seed: 2 });
      const sorted = eigs.slice().sort((a, b) => a - b);
      for (const r of full.runs) {
        expect(r.steps).toBe(n);
        r.nodes.forEach((t, i) => expect(Math.abs(t - sorted[i])).toBeLessThan(1e-3));
        expect(Math.abs(r.weights.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-6);
      }
      expect(full.method).toBe('exact');
      expect(full.products).toBe(3 * n);
      // Fewer steps: the extreme nodes still converge to the extreme eigenvalues.
      const few = hessianDensity(k, q, x, { steps: 10, seed: 2 });
      expect(few.runs[0].nodes[9]).toBeCloseTo(40, 3);
      const { grid, density } = densityCurve(full, { bins: 2000 });
      const dx = grid[1] - grid[0];
      expect(density.reduce((a, b) => a + b, 0) * dx).toBeCloseTo(1, 9);
      expect(grid[0]).toBeLessThan(-3); expect(grid[grid.length - 1]).toBeGreaterThan(40);
      // Mass near λ = 40 is ≈ its mean weight (1/n in expectation): the bump is there.
      const near = density.reduce((s, d, i) => s + (Math.abs(grid[i] - 40) < 0.5 ? d * dx : 0), 0);
      expect(near).toBeGreaterThan(0.2 / n);
      expect(near).toBeLessThan(5 / n);
      expect(() => hessianDensity(k, q, x, { steps: n + 1 })).toThrow(expect.objectContaining({ argument: 'steps' }));
      expect(() => densityCurve(full, { sigma2: 0 })).toThrow(expect.objectContaining({ argument: 'sigma2' }));
    });

    it("typed errors: 'exact' without obj.hvp, an unknown method, v of the wrong length, a disposed model", () => {
      const q = quadratic(withSpectrum([1, 2, 3], 1), new Float64Array(3));
      const noHvp = { n: 3, evalGrad: q.evalGrad.bind(q) };
      const x = Float32Array.of(1, 2, 3);
      expect(() => hessianVectorProduct(k, noHvp, x, x, { method: 'exact' })).toThrow(expect.objectContaining({ argument: 'method' }));
      expect(() => hessianVectorProduct(k, q, x, x, { method: 'bogus' as never })).toThrow(expect.objectContaining({ argument: 'method' }));
      const ds = dataset(10, [5], 3, 1);
      const m = Model.create(k, SMALL, { seed: 1 });
      expect(() => networkHessian(m, ds, { hvp: 'finite' as never })).toThrow(expect.objectContaining({ argument: 'hvp' }));
      expect(() => networkHessianVectorProduct(m, ds, new Float32Array(3))).toThrow(expect.objectContaining({ argument: 'v' }));
      m.dispose();
      expect(() => m.hvpDirection).toThrow(/disposed/);
    });

    it('networkHessianDensity: the top node matches networkHessian\'s top eigenvalue (exact products)', () => {
      const ds = dataset(40, [5], 3, 6);
      const m = Model.create(k, SMALL, { seed: 4 });
      try {
        const n = m.numParams;
        const d = networkHessianDensity(m, ds, { steps: n, seed: 1 });
        const h = networkHessian(m, ds, { top: 1, maxIter: n, tol: 1e-6 });
        expect(d.hvpMethod).toMatch(/exact/);
        const top = d.runs[0].nodes[d.runs[0].nodes.length - 1];
        expect(Math.abs(top - h.eigen.values[0])).toBeLessThan(1e-4 * Math.abs(h.eigen.values[0]));
        expect(h.eigen.which).toBe('algebraic');
        expect(h.eigen.method).toBe('exact');
      } finally {
        m.dispose();
      }
    });
  });
}
