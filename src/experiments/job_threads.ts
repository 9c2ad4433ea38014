// The runner's side of job workers: a JobThread owns one worker (job_worker.ts, in Node
// worker_threads or a browser module Worker), initializes it once (spec, data over shared
// memory, kernel build) and runs jobs in it one at a time.
import type { Job } from './jobs.js';
import { StopRequested, type JobOutput, type JobProgress } from './job.js';
import type { FromWorker, ToWorker, WorkerErrorInfo, WorkerInit } from './job_protocol.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** A job threw in its worker (or the worker died): the job's error, by name and message. */
export class JobFailedError extends Error {
  override name = 'JobFailedError';
  constructor(readonly error: WorkerErrorInfo) {
    super(error.name && error.name !== 'Error' ? `${error.name}: ${error.message}` : error.message);
  }
}

interface Endpoint<I, J> {
  post(m: ToWorker<I, J>): void;
  terminate(): Promise<void>;
}

type Listener<O> = (m: FromWorker<O>) => void;

/** I: the worker's init message, J: a job, O: a job's output (defaults: the experiment runner's). */
export class JobThread<I = WorkerInit, J = Job, O = JobOutput> {
  private listener: Listener<O> | null = null;
  private crashed: ((e: Error) => void) | null = null;
  private dead: JobFailedError | null = null;

  private constructor(private readonly ep: Endpoint<I, J>) {}

  /** Starts a worker from `url` and sends it the experiment; resolves once it has loaded its kernels. */
  static async start<I = WorkerInit, J = Job, O = JobOutput>(url: URL | string, init: I): Promise<JobThread<I, J, O>> {
    let t!: JobThread<I, J, O>;
    const onMessage = (m: FromWorker<O>) => t.listener?.(m);
    const onCrash = (text: string) => {
      const e = new JobFailedError({ name: 'WorkerCrash', message: `the job worker ${text}` });
      t.dead = e;
      t.crashed?.(e);
    };
    if (isNode) {
      const wt = 'node:worker_threads';
      const { Worker } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
      // No inherited Node flags: main-script ones (`--input-type=module -e …`) crash a worker, and
      // the V8 ones (--experimental-wasm-relaxed-simd) are process-wide and apply anyway.
      const w = new Worker(url instanceof URL ? url : new URL(url), { execArgv: [] });
      w.on('message', onMessage);
      w.on('error', (e) => onCrash(`crashed: ${e.message}`));
      w.on('exit', (code) => { if (!t.terminated) onCrash(`exited with code ${code}`); });
      t = new JobThread<I, J, O>({ post: (m) => w.postMessage(m), terminate: async () => { await w.terminate(); } });
    } else {
      const w = new Worker(url, { type: 'module' });
      w.onmessage = (e) => onMessage(e.data as FromWorker<O>);
      w.onerror = (e) => onCrash(`crashed: ${e.message}`);
      t = new JobThread<I, J, O>({ post: (m) => w.postMessage(m), terminate: async () => { w.terminate(); } });
    }
    await t.call({ type: 'init', init }, () => {});
    return t;
  }

  private terminated = false;

  /** Runs one job; rejects with StopRequested (stopped at a step) or JobFailedError. */
  run(job: J, progress: JobProgress): Promise<O> {
    return this.call({ type: 'run', job }, (m) => {
      if (m.type === 'advance') progress.advance(m.units, m.label, m.work);
      else if (m.type === 'event') progress.event(m.units, m.line, m.work);
      else if (m.type === 'live') for (const e of m.events) progress.live?.(e);
    }) as Promise<O>;
  }

  private call(message: ToWorker<I, J>, onProgress: Listener<O>): Promise<O | null> {
    if (this.dead) return Promise.reject(this.dead);
    return new Promise((resolve, reject) => {
      const settle = () => { this.listener = null; this.crashed = null; };
      this.crashed = (e) => { settle(); reject(e); };
      this.listener = (m) => {
        if (m.type === 'ready') { settle(); resolve(null); }
        else if (m.type === 'done') { settle(); resolve(m.output); }
        else if (m.type === 'stopped') { settle(); reject(new StopRequested()); }
        else if (m.type === 'failed') { settle(); reject(new JobFailedError(m.error)); }
        else onProgress(m);
      };
      this.ep.post(message);
    });
  }

  /** Asks the running job to stop (the way without shared memory: seen at the worker's next await). */
  stop(): void {
    if (this.dead === null && !this.terminated) this.ep.post({ type: 'stop' });
  }

  get alive(): boolean { return this.dead === null; }

  /** Ends the worker; a job still running in it rejects with StopRequested. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    this.dead ??= new JobFailedError({ name: 'WorkerCrash', message: 'the job worker was ended' });
    this.crashed?.(new StopRequested());
    await this.ep.terminate();
  }
}
