// Messages between the runner and a job worker (job_worker.ts). Plain structured-clone data;
// the data sets travel as views over SharedArrayBuffers when the platform has them (every
// worker reads the one copy; otherwise each worker gets a copy) and the stop request as an
// Int32 flag in shared memory, which a worker sees at every step — or, without shared memory
// (a browser page that is not cross-origin isolated), as a 'stop' message the worker sees at
// its next await (an epoch's checkpoint, a measurement's end).
import type { Dataset } from '../data/dataset.js';
import type { BuildName } from '../kernels/load.js';
import type { StoreRef } from '../train/store.js';
import type { Job } from './jobs.js';
import type { JobContext, JobOutput, LiveEvent, Work } from './job.js';
import type { ExperimentSpec } from './spec.js';

export interface WorkerInit {
  spec: ExperimentSpec;
  /** The build the runner's thread loaded (a worker loads exactly this one: same bits). */
  build: BuildName;
  /** The runner's store (checkpoints and sidecars): the worker opens the same files. */
  store: StoreRef;
  data: { train: Dataset; test: Dataset };
  /** Int32Array over a SharedArrayBuffer: [0] ≠ 0 once a stop was requested; null without shared memory ('stop' messages instead). */
  stop: Int32Array | null;
  /** Idle cores a job's measurements may use (job.ts JobContext.spread); null: measurements stay in the job's thread. */
  spread: SpreadInit | null;
  /** The runner's --jobs budget (job.ts JobContext.budget). */
  budget: number;
}

/**
 * The runner's core budget and its count of running jobs ([0] of an Int32Array, shared with
 * the job workers when memory can be shared), and the objective worker script.
 */
export interface SpreadInit { url: string; budget: number; running: Int32Array }

/** A job's view of the idle cores: itself plus the budget's cores no other job runs on. */
export function spreadOf(s: SpreadInit | null): JobContext['spread'] {
  if (!s) return undefined;
  return { url: s.url, workers: () => Math.max(1, s.budget - Atomics.load(s.running, 0) + 1) };
}

/** Messages to a worker; other job kinds (the φ study) send their own init and job types. */
export type ToWorker<I = WorkerInit, J = Job> = { type: 'init'; init: I } | { type: 'run'; job: J } | { type: 'stop' };

export interface WorkerErrorInfo { name: string; message: string; stack?: string }

export type FromWorker<O = JobOutput> =
  | { type: 'ready' }
  | { type: 'advance'; units: number; label: string; work?: Work }
  | { type: 'event'; units: number; line: string; work?: Work }
  /** Live events in order (steps are sent in batches: a worker posts at most one progress message per 50 ms). */
  | { type: 'live'; events: LiveEvent[] }
  | { type: 'done'; output: O }
  | { type: 'stopped' }
  | { type: 'failed'; error: WorkerErrorInfo };

/** Whether this thread can share memory with workers (Node; a cross-origin isolated page). */
export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

/** A copy of `ds` whose arrays live in SharedArrayBuffers (posted to workers without copying). */
export function sharedDataset(ds: Dataset): Dataset {
  if (!sharedMemoryAvailable()) return ds;
  const share = <T extends Float32Array | Int32Array>(a: T, make: (b: SharedArrayBuffer) => T): T => {
    if (a.buffer instanceof SharedArrayBuffer) return a;
    const out = make(new SharedArrayBuffer(a.byteLength));
    out.set(a);
    return out;
  };
  return { ...ds, x: share(ds.x, (b) => new Float32Array(b)), y: share(ds.y, (b) => new Int32Array(b)) };
}
