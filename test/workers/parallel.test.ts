// Data-parallel training in worker_threads: N = 1 equals in-thread train() bit for bit,
// N = 2 is deterministic, the transfer fallback equals the shared-memory path, progress
// events arrive over the MessagePort.
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model, tiny } from '../../src/nn/index.js';
import { train, NonFiniteLossError, type StepInfo, type EpochMetrics } from '../../src/train/index.js';
import { ParallelTrainer, trainParallel, ParallelOptionError } from '../../src/workers/index.js';
import { workerBundle } from './bundle.js';

const BUILDS = ['simd', 'relaxed-simd'] as const;
const trainSet = syntheticClassification({ n: 203, dim: 8, classes: 3, seed: 5, kind: 'teacher', hidden: 16, name: 'teacher/train' });
const testSet = syntheticClassification({ n: 65, dim: 8, classes: 3, seed: 5, sampleSeed: 77, kind: 'teacher', hidden: 16, name: 'teacher/test' });
const data = { train: trainSet, test: testSet };

/** Everything in the metrics but wall-clock times. */
function noTimes(h: EpochMetrics[]) {
  return h.map(({ seconds, evalSeconds, samplesPerSecond, ...rest }) => rest);
}

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return false;
  return true;
}

let workerUrl: URL;
beforeAll(async () => { workerUrl = await workerBundle(); });

describe.each(BUILDS)('parallel training, %s', (build) => {
  let k: Kernels;
  beforeAll(async () => { k = await loadKernels({ build }); });

  const opts = { epochs: 2, batchSize: 17, seed: 3, lr: 0.01, evalBatchSize: 50 };

  it('one worker equals in-thread train() bit for bit (params, running stats, metrics, step events)', async () => {
    const ref = Model.create(k, tiny(8, 3), { seed: 9 });
    const refSteps: StepInfo[] = [];
    const refHist = await train(ref, data, { ...opts, onStep: (s) => refSteps.push(s) });
    for (const sharedMemory of [true, false]) {
      const m = Model.create(k, tiny(8, 3), { seed: 9 });
      const steps: StepInfo[] = [];
      const hist = await trainParallel(m, data, { ...opts, workers: 1, sharedMemory, workerUrl, onStep: (s) => steps.push(s) });
      expect(bitsEqual(m.params.view(), ref.params.view()), `params, sharedMemory=${sharedMemory}`).toBe(true);
      expect(bitsEqual(m.buffers.view(), ref.buffers.view()), `buffers, sharedMemory=${sharedMemory}`).toBe(true);
      expect(m.trainForwards).toBe(ref.trainForwards);
      expect(noTimes(hist)).toEqual(noTimes(refHist));
      expect(steps).toEqual(refSteps);
      m.dispose();
    }
    expect(refSteps.length).toBe(2 * Math.ceil(203 / 17));
    ref.dispose();
  });

  it('two workers: deterministic across runs, shared memory == transfer fallback bit for bit, loss falls', async () => {
    const runs: { params: Float32Array; buffers: Float32Array; hist: EpochMetrics[] }[] = [];
    for (const sharedMemory of [true, true, false]) {
      const m = Model.create(k, tiny(8, 3), { seed: 9 });
      const hist = await trainParallel(m, data, { ...opts, epochs: 3, workers: 2, sharedMemory, workerUrl });
      runs.push({ params: m.params.view().slice(), buffers: m.buffers.view().slice(), hist });
      m.dispose();
    }
    for (const r of runs.slice(1)) {
      expect(bitsEqual(r.params, runs[0].params)).toBe(true);
      expect(bitsEqual(r.buffers, runs[0].buffers)).toBe(true);
      expect(noTimes(r.hist)).toEqual(noTimes(runs[0].hist));
    }
    const h = runs[0].hist;
    expect(h[2].trainLoss).toBeLessThan(h[0].trainLoss);
    // Per-shard batch norm: two workers train a (slightly) different function than one.
    const one = Model.create(k, tiny(8, 3), { seed: 9 });
    await train(one, data, { ...opts, epochs: 3 });
    expect(bitsEqual(one.params.view(), runs[0].params)).toBe(false);
    one.dispose();
  });
});

describe('conv + max-pool + dropout net', () => {
  // Dropout seeds: worker 0 uses the model's own sequence (so N = 1 matches train()), other
  // workers derived ones; conv layers use the shared kernel workspace.
  const spec = {
    name: 'conv-tiny', input: [6, 6, 1],
    layers: [
      { type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' },
      { type: 'maxpool', size: 2, stride: 2 }, { type: 'flatten' },
      { type: 'dense', units: 8 }, { type: 'relu' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3 },
    ],
  } as const;
  const imgs = syntheticClassification({ n: 65, shape: [6, 6, 1], classes: 3, seed: 4, name: 'img' });

  it.each(BUILDS)('%s: one worker == train() bit for bit; two workers shared == transfer', async (build) => {
    const k = await loadKernels({ build });
    const o = { epochs: 2, batchSize: 17, seed: 1, lr: 0.01 };
    const ref = Model.create(k, spec as never, { seed: 3 });
    const refHist = await train(ref, { train: imgs }, o);
    const one = Model.create(k, spec as never, { seed: 3 });
    const hist = await trainParallel(one, { train: imgs }, { ...o, workers: 1, workerUrl });
    expect(bitsEqual(one.params.view(), ref.params.view())).toBe(true);
    expect(noTimes(hist)).toEqual(noTimes(refHist));
    const two = [true, false].map(async (sharedMemory) => {
      const m = Model.create(k, spec as never, { seed: 3 });
      await trainParallel(m, { train: imgs }, { ...o, workers: 2, sharedMemory, workerUrl });
      return m.params.view().slice();
    });
    const [a, b] = await Promise.all(two);
    expect(bitsEqual(a, b)).toBe(true);
  });
});

describe('ParallelTrainer API', () => {
  it('three workers with a batch that does not divide (and one smaller than the worker count) agree across transports', async () => {
    const k = await loadKernels({ build: 'simd' });
    const small = syntheticClassification({ n: 31, dim: 8, classes: 3, seed: 2, name: 'small' });
    const res: Float32Array[] = [];
    for (const sharedMemory of [true, false]) {
      const m = Model.create(k, tiny(8, 3), { seed: 4 });
      // Batch 2 over 3 workers: shards of 1, 1 and 0 samples (worker 2 idles); the last batch has 1 sample.
      const t = await ParallelTrainer.create(m, { train: small }, { batchSize: 2, workers: 3, sharedMemory, workerUrl, seed: 1 });
      try {
        const e = await t.trainEpoch();
        expect(e.steps).toBe(16);
        expect(e.samples).toBe(31);
        expect(Number.isFinite(e.batchLoss)).toBe(true);
        expect(t.consistent()).toBe(true);
        res.push(t.parameters());
        const st = await t.optimizerState();
        expect(st.t).toBe(16);
        expect(st.vectors.m.length).toBe(m.numParams);
      } finally {
        await t.close();
      }
      m.dispose();
    }
    expect(bitsEqual(res[0], res[1])).toBe(true);
  });

  it('rejects bad options with typed errors', async () => {
    const k = await loadKernels({ build: 'simd' });
    const m = Model.create(k, tiny(8, 3));
    await expect(trainParallel(m, data, { epochs: 1, batchSize: 0, workerUrl })).rejects.toThrow(ParallelOptionError);
    await expect(trainParallel(m, data, { epochs: 1, batchSize: 300, workerUrl })).rejects.toThrow(/larger than the 203/);
    await expect(trainParallel(m, data, { epochs: 1, batchSize: 8, workers: 0, workerUrl })).rejects.toThrow(/workers/);
    await expect(trainParallel(m, data, { epochs: 1, batchSize: 8, optimizer: 'rmsprop' as 'adam', workerUrl })).rejects.toThrow(/optimizer/);
    await expect(trainParallel(m, data, { epochs: 1, batchSize: 8, lr: -1, workerUrl })).rejects.toThrow(/lr/);
    // A page without cross-origin isolation has no shared memory: asking for it is an error, not a silent fallback.
    const g = globalThis as { crossOriginIsolated?: boolean };
    g.crossOriginIsolated = false;
    try {
      await expect(trainParallel(m, data, { epochs: 1, batchSize: 8, sharedMemory: true, workerUrl })).rejects.toThrow(/sharedMemory: SharedArrayBuffer is unavailable/);
    } finally {
      delete g.crossOriginIsolated;
    }
  });

  it('a diverging run stops with NonFiniteLossError at the same step as train(), in both transports', async () => {
    const k = await loadKernels({ build: 'simd' });
    const o = { epochs: 2, batchSize: 17, seed: 3, optimizer: 'sgd' as const, lr: 1e30 };
    const ref = Model.create(k, tiny(8, 3), { seed: 9 });
    const refErr = await train(ref, data, o).then(() => null, (e: unknown) => e as NonFiniteLossError);
    expect(refErr).toBeInstanceOf(NonFiniteLossError);
    const stops: number[] = [];
    for (const [workers, sharedMemory] of [[1, true], [1, false], [2, true], [2, false]] as const) {
      const m = Model.create(k, tiny(8, 3), { seed: 9 });
      const err = await trainParallel(m, data, { ...o, workers, sharedMemory, workerUrl }).then(() => null, (e: unknown) => e);
      expect(err, `workers=${workers} shared=${sharedMemory}`).toBeInstanceOf(NonFiniteLossError);
      if (workers === 1) expect((err as NonFiniteLossError).globalStep).toBe(refErr!.globalStep);
      else stops.push((err as NonFiniteLossError).globalStep);
      m.dispose();
    }
    expect(stops[0]).toBe(stops[1]);
  });
});
