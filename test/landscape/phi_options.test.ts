// The sharpness options the φ study varies (issue 16): a random-corner start, an explicit box
// (filter-normalized half-widths), the final iterate's f and projected gradient; and
// filter-normalized coordinates (scales, and the Hessian D·∇²f·D) against f64 references.
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelRangeError } from '../../src/kernels/errors.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { filterScales, ScaledObjective } from '../../src/landscape/filter_coordinates.js';
import { hessianTopEigenvalues, hessianTrace } from '../../src/landscape/hessian.js';
import type { Objective } from '../../src/landscape/objective.js';
import { sharpness } from '../../src/landscape/sharpness.js';
import { symmetricEigen } from '../../src/landscape/dense.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { rand } from '../ref/rng.js';
import { diagQuadratic, quadratic, withSpectrum } from './objectives.js';

const f32 = Math.fround;

/** Records every point the objective is evaluated at. */
function recording(obj: Objective): Objective & { points: Float32Array[] } {
  const points: Float32Array[] = [];
  return { n: obj.n, points, evalGrad(x, g) { points.push(Float32Array.from(x)); return obj.evalGrad(x, g); } };
}

describe('sharpness options of the φ study', () => {
  let k: Kernels;
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); });

  it('a random-corner start begins at a vertex of the box (inside it), is seeded, and never reports φ below 0', () => {
    const n = 37;
    const obj = recording(diagQuadratic(Float64Array.from({ length: n }, (_, i) => 1 + (i % 3)), Float64Array.from(rand(n, 3))));
    const x = rand(n, 5);
    const r = sharpness(k, obj, x, { eps: 1e-3, maxIter: 3, start: { seed: 7, at: 'corner' } });
    // Evaluation 1 is f(x) (y = 0), evaluation 2 the start x + y₀.
    const start = obj.points[1];
    let signs = 0;
    for (let i = 0; i < n; i++) {
      const w = r.halfWidths[i];
      const y = start[i] - x[i];
      expect(Math.abs(Math.abs(y) - w)).toBeLessThanOrEqual(2 * Math.abs(x[i]) * 2 ** -23 + 1e-12);
      expect(Math.abs(y)).toBeLessThanOrEqual(w * (1 + 1e-6) + 2 * Math.abs(x[i]) * 2 ** -23);
      signs += y > 0 ? 1 : 0;
    }
    expect(signs).toBeGreaterThan(0);
    expect(signs).toBeLessThan(n);
    expect(r.phi).toBeGreaterThanOrEqual(0);
    const again = recording(diagQuadratic(Float64Array.from({ length: n }, (_, i) => 1 + (i % 3)), Float64Array.from(rand(n, 3))));
    sharpness(k, again, x, { eps: 1e-3, maxIter: 3, start: { seed: 7, at: 'corner' } });
    expect(again.points[1]).toEqual(start);
  });

  it('boxScale: half-widths ε·s_i (0 holds a coordinate fixed); φ equals the separable closed form', () => {
    const n = 50, eps = 1e-3;
    const h = Float64Array.from({ length: n }, (_, i) => 0.5 + (i % 4)), b = Float64Array.from(rand(n, 8), (v) => 2 * v);
    const obj = diagQuadratic(h, b);
    const x = rand(n, 9);
    const s = Float32Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 0 : 0.1 + (i % 7) * 0.05));
    const r = sharpness(k, obj, x, { eps, boxScale: s, maxIter: 20 });
    const f0 = obj.value(x);
    let fmax = 0;
    for (let i = 0; i < n; i++) {
      const w = f32(eps * s[i]);
      expect(r.halfWidths[i]).toBe(w);
      if (w === 0) expect(r.y[i]).toBe(0);
      const fi = (z: number) => 0.5 * h[i] * z * z + b[i] * z;
      fmax += Math.max(fi(f32(x[i] + w)), fi(f32(x[i] - w)));
    }
    expect(Math.abs(r.phi - ((fmax - f0) / (1 + f0)) * 100)).toBeLessThan(1e-9 * Math.abs(r.phi) + 1e-12);
    // Converged at a vertex: the final iterate is the maximum and its projected gradient is 0.
    expect(r.fFinal).toBe(r.fmax);
    expect(r.projGradNorm).toBe(0);
  });

  it('fFinal and projGradNorm describe the final iterate: a dense quadratic needs more than 1 iteration', () => {
    const n = 6;
    const obj = quadratic(withSpectrum([0.5, 1, 2, 3, 4, 6], 11), Float64Array.from(rand(n, 5), (v) => 3 * v));
    const x = rand(n, 21);
    const one = sharpness(k, obj, x, { eps: 1e-3, maxIter: 1 });
    const many = sharpness(k, obj, x, { eps: 1e-3, maxIter: 50 });
    expect(one.fFinal).toBe(one.fmax);
    expect(many.fFinal).toBeGreaterThanOrEqual(one.fFinal);
    expect(many.projGradNorm).toBeLessThanOrEqual(one.projGradNorm);
    expect(Number.isFinite(one.projGradNorm)).toBe(true);
  });

  it('bad options are typed errors naming them', () => {
    const n = 8, obj = diagQuadratic(new Float64Array(n).fill(1), new Float64Array(n)), x = rand(n, 1);
    expect(() => sharpness(k, obj, x, { start: { seed: 1, at: 'edge' as never } })).toThrow(KernelRangeError);
    expect(() => sharpness(k, obj, x, { start: { seed: 1, at: 'edge' as never } })).toThrow(/start.at: must be 'inside' or 'corner'/);
    expect(() => sharpness(k, obj, x, { start: { seed: 1.5 } })).toThrow(/start: must be 'zero' or \{ seed: integer/);
    expect(() => sharpness(k, obj, x, { boxScale: new Float32Array(n - 1) })).toThrow(/boxScale: must be a Float32Array of length n = 8/);
    expect(() => sharpness(k, obj, x, { boxScale: Float32Array.from({ length: n }, (_, i) => (i === 3 ? -1 : 1)) })).toThrow(/boxScale: entry 3 is -1/);
    expect(() => sharpness(k, obj, x, { boxScale: new Float32Array(n).fill(1), subspace: { p: 2, seed: 0 } })).toThrow(/boxScale: applies to the full space only/);
  });
});

describe('filter-normalized coordinates', () => {
  let k: Kernels;
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); });

  it('filterScales: the RMS of each unit\'s incoming weights on weights, 0 on biases and BN; rescaling a unit rescales its scales', () => {
    const model = Model.create(k, tiny(6, 3), { seed: 2 });
    try {
      const x = Float32Array.from(model.params.view());
      const s = filterScales(model, x);
      for (const t of model.paramTensors) {
        for (let i = 0; i < t.length; i++) {
          if (t.role !== 'weight') { expect(s[t.offset + i]).toBe(0); continue; }
          const u = i % t.units, m = t.length / t.units;
          let ss = 0;
          for (let j = u; j < t.length; j += t.units) ss += x[t.offset + j] ** 2;
          expect(Math.abs(s[t.offset + i] - Math.sqrt(ss / m))).toBeLessThan(1e-6 * Math.sqrt(ss / m));
        }
      }
      // Unit 3 of the first dense layer scaled by 5: its scales ×5, nothing else changes.
      const w = model.paramTensors.find((t) => t.role === 'weight')!;
      const y = Float32Array.from(x);
      for (let j = 3; j < w.length; j += w.units) y[w.offset + j] *= 5;
      const s2 = filterScales(model, y);
      for (let i = 0; i < x.length; i++) {
        const inUnit = i >= w.offset && i < w.offset + w.length && (i - w.offset) % w.units === 3;
        expect(Math.abs(s2[i] - (inUnit ? 5 : 1) * s[i])).toBeLessThanOrEqual(1e-6 * s2[i]);
      }
    } finally {
      model.dispose();
    }
  });

  it('ScaledObjective: f(x₀ + D·u), gradient D·∇f, and the Hessian D·H·D — top eigenvalue and trace match a dense f64 reference', () => {
    const n = 6;
    const H = withSpectrum([-1, 0.5, 1, 2, 3, 5], 4);
    const b = Float64Array.from(rand(n, 6));
    const base = quadratic(H, b);
    const x0 = rand(n, 7);
    const d = Float32Array.from([0.5, 2, 0, 1, 3, 0.25]);
    const obj = new ScaledObjective(k, base, x0, d);
    const u = rand(n, 8);
    const g = new Float32Array(n);
    const f = obj.evalGrad(u, g);
    const at = Float64Array.from({ length: n }, (_, i) => f32(x0[i] + d[i] * u[i]));
    expect(Math.abs(f - base.value(at))).toBeLessThan(1e-12 + 1e-9 * Math.abs(f));
    for (let i = 0; i < n; i++) {
      let hx = 0;
      for (let j = 0; j < n; j++) hx += H[i * n + j] * at[j];
      expect(Math.abs(g[i] - d[i] * (hx + b[i]))).toBeLessThan(1e-5 * (1 + Math.abs(g[i])));
    }
    const DHD = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) DHD[i * n + j] = d[i] * H[i * n + j] * d[j];
    const ref = symmetricEigen(DHD, n).values;
    const top = Math.max(...ref);
    let tr = 0;
    for (let i = 0; i < n; i++) tr += DHD[i * n + i];
    const zero = new Float32Array(n);
    const eig = hessianTopEigenvalues(k, obj, zero, { count: 1, maxIter: n, method: 'exact' });
    expect(Math.abs(eig.values[0] - top)).toBeLessThan(1e-5 * Math.abs(top));
    // Hutchinson with Rademacher v: E[vᵀAv] = tr A; many samples bring it within a few standard errors.
    const t = hessianTrace(k, obj, zero, { maxSamples: 4000, minSamples: 4000, method: 'exact', seed: 3 });
    expect(Math.abs(t.estimate - tr)).toBeLessThan(4 * t.stdError + 1e-9);
  });

  it('ScaledObjective checks its inputs', () => {
    const base = quadratic(withSpectrum([1, 2], 1), new Float64Array(2));
    expect(() => new ScaledObjective(k, base, new Float32Array(2), Float32Array.from([1, -1]))).toThrow(/scales: entry 1 is -1/);
    expect(() => new ScaledObjective(k, base, new Float32Array(3), new Float32Array(2))).toThrow(/x0: must have length n = 2/);
    const noHvp = diagQuadratic(Float64Array.from([1, 1]), new Float64Array(2));
    expect(() => new ScaledObjective(k, noHvp, new Float32Array(2), Float32Array.from([1, 1])).hvp(new Float32Array(2), new Float32Array(2), new Float32Array(2))).toThrow(/has no exact Hessian-vector product/);
  });
});
