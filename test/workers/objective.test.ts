// The data-parallel objective: ModelObjective's loss, gradient and Hessian-vector products
// computed over 1 or 2 workers — the same bits as ModelObjective for any worker count (its
// chunks, reduced by parameter slice in chunk order), run after run, both BN modes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { KernelRangeError, loadKernels, type Kernels } from '../../src/kernels/index.js';
import { ModelObjective } from '../../src/landscape/model_objective.js';
import { sharpness } from '../../src/landscape/sharpness.js';
import { Model, tiny } from '../../src/nn/index.js';
import { ParallelObjective, ParallelOptionError } from '../../src/workers/index.js';
import { workerBundle } from './bundle.js';

const ds = syntheticClassification({ n: 203, dim: 8, classes: 3, seed: 5, kind: 'teacher', hidden: 16, name: 'teacher/train' });
const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

let workerUrl: URL, k: Kernels, model: Model;
beforeAll(async () => {
  workerUrl = await workerBundle();
  k = await loadKernels({ build: 'simd' });
  model = Model.create(k, tiny(8, 3), { seed: 3 });
  // Non-trivial running statistics for bn: 'running'.
  model.lossAndGrad(ds.x.subarray(0, 64 * 8), ds.y.subarray(0, 64), 64);
});
afterAll(() => model.dispose());

describe.each(['batch', 'running'] as const)('ParallelObjective, bn %s', (bn) => {
  it('f, ∇f and H·v equal ModelObjective bit for bit with 1 and 2 workers, run after run', async () => {
    const opts = { sample: 150, chunk: 40, seed: 7, bn };
    const ref = new ModelObjective(model, ds, opts);
    const n = ref.n, x = ref.point(), v = new Float32Array(n);
    for (let i = 0; i < n; i++) { x[i] += 0.01 * Math.sin(i); v[i] = Math.cos(3 * i); }
    const g0 = new Float32Array(n), h0 = new Float32Array(n);
    const f0 = ref.evalGrad(x, g0);
    const fh0 = ref.hvp(x, v, h0);
    for (const workers of [1, 2]) {
      const obj = await ParallelObjective.create(model, ds, { ...opts, workers, workerUrl });
      try {
        expect(obj.info).toEqual(ref.info);
        for (let rep = 0; rep < 2; rep++) {
          const g = new Float32Array(n), h = new Float32Array(n);
          expect(obj.evalGrad(x, g), `f, workers=${workers}`).toBe(f0);
          expect(same(g, g0), `∇f, workers=${workers}`).toBe(true);
          expect(obj.hvp(x, v, h)).toBe(fh0);
          expect(same(h, h0), `H·v, workers=${workers}`).toBe(true);
        }
        expect(obj.evaluations).toBe(2);
        expect(obj.products).toBe(2);
      } finally {
        await obj.dispose();
      }
    }
    ref.dispose?.();
  });
});

describe('ParallelObjective in a landscape tool', () => {
  it('φ(1e-3, full space) over 2 workers equals the in-thread φ bit for bit', async () => {
    const opts = { sample: 120, chunk: 30, seed: 1 };
    const ref = new ModelObjective(model, ds, opts);
    const x = ref.point();
    const want = sharpness(k, ref, x, { eps: 1e-3, maxIter: 3 });
    const obj = await ParallelObjective.create(model, ds, { ...opts, workers: 2, workerUrl });
    try {
      const got = sharpness(k, obj, x, { eps: 1e-3, maxIter: 3 });
      expect(got.phi).toBe(want.phi);
      expect(same(got.y, want.y)).toBe(true);
      expect(got.evaluations).toBe(want.evaluations);
    } finally {
      await obj.dispose();
      ref.dispose();
    }
  });
});

describe('ParallelObjective options', () => {
  it('bad options and calls after dispose are typed errors', async () => {
    // The loss's options are ModelObjective's, checked by it.
    await expect(ParallelObjective.create(model, ds, { sample: 0, workerUrl })).rejects.toThrow(KernelRangeError);
    await expect(ParallelObjective.create(model, ds, { chunk: 500, sample: 100, workerUrl })).rejects.toThrow(/chunk: must be ≤ 100/);
    await expect(ParallelObjective.create(model, ds, { timeoutMs: 0, workerUrl })).rejects.toThrow(ParallelOptionError);
    const obj = await ParallelObjective.create(model, ds, { sample: 20, workers: 2, workerUrl });
    expect(() => obj.evalGrad(new Float32Array(3), new Float32Array(3))).toThrow(/x: must be a Float32Array of length/);
    await obj.dispose();
    expect(() => obj.evalGrad(obj.point(), new Float32Array(obj.n))).toThrow(/disposed/);
  });
});
