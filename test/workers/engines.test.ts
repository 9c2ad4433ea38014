// Both engines under the one loop: every registered optimizer and every remedy runs in-thread
// and on the worker pool (both transports); one worker gives the in-thread bits, two workers
// give the same bits over shared memory and over transferred buffers; resume is bit-identical
// on the pool with remedies on; an optimizer instance is refused by the pool with a typed error.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model, tiny } from '../../src/nn/index.js';
import { Adam, OPTIMIZER_NAMES } from '../../src/optim/index.js';
import { REMEDY_NAMES, train, type EpochMetrics, type TrainOptions } from '../../src/train/index.js';
import { ParallelOptionError, trainParallel } from '../../src/workers/index.js';
import { workerBundle } from './bundle.js';

// Images (6×6×1) so augmentation applies; the tiny dense net reads them as 36 features.
const images = syntheticClassification({ n: 70, shape: [6, 6, 1], classes: 3, seed: 5, name: 'img/train' });
const test = syntheticClassification({ n: 20, shape: [6, 6, 1], classes: 3, seed: 5, sampleSeed: 9, name: 'img/test' });
const data = { train: images, test };
const base = { batchSize: 16, seed: 4, evalBatchSize: 32 };

const noTimes = (h: EpochMetrics[]) => h.map(({ seconds, evalSeconds, samplesPerSecond, ...rest }) => rest);
const bits = (m: Model) => Buffer.from(m.params.view().slice().buffer);

let workerUrl: URL, k: Kernels, dir: string;
beforeAll(async () => {
  workerUrl = await workerBundle();
  k = await loadKernels({ build: 'simd' });
  dir = mkdtempSync(join(tmpdir(), 'lbgap-engines-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { params: Buffer; buffers: Buffer; hist: EpochMetrics[] }

async function inThread(o: TrainOptions): Promise<Run> {
  const m = Model.create(k, tiny(36, 3), { seed: 2 });
  const hist = await train(m, data, o);
  const r = { params: bits(m), buffers: Buffer.from(m.buffers.view().slice().buffer), hist };
  m.dispose();
  return r;
}

async function pooled(o: TrainOptions, workers: number, sharedMemory: boolean): Promise<Run> {
  const m = Model.create(k, tiny(36, 3), { seed: 2 });
  const hist = await trainParallel(m, data, { ...o, workers, sharedMemory, workerUrl });
  const r = { params: bits(m), buffers: Buffer.from(m.buffers.view().slice().buffer), hist };
  m.dispose();
  return r;
}

/**
 * N = 1 equals in-thread bit for bit (shared memory; the fallback equals it through the N = 2
 * comparison and test/workers/parallel.test.ts); N = 2 shared equals N = 2 transfer.
 */
async function checkEngines(o: TrainOptions): Promise<void> {
  const ref = await inThread(o);
  const one = await pooled(o, 1, true);
  expect(one.params.equals(ref.params), 'N=1 params').toBe(true);
  expect(one.buffers.equals(ref.buffers), 'N=1 buffers').toBe(true);
  expect(noTimes(one.hist)).toEqual(noTimes(ref.hist));
  const [a, b] = [await pooled(o, 2, true), await pooled(o, 2, false)];
  expect(a.params.equals(b.params), 'N=2 shared vs transfer').toBe(true);
  expect(noTimes(a.hist)).toEqual(noTimes(b.hist));
  for (const h of [ref.hist, a.hist]) expect(Number.isFinite(h[h.length - 1].trainLoss)).toBe(true);
}

describe('every registered optimizer on both engines', () => {
  it('the registry lists adam, sgd, lars and lamb', () => {
    expect([...OPTIMIZER_NAMES]).toEqual(['adam', 'sgd', 'lars', 'lamb']);
  });

  it.each([
    ['adam', {}],
    ['sgd', { optimizerOptions: { momentum: 0.5, nesterov: true } }],
    ['lars', { lr: 0.5, optimizerOptions: { trust: 0.02, granularity: 'tensor' } }],
    ['lamb', { lr: 0.01, optimizerOptions: { weightDecay: 1e-3 } }],
  ])('%s: one worker == in-thread bit for bit; two workers: shared == transfer', async (name, extra) => {
    await checkEngines({ ...base, epochs: 2, optimizer: name, ...extra } as TrainOptions);
  });

  it('an optimizer instance works in-thread; the pool refuses it naming the option', async () => {
    const m = Model.create(k, tiny(36, 3), { seed: 2 });
    const opt = new Adam(k, m.numParams);
    await train(m, data, { ...base, epochs: 1, optimizer: opt });
    expect(opt.t).toBe(5);
    const err = await trainParallel(m, data, { ...base, epochs: 1, optimizer: opt, workers: 1, workerUrl }).catch((e) => e);
    expect(err).toBeInstanceOf(ParallelOptionError);
    expect((err as ParallelOptionError).option).toBe('optimizer');
    const bad = await trainParallel(m, data, { ...base, epochs: 1, optimizer: 'sgd', optimizerOptions: { momentum: 2 }, workers: 1, workerUrl }).catch((e) => e);
    expect(bad).toBeInstanceOf(ParallelOptionError);
    expect((bad as ParallelOptionError).option).toBe('optimizerOptions.momentum');
    opt.dispose(); m.dispose();
  });
});

describe('every remedy on both engines', () => {
  // Grouped so that each remedy is on in at least one group, with different optimizers.
  const groups: [string, Partial<TrainOptions>][] = [
    ['inputs: augment + ghost batches + FGSM (adam)', { augment: { shift: 1, flip: true }, ghostBatch: { size: 3 }, adversarial: { epsilon: 0.05, fraction: 0.6 } }],
    ['gradient: SAM + conservative (sgd)', { optimizer: 'sgd', lr: 0.05, sam: { rho: 0.05 }, conservative: { lambda: 0.5, steps: 2 } }],
    ['schedules: dynamic sampling + LR scaling with warmup (lamb)', { optimizer: 'lamb', lr: 0.01, dynamicBatch: { from: 5, over: 2 }, lrScaling: { reference: 8, warmupEpochs: 1 } }],
    ['layer-wise + SAM + conservative: lars with layerwise options', { optimizer: 'lars', lr: 0.5, layerwise: { granularity: 'tensor', trust: 0.01, weightDecay: 1e-4 }, sam: { rho: 0.02 }, conservative: { lambda: 0.5, steps: 2 } }],
  ];

  it('the groups cover every registered remedy', () => {
    const used = new Set(groups.flatMap(([, o]) => Object.keys(o)));
    for (const name of REMEDY_NAMES) expect(used.has(name), name).toBe(true);
  });

  it.each(groups)('%s: one worker == in-thread; two workers: shared == transfer', async (_name, o) => {
    await checkEngines({ ...base, epochs: 2, ...o } as TrainOptions);
  });

  it('resume on the pool with remedies on is bit-identical to a straight run (2 workers, either transport)', async () => {
    const o = { ...base, epochs: 3, optimizer: 'lamb', lr: 0.01, sam: { rho: 0.05 }, augment: { shift: 1 }, dynamicBatch: { from: 6, over: 3 } } as TrainOptions;
    const straight = await pooled(o, 2, true);
    const path = join(dir, 'pool.ckpt');
    const first = Model.create(k, tiny(36, 3), { seed: 2 });
    await trainParallel(first, data, { ...o, epochs: 1, checkpoint: { path }, workers: 2, sharedMemory: true, workerUrl });
    // The transports give the same bits, so a checkpoint of one continues in the other.
    for (const sharedMemory of [true, false]) {
      const resumed = Model.create(k, tiny(36, 3), { seed: 99 });
      const h = await trainParallel(resumed, data, { ...o, resume: path, workers: 2, sharedMemory, workerUrl });
      expect(bits(resumed).equals(straight.params), `shared=${sharedMemory}`).toBe(true);
      expect(noTimes(h)).toEqual(noTimes(straight.hist));
      resumed.dispose();
    }
    first.dispose();
  });

  it('the plateau rule stops a pool run where it stops in-thread', async () => {
    const o = { ...base, epochs: 6, lr: 1e-6, plateau: { patience: 1, minDelta: 0.5 } } as TrainOptions;
    const ref = await inThread(o);
    const one = await pooled(o, 1, true);
    expect(ref.hist.length).toBe(2);
    expect(noTimes(one.hist)).toEqual(noTimes(ref.hist));
  });
});
