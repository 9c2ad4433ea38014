// Failure handling: a worker that throws, exits, runs out of memory or hangs makes the
// training call reject quickly with that worker's error, no partial optimizer update is
// applied, a checkpoint written before the failure stays intact, and a new pool works.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model, tiny } from '../../src/nn/index.js';
import { CheckpointError, loadCheckpoint, train } from '../../src/train/index.js';
import { ParallelTrainer, trainParallel, WorkerFailedError, type FaultPlan } from '../../src/workers/index.js';
import { workerBundle } from './bundle.js';

// 96 samples, batch 16: 6 steps per epoch, so global step 7 is the first of epoch 2.
const trainSet = syntheticClassification({ n: 96, dim: 8, classes: 3, seed: 8, kind: 'teacher', hidden: 16, name: 'teacher/train' });
const data = { train: trainSet };
const setup = { batchSize: 16, seed: 2, lr: 0.01 };

function bitsEqual(a: Float32Array, b: Float32Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;
}

let workerUrl: URL, k: Kernels, dir: string;
beforeAll(async () => {
  workerUrl = await workerBundle();
  k = await loadKernels({ build: 'simd' });
  dir = mkdtempSync(join(tmpdir(), 'lbgap-workers-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Parameters of a fault-free run after one epoch with N workers. */
async function afterOneEpoch(workers: number, sharedMemory: boolean): Promise<Float32Array> {
  const m = Model.create(k, tiny(8, 3), { seed: 1 });
  const t = await ParallelTrainer.create(m, data, { ...setup, workers, sharedMemory, workerUrl });
  try { await t.trainEpoch(); return t.parameters(); } finally { await t.close(); m.dispose(); }
}

describe.each([true, false])('failures, sharedMemory=%s', (sharedMemory) => {
  const cases: [string, FaultPlan, RegExp][] = [
    ['throws', { rank: 1, step: 7, kind: 'throw' }, /worker 1: InjectedFailureError: injected failure in worker 1 at step 7/],
    ['calls process.exit', { rank: 1, step: 7, kind: 'exit' }, /worker 1: exited with code 3/],
    ['runs out of memory', { rank: 0, step: 7, kind: 'oom' }, /worker 0: OutOfMemoryError: out of memory/],
  ];
  it.each(cases)('a worker that %s: rejects within a second with its error, no partial update, pool re-created', async (_name, fault, message) => {
    const expected = await afterOneEpoch(2, sharedMemory);
    const m = Model.create(k, tiny(8, 3), { seed: 1 });
    const t = await ParallelTrainer.create(m, data, { ...setup, workers: 2, sharedMemory, workerUrl, faults: [fault] });
    try {
      await t.trainEpoch();
      const t0 = performance.now();
      const err = await t.trainEpoch().then(() => null, (e: unknown) => e);
      expect(performance.now() - t0).toBeLessThan(1000);
      expect(err).toBeInstanceOf(WorkerFailedError);
      expect((err as Error).message).toMatch(message);
      // The failure struck in step 7, before any worker updated its slice: the parameters are those after step 6.
      expect(t.consistent()).toBe(true);
      expect(bitsEqual(t.parameters(), expected)).toBe(true);
      // A failed pool refuses further work with the same error.
      await expect(t.trainEpoch()).rejects.toThrow(message);
    } finally {
      await t.close();
    }
    // A fresh pool after the failure trains normally.
    const t2 = await ParallelTrainer.create(m, data, { ...setup, workers: 2, sharedMemory, workerUrl });
    try {
      await t2.trainEpoch();
      expect(bitsEqual(t2.parameters(), expected)).toBe(true);
    } finally {
      await t2.close();
    }
    m.dispose();
  });

  it('a failure mid-epoch leaves exactly the parameters after the last completed step (N = 1 vs in-thread train)', async () => {
    const ref = Model.create(k, tiny(8, 3), { seed: 1 });
    let atStep4: Float32Array | null = null;
    await train(ref, data, { ...setup, epochs: 1, onStep: (s) => { if (s.globalStep === 4) atStep4 = ref.params.view().slice(); } });
    const m = Model.create(k, tiny(8, 3), { seed: 1 });
    const t = await ParallelTrainer.create(m, data, { ...setup, workers: 1, sharedMemory, workerUrl, faults: [{ rank: 0, step: 5, kind: 'throw' }] });
    try {
      await expect(t.trainEpoch()).rejects.toThrow(/at step 5/);
      expect(bitsEqual(t.parameters(), atStep4!)).toBe(true);
    } finally {
      await t.close();
    }
    ref.dispose(); m.dispose();
  });

  it('a checkpoint written before the failure is intact', async () => {
    const path = join(dir, `ck-${sharedMemory}.lbgap`);
    const m = Model.create(k, tiny(8, 3), { seed: 1 });
    await expect(trainParallel(m, data, { ...setup, epochs: 3, workers: 2, sharedMemory, workerUrl, checkpoint: { path }, faults: [{ rank: 1, step: 9, kind: 'exit' }] }))
      .rejects.toThrow(/worker 1: exited with code 3/);
    const c = await loadCheckpoint(path);
    expect(c.epoch).toBe(1);
    expect(c.step).toBe(6);
    expect(c.history.length).toBe(1);
    expect(c.optimizer.t).toBe(6);
    expect(c.optimizer.vectors.m.length).toBe(m.numParams);
    expect(bitsEqual(c.params, await afterOneEpoch(2, sharedMemory))).toBe(true);
    m.dispose();
  });
});

describe.each([true, false])('a worker terminated from outside mid-epoch, sharedMemory=%s', (sharedMemory) => {
  it('rejects within a second with the worker named, and the pool stays failed', async () => {
    const big = syntheticClassification({ n: 20_000, dim: 8, classes: 3, seed: 8, name: 'big' });
    const m = Model.create(k, tiny(8, 3), { seed: 1 });
    const t = await ParallelTrainer.create(m, { train: big }, { ...setup, batchSize: 4, workers: 2, sharedMemory, workerUrl });
    try {
      const epoch = t.trainEpoch(); // 5000 steps: still running when the worker is killed
      epoch.catch(() => {});
      await new Promise((ok) => setTimeout(ok, 150));
      const t0 = performance.now();
      await t.pool.terminateWorker(1);
      await expect(epoch).rejects.toThrow(/worker 1: (exited with code 1|was terminated)/);
      expect(performance.now() - t0).toBeLessThan(1000);
      // A failed pool refuses further work with the same error.
      await expect(t.evaluate('train')).rejects.toThrow(/worker 1/);
    } finally {
      await t.close();
    }
    m.dispose();
  });
});

describe('a hung worker', () => {
  it('is caught by the main thread\'s gradient timeout (transfer fallback)', async () => {
    const m = Model.create(k, tiny(8, 3), { seed: 1 });
    const t = await ParallelTrainer.create(m, data, { ...setup, workers: 2, sharedMemory: false, workerUrl, barrierTimeoutMs: 300, faults: [{ rank: 1, step: 2, kind: 'hang', ms: 20_000 }] });
    try {
      const t0 = performance.now();
      await expect(t.trainEpoch()).rejects.toThrow(/worker 1: sent no gradient for step 2 within 300 ms/);
      expect(performance.now() - t0).toBeLessThan(1500);
      // Step 1 completed, step 2 was never applied: the main thread's parameters are those after step 1.
      const m2 = Model.create(k, tiny(8, 3), { seed: 1 });
      const ref = await ParallelTrainer.create(m2, data, { ...setup, workers: 2, sharedMemory: false, workerUrl });
      try {
        await ref.trainEpoch({ maxSteps: 1 });
        expect(bitsEqual(t.parameters(), ref.parameters())).toBe(true);
      } finally {
        await ref.close();
      }
      m2.dispose();
    } finally {
      await t.close();
    }
    m.dispose();
  });

  it('is caught by the barrier timeout of the others (shared memory)', async () => {
    const m = Model.create(k, tiny(8, 3), { seed: 1 });
    const t = await ParallelTrainer.create(m, data, { ...setup, workers: 2, workerUrl, barrierTimeoutMs: 300, faults: [{ rank: 1, step: 2, kind: 'hang', ms: 20_000 }] });
    try {
      const t0 = performance.now();
      await expect(t.trainEpoch()).rejects.toThrow(/worker 0: BarrierTimeoutError: .*barrier of step 2 within 300 ms/);
      expect(performance.now() - t0).toBeLessThan(1500);
      expect(t.consistent()).toBe(true);
    } finally {
      const t1 = performance.now();
      await t.close(); // terminates the busy worker
      expect(performance.now() - t1).toBeLessThan(2000);
    }
    m.dispose();
  });
});

describe('resume', () => {
  const noTimes = (h: { seconds: number; evalSeconds: number; samplesPerSecond: number }[]) =>
    h.map(({ seconds, evalSeconds, samplesPerSecond, ...rest }) => rest);

  it('trainParallel resumed from its epoch-1 checkpoint equals the straight run, in either transport; train() resumes it too', async () => {
    const o = { ...setup, epochs: 3, workers: 2 };
    const straight = Model.create(k, tiny(8, 3), { seed: 1 });
    const hStraight = await trainParallel(straight, data, { ...o, workerUrl });
    const path = join(dir, 'resume-2.lbgap');
    const first = Model.create(k, tiny(8, 3), { seed: 1 });
    await trainParallel(first, data, { ...o, epochs: 1, workerUrl, checkpoint: { path } });
    for (const sharedMemory of [true, false]) {
      const m = Model.create(k, tiny(8, 3), { seed: 77 }); // its own init is overwritten by the checkpoint
      const h = await trainParallel(m, data, { ...o, sharedMemory, workerUrl, resume: path });
      expect(bitsEqual(m.params.view(), straight.params.view()), `sharedMemory=${sharedMemory}`).toBe(true);
      expect(noTimes(h)).toEqual(noTimes(hStraight));
      m.dispose();
    }
    // One worker: a parallel checkpoint continues in-thread exactly like an in-thread run.
    const ref = Model.create(k, tiny(8, 3), { seed: 1 });
    await train(ref, data, { ...setup, epochs: 3 });
    const path1 = join(dir, 'resume-1.lbgap');
    const p1 = Model.create(k, tiny(8, 3), { seed: 1 });
    await trainParallel(p1, data, { ...setup, epochs: 1, workers: 1, workerUrl, checkpoint: { path: path1 } });
    const cont = Model.create(k, tiny(8, 3), { seed: 5 });
    await train(cont, data, { ...setup, epochs: 3, resume: path1 });
    expect(bitsEqual(cont.params.view(), ref.params.view())).toBe(true);
    for (const x of [straight, first, ref, p1, cont]) x.dispose();
  });

  it('rejects a checkpoint of another network with a CheckpointError', async () => {
    const path = join(dir, 'resume-other.lbgap');
    const other = Model.create(k, tiny(8, 3), { seed: 1 });
    await trainParallel(other, data, { ...setup, epochs: 1, workers: 2, workerUrl, checkpoint: { path } });
    const wrong = Model.create(k, { ...tiny(8, 3), name: 'tiny-wide', layers: [{ type: 'dense', units: 5 }, { type: 'dense', units: 3 }] }, { seed: 1 });
    const err = await trainParallel(wrong, data, { ...setup, epochs: 2, workers: 2, workerUrl, resume: path }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointError);
    expect((err as Error).message).toMatch(/was saved for a different network/);
    other.dispose(); wrong.dispose();
  });
});
