import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { estimateNoiseScale, measureNoiseScale, noiseScaleFromNorms } from '../../src/landscape/noise_scale.js';
import { Rng } from '../../src/util/rng.js';

describe('noise scale formulas', () => {
  it('recover |G|², tr Σ and B_simple exactly from expected squared norms', () => {
    // E|G_B|² = |G|² + tr Σ / B with |G|² = 2, tr Σ = 30.
    for (const [bs, bb] of [[1, 2], [4, 32], [256, 6000]]) {
      const r = noiseScaleFromNorms({ bSmall: bs, bBig: bb, gSmallSq: 2 + 30 / bs, gBigSq: 2 + 30 / bb });
      expect(r.gradSq).toBeCloseTo(2, 9);
      expect(r.traceSigma).toBeCloseTo(30, 7);
      expect(r.bSimple).toBeCloseTo(15, 7);
    }
  });

  it('a non-positive |G|² estimate gives B_simple = Infinity (noise swamps the signal)', () => {
    expect(noiseScaleFromNorms({ bSmall: 1, bBig: 2, gSmallSq: 10, gBigSq: 4 }).bSimple).toBe(Infinity);
  });

  it('estimateNoiseScale averages numerator and denominator, then divides', () => {
    const pairs = [
      { bSmall: 2, bBig: 4, gSmallSq: 3, gBigSq: 2 },
      { bSmall: 2, bBig: 4, gSmallSq: 5, gBigSq: 3 },
    ];
    const r = estimateNoiseScale(pairs);
    const g = [(4 * 2 - 2 * 3) / 2, (4 * 3 - 2 * 5) / 2], s = [(3 - 2) / 0.25, (5 - 3) / 0.25];
    expect(r.gradSq).toBeCloseTo((g[0] + g[1]) / 2, 12);
    expect(r.traceSigma).toBeCloseTo((s[0] + s[1]) / 2, 12);
    expect(r.bSimple).toBeCloseTo(r.traceSigma / r.gradSq, 12);
    expect(r.criticalBatch).toBe(r.bSimple);
    expect(r.pairs).toBe(2);
    expect(r.traceSigmaStdErr).toBeCloseTo(Math.abs(s[0] - s[1]) / 2, 12);
  });

  it('errors: bBig ≤ bSmall, bSmall < 1, negative or NaN norms, empty input', () => {
    expect(() => noiseScaleFromNorms({ bSmall: 4, bBig: 4, gSmallSq: 1, gBigSq: 1 })).toThrow(expect.objectContaining({ argument: 'bBig' }));
    expect(() => noiseScaleFromNorms({ bSmall: 0, bBig: 4, gSmallSq: 1, gBigSq: 1 })).toThrow(expect.objectContaining({ argument: 'bSmall' }));
    expect(() => noiseScaleFromNorms({ bSmall: 1, bBig: 4, gSmallSq: -1, gBigSq: 1 })).toThrow(expect.objectContaining({ argument: 'gSmallSq' }));
    expect(() => noiseScaleFromNorms({ bSmall: 1, bBig: 4, gSmallSq: 1, gBigSq: NaN })).toThrow(expect.objectContaining({ argument: 'gBigSq' }));
    expect(() => estimateNoiseScale([])).toThrow(expect.objectContaining({ argument: 'pairs' }));
    expect(() => estimateNoiseScale([{ bSmall: 1, bBig: 2, gSmallSq: 1, gBigSq: 1 }, { bSmall: 3, bBig: 2, gSmallSq: 1, gBigSq: 1 }]))
      .toThrow(expect.objectContaining({ argument: 'bBig[1]' }));
  });
});

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`measureNoiseScale (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('synthetic per-sample gradients g_i = G + σ⊙z_i with known |G|² and tr Σ', () => {
      const n = 50, bSmall = 4, bBig = 32, draws = 400;
      const rng = new Rng(42);
      const G = Float64Array.from({ length: n }, () => rng.normal());
      const gradSq = G.reduce((a, v) => a + v * v, 0);
      const sigma = Float64Array.from({ length: n }, (_, j) => 0.5 + (j % 5) * 0.25);
      const traceSigma = sigma.reduce((a, v) => a + v * v, 0);
      let calls = 0;
      const r = measureNoiseScale(k, (_draw, _part, g) => {
        calls++;
        // Mean of bSmall fresh per-sample gradients.
        for (let j = 0; j < n; j++) {
          let z = 0;
          for (let s = 0; s < bSmall; s++) z += rng.normal();
          g[j] = G[j] + sigma[j] * z / bSmall;
        }
      }, { n, bSmall, bBig, draws });
      expect(calls).toBe(draws * bBig / bSmall);
      expect(r.pairs).toBe(draws);
      // Unbiased estimators: within 4 standard errors, and the errors are informative (< 15%).
      expect(Math.abs(r.gradSq - gradSq)).toBeLessThanOrEqual(4 * r.gradSqStdErr);
      expect(Math.abs(r.traceSigma - traceSigma)).toBeLessThanOrEqual(4 * r.traceSigmaStdErr);
      expect(r.gradSqStdErr).toBeLessThan(0.15 * gradSq);
      expect(r.traceSigmaStdErr).toBeLessThan(0.15 * traceSigma);
      const bSimple = traceSigma / gradSq;
      expect(Math.abs(r.bSimple - bSimple)).toBeLessThanOrEqual(4 * r.bSimpleStdErr);
      expect(r.bSimpleStdErr).toBeLessThan(0.2 * bSimple);
    });

    it('a linear-regression teacher with Gaussian inputs: B_simple = d(1 + σ²/|δ|²) + 1, measured from real per-sample gradients', () => {
      // Model w, teacher y = w*·x + σ·ξ, x ~ N(0, I_d), loss ½(w·x − y)². With δ = w − w* the
      // per-sample gradient is x(xᵀδ − σξ), so G = δ and, by Isserlis, Σ = (|δ|² + σ²)I + δδᵀ:
      // tr Σ = d(|δ|² + σ²) + |δ|², B_simple = tr Σ / |G|² = d(1 + σ²/|δ|²) + 1.
      const d = 20, sigma = 1.2, bSmall = 8, bBig = 64, draws = 300;
      const rng = new Rng(7);
      const delta = Float64Array.from({ length: d }, () => 0.3 * rng.normal());
      const dd = delta.reduce((a, v) => a + v * v, 0);
      const expected = d * (1 + sigma * sigma / dd) + 1;
      const x = new Float64Array(d);
      const r = measureNoiseScale(k, (_draw, _part, g) => {
        g.fill(0);
        for (let s = 0; s < bSmall; s++) {
          let dot = 0;
          for (let j = 0; j < d; j++) { x[j] = rng.normal(); dot += x[j] * delta[j]; }
          const residual = dot - sigma * rng.normal();
          for (let j = 0; j < d; j++) g[j] += x[j] * residual / bSmall;
        }
      }, { n: d, bSmall, bBig, draws });
      expect(Math.abs(r.gradSq - dd)).toBeLessThanOrEqual(4 * r.gradSqStdErr);
      expect(Math.abs(r.bSimple - expected)).toBeLessThanOrEqual(4 * r.bSimpleStdErr);
      expect(r.bSimpleStdErr).toBeLessThan(0.05 * expected);
      // The noise term matters: without it B_simple would be d + 1.
      expect(expected).toBeGreaterThan(1.5 * (d + 1));
    });

    it('errors: bBig not a multiple of bSmall, NaN gradient, bad n', () => {
      const ok = (_d: number, _p: number, g: Float32Array) => { g.fill(1); };
      expect(() => measureNoiseScale(k, ok, { n: 3, bSmall: 4, bBig: 10 })).toThrow(expect.objectContaining({ argument: 'bBig' }));
      expect(() => measureNoiseScale(k, ok, { n: 3, bSmall: 4, bBig: 4 })).toThrow(expect.objectContaining({ argument: 'bBig' }));
      expect(() => measureNoiseScale(k, ok, { n: 0, bSmall: 1, bBig: 2 })).toThrow(expect.objectContaining({ argument: 'n' }));
      expect(() => measureNoiseScale(k, (_d, _p, g) => { g[1] = NaN; }, { n: 3, bSmall: 1, bBig: 2 }))
        .toThrow(expect.objectContaining({ name: 'NonFiniteObjectiveError' }));
    });
  });
}
