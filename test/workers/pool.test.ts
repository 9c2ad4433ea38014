// The worker pool on its own: default size, typed errors, close semantics.
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { WorkerPool, defaultWorkerCount, ParallelOptionError, PoolClosedError, WorkerFailedError } from '../../src/workers/index.js';
import { workerBundle } from './bundle.js';

let workerUrl: URL;
beforeAll(async () => { workerUrl = await workerBundle(); });

describe('WorkerPool', () => {
  it('defaults to the core count', async () => {
    expect(await defaultWorkerCount()).toBe(os.availableParallelism());
  });

  it('rejects a bad worker count or script with typed errors', async () => {
    await expect(WorkerPool.create({ workers: 0, workerUrl })).rejects.toThrow(ParallelOptionError);
    await expect(WorkerPool.create({ workers: 1.5, workerUrl })).rejects.toThrow(/workers: must be an integer/);
    // A script that does not exist: the worker dies at start, and the first call says so.
    const pool = await WorkerPool.create({ workers: 1, workerUrl: new URL('./no-such-worker.mjs', workerUrl) });
    try {
      await expect(pool.all((w) => w.trainForwards())).rejects.toThrow(WorkerFailedError);
    } finally {
      await pool.close();
    }
  });

  it('after close(), calls reject with PoolClosedError; close() twice is fine', async () => {
    const pool = await WorkerPool.create({ workers: 2, workerUrl });
    expect(pool.size).toBe(2);
    await pool.close();
    await pool.close();
    expect(pool.isClosed).toBe(true);
    await expect(pool.all((w) => w.trainForwards())).rejects.toThrow(PoolClosedError);
    expect(() => pool.worker(0)).toThrow(PoolClosedError);
    await expect(pool.terminateWorker(5)).rejects.toThrow(ParallelOptionError);
  });
});
