import { describe, expect, it } from 'vitest';
import { channelStats, applyNormalization, normalize, subset, split } from '../../src/data/transform.js';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { DataArgumentError, DataFormatError, DataTypeError } from '../../src/data/errors.js';
import type { Dataset } from '../../src/data/dataset.js';

function tinyImages(): Dataset {
  // 2 samples of shape [2, 2, 3] (HWC): channel c of sample s at pixel p = s*10 + c*100 + p.
  const x = new Float32Array(2 * 12);
  for (let s = 0; s < 2; s++) for (let p = 0; p < 4; p++) for (let c = 0; c < 3; c++) x[s * 12 + p * 3 + c] = s * 10 + c * 100 + p;
  return { name: 'tiny', x, y: new Int32Array([0, 1]), n: 2, shape: [2, 2, 3], classes: 2 };
}

// Plain f64 reference: gather each channel's values, mean, population std.
function refStats(ds: Dataset) {
  const c = ds.shape[ds.shape.length - 1];
  const mean: number[] = [], std: number[] = [];
  for (let k = 0; k < c; k++) {
    const v: number[] = [];
    for (let i = k; i < ds.x.length; i += c) v.push(ds.x[i]);
    const m = v.reduce((a, b) => a + b, 0) / v.length;
    mean.push(m);
    std.push(Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / v.length));
  }
  return { mean, std };
}

describe('channelStats / normalize', () => {
  it('per-channel mean and std of HWC images', () => {
    const st = channelStats(tinyImages());
    // channel c values: {c*100 + p, 10 + c*100 + p}, p = 0..3 → mean c*100 + 6.5, var = 25 + 1.25.
    expect(st.mean).toEqual([6.5, 106.5, 206.5]);
    for (const s of st.std) expect(s).toBeCloseTo(Math.sqrt(26.25), 12);
  });

  it('matches an f64 reference on awkward sizes, and normalized data has mean 0, std 1', () => {
    for (const [n, d] of [[1, 3], [3, 17], [17, 5], [65, 1]]) {
      const ds = syntheticClassification({ n, dim: d, classes: 2, seed: n * 100 + d, separation: 3 });
      const st = channelStats(ds);
      const ref = refStats(ds);
      for (let k = 0; k < d; k++) {
        expect(st.mean[k]).toBeCloseTo(ref.mean[k], 10);
        expect(st.std[k]).toBeCloseTo(ref.std[k], 10);
      }
      const { dataset, stats } = normalize(ds);
      expect(stats).toEqual(st);
      expect(dataset.x).not.toBe(ds.x);
      const after = refStats(dataset);
      for (let k = 0; k < d; k++) {
        expect(after.mean[k]).toBeCloseTo(0, 5);
        // n = 1: every channel is constant (std 0) and is only centered.
        expect(after.std[k]).toBeCloseTo(n === 1 ? 0 : 1, 5);
      }
    }
  });

  it('applies train statistics to another set (not its own)', () => {
    const train = tinyImages();
    const test: Dataset = { ...tinyImages(), name: 'test', x: tinyImages().x.map((v) => v + 1) };
    const { stats } = normalize(train);
    const out = applyNormalization(test, stats);
    const s = Math.sqrt(26.25);
    expect(out.x[0]).toBeCloseTo((1 - 6.5) / s, 6);
    expect(out.x[1]).toBeCloseTo((101 - 106.5) / s, 6);
    expect(test.x[0]).toBe(1); // input untouched
    const inPlace = applyNormalization(test, stats, { inPlace: true });
    expect(inPlace).toBe(test);
    expect(test.x[0]).toBeCloseTo((1 - 6.5) / s, 6);
  });

  it('rejects NaN data and mismatched stats', () => {
    const ds = tinyImages();
    ds.x[13] = NaN;
    expect(() => channelStats(ds)).toThrow(/tiny: non-finite value NaN at sample 1, element 1/);
    expect(() => channelStats(ds)).toThrow(DataFormatError);
    expect(() => applyNormalization(tinyImages(), { mean: [0], std: [1] })).toThrow(/stats: must hold 3 means and 3 stds/);
    expect(() => applyNormalization(tinyImages(), { mean: [0, 0, NaN], std: [1, 1, 1] })).toThrow(/stats\.mean\[2\]/);
    expect(() => applyNormalization(tinyImages(), { mean: [0, 0, 0], std: [1, -1, 1] })).toThrow(/stats\.std\[1\]/);
    expect(() => channelStats({ ...tinyImages(), n: 3 })).toThrow(/dataset\.x: length 24 ≠ n·prod\(shape\)/);
    expect(() => channelStats({ ...tinyImages(), x: [1, 2] as unknown as Float32Array })).toThrow(DataTypeError);
  });
});

describe('subset / split', () => {
  const ds = syntheticClassification({ n: 20, dim: 3, classes: 4, seed: 2 });

  it('subset copies the chosen rows in order', () => {
    const s = subset(ds, [5, 0, 5]);
    expect(s.n).toBe(3);
    expect(Array.from(s.x.subarray(0, 3))).toEqual(Array.from(ds.x.subarray(15, 18)));
    expect(Array.from(s.x.subarray(3, 6))).toEqual(Array.from(ds.x.subarray(0, 3)));
    expect(Array.from(s.y)).toEqual([ds.y[5], ds.y[0], ds.y[5]]);
    expect(() => subset(ds, [0, 20])).toThrow(/indices\[1\]: must be an integer in \[0, 20\), got 20/);
    expect(() => subset(ds, [1.5])).toThrow(DataArgumentError);
  });

  it('split is seeded, disjoint and covers every sample', () => {
    const [a, b] = split(ds, 0.75, 9);
    expect([a.n, b.n]).toEqual([15, 5]);
    const [a2] = split(ds, 0.75, 9);
    expect(Array.from(a2.x)).toEqual(Array.from(a.x));
    const [a3] = split(ds, 0.75, 10);
    expect(Array.from(a3.x)).not.toEqual(Array.from(a.x));
    // Identify rows by their first feature (continuous, so distinct).
    const key = (d: Dataset) => Array.from({ length: d.n }, (_, i) => d.x[i * 3]);
    const all = new Set(key(ds));
    const got = [...key(a), ...key(b)];
    expect(got.length).toBe(20);
    expect(new Set(got)).toEqual(all);
  });

  it('split rejects fractions that leave a part empty', () => {
    expect(() => split(ds, 0.01, 1)).toThrow(/fraction: 0.01 of 20 samples gives parts of 0 and 20/);
    expect(() => split(ds, 1, 1)).toThrow(DataArgumentError);
    expect(() => split(ds, NaN, 1)).toThrow(/fraction: must be a finite number/);
  });
});
