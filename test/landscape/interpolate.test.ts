// Parametric interpolation and filter-normalized surfaces: endpoints reproduce the models'
// own metrics, BN statistics recomputation vs an f64 reference, filter normalization keeps
// per-filter norms (dense and conv), the model is restored, bad inputs are typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { KernelRangeError } from '../../src/kernels/errors.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { train } from '../../src/train/train.js';
import { interpolate, lerpParams, linspace, recomputeBnStats } from '../../src/landscape/interpolate.js';
import { filterNormalizedDirection, surface1d, surface2d, unitNorms } from '../../src/landscape/surface.js';
import { paramLayout } from '../../src/landscape/index.js';

const trainSet = syntheticClassification({ n: 300, dim: 4, classes: 3, seed: 5, kind: 'teacher', hidden: 8, name: 'teacher/train' });
const testSet = syntheticClassification({ n: 150, dim: 4, classes: 3, seed: 5, sampleSeed: 77, kind: 'teacher', hidden: 8, name: 'teacher/test' });

const CONV: ModelSpec = {
  name: 'conv-test', input: [5, 5, 2],
  layers: [
    { type: 'conv2d', filters: 3, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' },
    { type: 'flatten' }, { type: 'dense', units: 4 },
  ],
};

/** f64 mean and unbiased variance of the first layer's pre-activations (dense 4 → 32) over the first N samples. */
function firstLayerStatsRef(params: Float32Array, N: number): { mean: Float64Array; v: Float64Array } {
  const I = 4, O = 32;
  const s1 = new Float64Array(O), s2 = new Float64Array(O);
  const pre = new Float64Array(N * O);
  for (let r = 0; r < N; r++) {
    for (let o = 0; o < O; o++) {
      let z = params[I * O + o];
      for (let i = 0; i < I; i++) z += trainSet.x[r * I + i] * params[i * O + o];
      pre[r * O + o] = z; s1[o] += z;
    }
  }
  const mean = s1.map((v) => v / N);
  for (let r = 0; r < N; r++) for (let o = 0; o < O; o++) s2[o] += (pre[r * O + o] - mean[o]) ** 2;
  return { mean, v: s2.map((v) => v / (N - 1)) };
}

describe('interpolation (simd)', () => {
  let k: Kernels;
  let xa: Float32Array, xb: Float32Array, ma: Model;
  beforeAll(async () => {
    k = await loadKernels({ build: 'simd' });
    ma = Model.create(k, tiny(4, 3), { seed: 1 });
    const mb = Model.create(k, tiny(4, 3), { seed: 1 });
    await train(ma, { train: trainSet }, { epochs: 4, batchSize: 10, seed: 2 });
    await train(mb, { train: trainSet }, { epochs: 4, batchSize: 150, seed: 2 });
    xa = Float32Array.from(ma.params.view()); xb = Float32Array.from(mb.params.view());
    mb.dispose();
  });

  it('lerp: α = 0 and 1 give the endpoints bit for bit; linspace includes both ends', () => {
    expect(lerpParams(xa, xb, 0)).toEqual(xa);
    expect(lerpParams(xa, xb, 1)).toEqual(xb);
    const l = linspace(-1, 2, 31);
    expect(l).toHaveLength(31); expect(l[0]).toBe(-1); expect(l[30]).toBe(2); expect(l[10]).toBeCloseTo(0, 14);
  });

  it("batch-stats mode: α = 0/1 equal each endpoint model's evaluate({batchStats}) exactly", () => {
    const r = interpolate(ma, xa, xb, trainSet, testSet, { alphas: [0, 1, 0.5], bn: 'batch-stats', evalBatch: 100 });
    expect(r.bn.mode).toBe('batch-stats');
    expect(r.bn.description).toMatch(/batch statistics/);
    const other = Model.create(k, tiny(4, 3), { seed: 77 });
    for (const [i, x] of [[0, xa], [1, xb]] as const) {
      other.params.view().set(x);
      const tr = other.evaluate(trainSet, { batchStats: true, batchSize: 100 });
      const te = other.evaluate(testSet, { batchStats: true, batchSize: 100 });
      expect(r.points[i]).toEqual({ alpha: i, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te.loss, testAcc: te.accuracy });
    }
    other.dispose();
  });

  it('recompute mode: BN statistics equal the f64 pooled statistics of the sample; endpoints match inference with them', () => {
    const before = Float32Array.from(ma.params.view()), bufs = Float32Array.from(ma.buffers.view());
    const r = interpolate(ma, xa, xb, trainSet, testSet, { alphas: [0, 1], bn: 'recompute', statsSamples: 250, statsBatch: 64 });
    expect(r.bn.description).toMatch(/recomputed at every point from the first 250 training samples/);
    // The model is left as it was.
    expect(ma.params.view()).toEqual(before);
    expect(ma.buffers.view()).toEqual(bufs);
    const other = Model.create(k, tiny(4, 3), { seed: 77 });
    for (const [i, x] of [[0, xa], [1, xb]] as const) {
      other.params.view().set(x);
      expect(recomputeBnStats(other, trainSet, 250, 64)).toBe(1);
      const ref = firstLayerStatsRef(x, 250);
      const got = other.buffers.view();
      for (let c = 0; c < 32; c++) {
        expect(Math.abs(got[c] - ref.mean[c])).toBeLessThan(1e-4 * (1 + Math.abs(ref.mean[c])));
        expect(Math.abs(got[32 + c] - ref.v[c])).toBeLessThan(1e-4 * ref.v[c]);
      }
      // Inference with the reference statistics gives the point's metrics.
      got.set(Float32Array.from(ref.mean), 0); got.set(Float32Array.from(ref.v), 32);
      const tr = other.evaluate(trainSet), te = other.evaluate(testSet);
      expect(r.points[i].trainLoss).toBeCloseTo(tr.loss, 4);
      expect(r.points[i].testLoss).toBeCloseTo(te.loss, 4);
      expect(Math.abs(r.points[i].trainAcc - tr.accuracy)).toBeLessThanOrEqual(2 / trainSet.n);
    }
    other.dispose();
  });

  it('the paper\'s default grid: 31 points on [−1, 2]; each grid point equals a single-point evaluation', () => {
    const r = interpolate(ma, xa, xb, trainSet, null, { trainLimit: 100, statsSamples: 100 });
    expect(r.points).toHaveLength(31);
    expect(r.points[0].alpha).toBe(-1); expect(r.points[30].alpha).toBe(2);
    expect(r.points[10].testLoss).toBeNull();
    const one = interpolate(ma, xa, xb, trainSet, null, { alphas: [r.points[7].alpha], trainLimit: 100, statsSamples: 100 });
    expect(one.points[0]).toEqual(r.points[7]);
    expect(r.points[0].trainLoss).not.toBe(r.points[10].trainLoss);
  });

  it('filter-normalized directions keep each filter/neuron norm (dense and conv); bias/BN zero or kept', () => {
    for (const [spec, seed] of [[tiny(4, 3), 3], [CONV, 4]] as const) {
      const m = Model.create(k, spec, { seed });
      const x = Float32Array.from(m.params.view(), (v, i) => v + 0.01 * Math.cos(i)); // nonzero biases/BN too
      const d = filterNormalizedDirection(m, x, { seed: 9 });
      const dk = filterNormalizedDirection(m, x, { seed: 9, biasBn: 'keep' });
      const segs = paramLayout(m);
      expect(segs.some((s) => s.layerType === spec.layers[0].type && s.role === 'weight')).toBe(true);
      for (const s of segs) {
        if (s.role === 'weight') {
          const dn = unitNorms(d, s), xn = unitNorms(x, s);
          for (let u = 0; u < s.units; u++) expect(Math.abs(dn[u] - xn[u])).toBeLessThan(1e-5 * xn[u]);
          expect(dk.subarray(s.offset, s.offset + s.length)).toEqual(d.subarray(s.offset, s.offset + s.length));
        } else {
          expect(Array.from(d.subarray(s.offset, s.offset + s.length)).every((v) => v === 0)).toBe(true);
          expect(dk.subarray(s.offset, s.offset + s.length)).toEqual(x.subarray(s.offset, s.offset + s.length));
        }
      }
      // Not just x rescaled: a random direction (low correlation with x).
      let dot = 0, nd = 0, nx = 0;
      for (const s of segs.filter((t) => t.role === 'weight')) for (let i = s.offset; i < s.offset + s.length; i++) { dot += d[i] * x[i]; nd += d[i] ** 2; nx += x[i] ** 2; }
      expect(Math.abs(dot) / Math.sqrt(nd * nx)).toBeLessThan(0.3);
      expect(filterNormalizedDirection(m, x, { seed: 10 })).not.toEqual(d);
      m.dispose();
    }
    // Conv filters are strided (HWIO: filter of entry i is i % OC): check one filter by hand.
    const m = Model.create(k, CONV, { seed: 4 });
    const x = Float32Array.from(m.params.view());
    const d = filterNormalizedDirection(m, x, { seed: 1 });
    let sd = 0, sx = 0;
    for (let i = 1; i < 3 * 3 * 2 * 3; i += 3) { sd += d[i] ** 2; sx += x[i] ** 2; }
    expect(Math.sqrt(sd)).toBeCloseTo(Math.sqrt(sx), 5);
    m.dispose();
  });

  it('1-D and 2-D surfaces: α = 0 is the point itself; the grid has the requested shape', () => {
    const d1 = filterNormalizedDirection(ma, xa, { seed: 1 }), d2 = filterNormalizedDirection(ma, xa, { seed: 2 });
    const c = surface1d(ma, xa, d1, trainSet, testSet, { alphas: [-0.5, 0, 0.5], bn: 'batch-stats', evalBatch: 100 });
    const at = interpolate(ma, xa, xb, trainSet, testSet, { alphas: [0], bn: 'batch-stats', evalBatch: 100 }).points[0];
    expect(c.points[1]).toEqual(at);
    const g = surface2d(ma, xa, d1, d2, trainSet, null, { points: 3, statsSamples: 100, trainLimit: 100 });
    expect(g.alphas).toEqual([-1, 0, 1]);
    expect(g.grid).toHaveLength(3); expect(g.grid[0]).toHaveLength(3);
    expect(g.grid[1][1].trainLoss).toBeLessThan(g.grid[0][0].trainLoss);
  });

  it('bad inputs: typed errors naming the argument', () => {
    const err = (f: () => unknown, arg: string, re: RegExp) => {
      try { f(); } catch (e) { expect(e).toBeInstanceOf(KernelRangeError); expect((e as KernelRangeError).argument).toBe(arg); expect((e as Error).message).toMatch(re); return; }
      throw new Error('no error thrown');
    };
    const bad = Float32Array.from(xb); bad[40] = NaN;
    err(() => interpolate(ma, xa, bad, trainSet, testSet), 'xb', /entry 40 is NaN/);
    err(() => interpolate(ma, xa, xb.subarray(1), trainSet, testSet), 'xb', /length/);
    err(() => interpolate(ma, xa, xb, trainSet, testSet, { points: 1 }), 'points', /≥ 2/);
    err(() => interpolate(ma, xa, xb, trainSet, testSet, { range: [2, 1] }), 'range', /lo < hi/);
    err(() => interpolate(ma, xa, xb, trainSet, testSet, { alphas: [0, NaN] }), 'alphas[1]', /finite/);
    err(() => interpolate(ma, xa, xb, trainSet, testSet, { bn: 'mode2' as never }), 'bn', /'recompute' or 'batch-stats'/);
    err(() => interpolate(ma, xa, xb, trainSet, testSet, { statsSamples: 301 }), 'statsSamples', /≤ 300/);
    err(() => filterNormalizedDirection(ma, xa, { biasBn: 'drop' as never }), 'biasBn', /'zero' or 'keep'/);
    const mom0 = Model.create(k, { name: 'm0', input: [4], layers: [{ type: 'dense', units: 3 }, { type: 'batchnorm', momentum: 0 }] }, { seed: 1 });
    err(() => recomputeBnStats(mom0, trainSet, 10, 5), 'model', /momentum 0/);
    mom0.dispose();
  });
});
