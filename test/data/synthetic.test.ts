import { describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { split } from '../../src/data/transform.js';
import { checkDataset } from '../../src/data/validate.js';
import { DataArgumentError, DataTypeError } from '../../src/data/errors.js';
import type { Dataset } from '../../src/data/dataset.js';

const sameBits = (a: Float32Array, b: Float32Array) => a.length === b.length && Buffer.from(a.buffer).equals(Buffer.from(b.buffer));

// Nearest class mean (fitted on `train`, in f64) accuracy on `test`.
function nearestMeanAccuracy(train: Dataset, test: Dataset): number {
  const d = train.x.length / train.n;
  const mean = new Float64Array(train.classes * d);
  const cnt = new Float64Array(train.classes);
  for (let i = 0; i < train.n; i++) { cnt[train.y[i]]++; for (let j = 0; j < d; j++) mean[train.y[i] * d + j] += train.x[i * d + j]; }
  for (let c = 0; c < train.classes; c++) for (let j = 0; j < d; j++) mean[c * d + j] /= Math.max(1, cnt[c]);
  let ok = 0;
  for (let i = 0; i < test.n; i++) {
    let best = -1, bestD = Infinity;
    for (let c = 0; c < train.classes; c++) {
      let s = 0;
      for (let j = 0; j < d; j++) { const t = test.x[i * d + j] - mean[c * d + j]; s += t * t; }
      if (s < bestD) { bestD = s; best = c; }
    }
    if (best === test.y[i]) ok++;
  }
  return ok / test.n;
}

// 1-nearest-neighbour accuracy (a nonparametric learner: high iff labels are a smooth function of x).
function oneNnAccuracy(train: Dataset, test: Dataset): number {
  const d = train.x.length / train.n;
  let ok = 0;
  for (let i = 0; i < test.n; i++) {
    let best = -1, bestD = Infinity;
    for (let k = 0; k < train.n; k++) {
      let s = 0;
      for (let j = 0; j < d; j++) { const t = test.x[i * d + j] - train.x[k * d + j]; s += t * t; }
      if (s < bestD) { bestD = s; best = k; }
    }
    if (train.y[best] === test.y[i]) ok++;
  }
  return ok / test.n;
}

describe('syntheticClassification', () => {
  it('is reproducible bit for bit from its seeds and changes with them', () => {
    for (const kind of ['clusters', 'teacher'] as const) {
      const o = { n: 50, dim: 6, classes: 3, seed: 7, kind };
      const a = syntheticClassification(o);
      const b = syntheticClassification(o);
      checkDataset(a);
      expect(sameBits(a.x, b.x)).toBe(true);
      expect(Array.from(a.y)).toEqual(Array.from(b.y));
      expect(sameBits(a.x, syntheticClassification({ ...o, seed: 8 }).x)).toBe(false);
      expect(sameBits(a.x, syntheticClassification({ ...o, sampleSeed: 99 }).x)).toBe(false);
    }
  });

  it('clusters: balanced classes, learnable, and sampleSeed redraws the same problem', () => {
    const o = { n: 300, dim: 8, classes: 4, seed: 3, noise: 0.7 };
    const train = syntheticClassification(o);
    expect(train).toMatchObject({ n: 300, shape: [8], classes: 4 });
    const counts = [0, 0, 0, 0];
    for (const v of train.y) counts[v]++;
    expect(counts).toEqual([75, 75, 75, 75]);
    const test = syntheticClassification({ ...o, n: 200, sampleSeed: 12345 });
    expect(nearestMeanAccuracy(train, test)).toBeGreaterThan(0.9);
    // A different problem seed moves the centers: the fitted means no longer fit.
    expect(nearestMeanAccuracy(train, syntheticClassification({ ...o, n: 200, seed: 4 }))).toBeLessThan(0.6);
  });

  it('noise controls difficulty', () => {
    const o = { n: 400, dim: 2, classes: 3, seed: 1 };
    const easy = split(syntheticClassification({ ...o, noise: 0.1 }), 0.5, 1);
    const hard = split(syntheticClassification({ ...o, noise: 5 }), 0.5, 1);
    expect(nearestMeanAccuracy(easy[0], easy[1])).toBeGreaterThan(0.95);
    expect(nearestMeanAccuracy(hard[0], hard[1])).toBeLessThan(0.7);
  });

  it('teacher: every class present, labels a learnable function of x; labelNoise corrupts them', () => {
    const o = { n: 1500, dim: 3, classes: 3, seed: 11, kind: 'teacher' as const };
    const train = syntheticClassification(o);
    const counts = [0, 0, 0];
    for (const v of train.y) counts[v]++;
    expect(Math.min(...counts)).toBeGreaterThan(1500 / 3 / 4);
    const test = syntheticClassification({ ...o, n: 150, sampleSeed: 5 });
    expect(oneNnAccuracy(train, test)).toBeGreaterThan(0.85);
    const noisy = syntheticClassification({ ...o, labelNoise: 1 });
    expect(sameBits(noisy.x, train.x)).toBe(true);
    let agree = 0;
    for (let i = 0; i < o.n; i++) if (noisy.y[i] === train.y[i]) agree++;
    expect(agree / o.n).toBeLessThan(0.45); // ≈ 1/3 by chance
  });

  it('image-like shapes', () => {
    const ds = syntheticClassification({ n: 5, shape: [4, 4, 2], classes: 2, seed: 0 });
    expect(ds.shape).toEqual([4, 4, 2]);
    expect(ds.x.length).toBe(5 * 32);
  });

  it('rejects bad options by name', () => {
    const o = { n: 10, dim: 2, classes: 2, seed: 1 };
    expect(() => syntheticClassification({ ...o, n: 0 })).toThrow(/^n: must be an integer in \[1,/);
    expect(() => syntheticClassification({ ...o, classes: 1 })).toThrow(/^classes:/);
    expect(() => syntheticClassification({ ...o, seed: NaN })).toThrow(/^seed: must be a finite number/);
    expect(() => syntheticClassification({ ...o, noise: -1 })).toThrow(/^noise:/);
    expect(() => syntheticClassification({ ...o, labelNoise: 1.5 })).toThrow(/^labelNoise:/);
    expect(() => syntheticClassification({ ...o, shape: [2] })).toThrow(/give exactly one of dim and shape/);
    expect(() => syntheticClassification({ n: 10, classes: 2, seed: 1, shape: [2, 0] })).toThrow(/^shape\[1\]:/);
    expect(() => syntheticClassification({ ...o, kind: 'spiral' as 'teacher' })).toThrow(DataArgumentError);
    expect(() => syntheticClassification({ ...o, n: '10' as unknown as number })).toThrow(DataTypeError);
  });
});
