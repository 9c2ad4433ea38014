// A pool of N training workers (default: one per core), each a Comlink-wrapped instance of
// worker.ts, in Node (worker_threads) or a browser (module Worker). The pool watches every
// worker: an exception in a call, an `error` event or an unexpected exit becomes ONE
// WorkerFailedError that every pending and later call rejects with, within milliseconds.
import * as Comlink from 'comlink';
import { ParallelOptionError, PoolClosedError, WorkerFailedError } from './errors.js';
import type { TrainerWorkerApi } from './protocol.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

export interface PoolOptions {
  /** Worker count; default: os.availableParallelism() in Node, navigator.hardwareConcurrency in a browser. */
  workers?: number;
  /** The worker script (default: worker.js beside this module; tests and bundlers may override). */
  workerUrl?: URL | string;
}

interface Handle {
  proxy: Comlink.Remote<TrainerWorkerApi>;
  terminate(): Promise<void>;
}

/** The number of logical cores this realm reports (at least 1). */
export async function defaultWorkerCount(): Promise<number> {
  if (isNode) {
    const osName = 'node:os';
    const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
    return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  }
  return Math.max(1, (globalThis.navigator?.hardwareConcurrency as number | undefined) ?? 1);
}

function errorText(e: unknown): string {
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}

export class WorkerPool {
  readonly size: number;
  private handles: Handle[] = [];
  private failure: Error | null = null;
  private closed = false;
  private failListeners: ((e: Error) => void)[] = [];
  private failedPromise: Promise<never>;
  private rejectFailed!: (e: Error) => void;

  private constructor(size: number) {
    this.size = size;
    this.failedPromise = new Promise<never>((_, reject) => { this.rejectFailed = reject; });
    this.failedPromise.catch(() => {}); // observed through run()
  }

  static async create(opts: PoolOptions = {}): Promise<WorkerPool> {
    const size = opts.workers ?? await defaultWorkerCount();
    if (!Number.isInteger(size) || size < 1 || size > 256) throw new ParallelOptionError('workers', `must be an integer in [1, 256], got ${size}`);
    const url = opts.workerUrl;
    const pool = new WorkerPool(size);
    try {
      for (let rank = 0; rank < size; rank++) pool.handles.push(await pool.spawn(rank, url));
    } catch (e) {
      await pool.close();
      throw e;
    }
    return pool;
  }

  private async spawn(rank: number, url: URL | string | undefined): Promise<Handle> {
    if (isNode) {
      const wt = 'node:worker_threads';
      const { Worker } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
      const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
      const w = new Worker(url === undefined ? new URL('./worker.js', import.meta.url) : url instanceof URL ? url : new URL(url));
      w.on('error', (e) => this.fail(new WorkerFailedError(rank, `crashed: ${errorText(e)}`, { cause: e })));
      w.on('exit', (code) => { if (!this.closed) this.fail(new WorkerFailedError(rank, `exited with code ${code}`)); });
      w.on('messageerror', (e) => this.fail(new WorkerFailedError(rank, `could not deserialize a message: ${errorText(e)}`, { cause: e })));
      const proxy = Comlink.wrap<TrainerWorkerApi>(nodeEndpoint(w as never));
      return { proxy, terminate: async () => { await w.terminate(); } };
    }
    // The literal `new Worker(new URL('./worker.js', import.meta.url), …)` form lets bundlers
    // (Vite, webpack, rolldown) find and bundle the worker entry.
    const w = url === undefined
      ? new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: `lbgap-trainer-${rank}` })
      : new Worker(url, { type: 'module', name: `lbgap-trainer-${rank}` });
    w.addEventListener('error', (ev: ErrorEvent) => {
      ev.preventDefault();
      this.fail(new WorkerFailedError(rank, `crashed: ${ev.message || 'uncaught error (or the script failed to load)'}`, { cause: ev.error }));
    });
    w.addEventListener('messageerror', () => this.fail(new WorkerFailedError(rank, 'could not deserialize a message')));
    return { proxy: Comlink.wrap<TrainerWorkerApi>(w), terminate: async () => { w.terminate(); } };
  }

  /** The typed proxy of worker `rank`. */
  worker(rank: number): Comlink.Remote<TrainerWorkerApi> {
    this.check();
    return this.handles[rank].proxy;
  }

  /**
   * Kills worker `rank` from outside, as an OOM killer or a crashed tab would. The pool then
   * fails like for any dying worker (tests of the failure handling use it).
   */
  async terminateWorker(rank: number): Promise<void> {
    if (!Number.isInteger(rank) || rank < 0 || rank >= this.handles.length) throw new ParallelOptionError('rank', `must be an integer in [0, ${this.handles.length}), got ${rank}`);
    const h = this.handles[rank];
    await h.terminate();
    // Browsers fire no event for terminate(): report it here (in Node the exit event already did).
    this.fail(new WorkerFailedError(rank, 'was terminated'));
  }

  /** The first failure, if any. */
  get error(): Error | null { return this.failure; }
  get isClosed(): boolean { return this.closed; }

  /** Called once, at the first failure (the trainer uses it to release waiting workers). */
  onFailure(fn: (e: Error) => void): void {
    this.failListeners.push(fn);
  }

  /** Records the first failure: later ones are consequences (aborted barriers) and are dropped. */
  fail(e: Error): void {
    if (this.failure || this.closed) return;
    this.failure = e;
    for (const fn of this.failListeners) {
      try { fn(e); } catch { /* a listener must not hide the failure */ }
    }
    this.rejectFailed(e);
  }

  /**
   * Calls `fn(proxy, rank)` on every worker and resolves with all results in rank order, or
   * rejects with the pool's first failure as soon as any worker fails.
   */
  all<T>(fn: (w: Comlink.Remote<TrainerWorkerApi>, rank: number) => Promise<T>): Promise<T[]> {
    try { this.check(); } catch (e) { return Promise.reject(e); }
    const calls = this.handles.map((h, rank) => fn(h.proxy, rank).catch((e: unknown) => {
      this.fail(new WorkerFailedError(rank, errorText(e), { cause: e }));
      throw this.failure ?? e;
    }));
    return this.run(Promise.all(calls));
  }

  /** Races a promise against the pool's failure. */
  run<T>(p: Promise<T>): Promise<T> {
    try { this.check(); } catch (e) { p.catch(() => {}); return Promise.reject(e); }
    p.catch(() => {}); // if the failure wins, the call's own rejection is a consequence
    return Promise.race([p, this.failedPromise]);
  }

  private check(): void {
    if (this.failure) throw this.failure;
    if (this.closed) throw new PoolClosedError('the worker pool is closed');
  }

  /** Terminates every worker. Safe to call more than once and after a failure. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.handles.map((h) => h.terminate().catch(() => {})));
    this.handles = [];
  }
}
