// The φ-study job worker: runs grid points (phi_study_job.ts) in its own thread with its own
// kernel instance, one at a time, for `lbgap phi-study --jobs N`. Same messages as the
// experiment job worker (job_protocol.ts), with the φ study's init and job types.
import type { Dataset } from '../data/dataset.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import type { BuildName } from '../kernels/load.js';
import { StopRequested } from './job.js';
import type { FromWorker, ToWorker } from './job_protocol.js';
import { runPhiJob, type PhiJob, type PhiRecord } from './phi_study_job.js';
import type { PhiStudySpec } from './phi_study_spec.js';

export interface PhiWorkerInit {
  spec: PhiStudySpec;
  build: BuildName;
  /** The training set over SharedArrayBuffers (every worker reads the one copy). */
  train: Dataset;
  /** [0] ≠ 0 once a stop was requested. */
  stop: Int32Array;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

interface Port { post(m: FromWorker<PhiRecord>): void; listen(f: (m: ToWorker<PhiWorkerInit, PhiJob>) => void): void }

async function parentPort(): Promise<Port> {
  if (isNode) {
    const wt = 'node:worker_threads';
    const { parentPort: p } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
    if (!p) throw new Error('phi_study_worker: not running in a worker thread');
    return { post: (m) => p.postMessage(m), listen: (f) => p.on('message', f) };
  }
  const scope = globalThis as unknown as { postMessage(m: unknown): void; addEventListener(t: 'message', f: (e: MessageEvent) => void): void };
  return { post: (m) => scope.postMessage(m), listen: (f) => scope.addEventListener('message', (e) => f(e.data as ToWorker<PhiWorkerInit, PhiJob>)) };
}

const port = await parentPort();
let init: PhiWorkerInit | null = null;
let kernels: Kernels | null = null;
let queue: Promise<void> = Promise.resolve();

port.listen((m) => { queue = queue.then(() => handle(m)); });

async function handle(m: ToWorker<PhiWorkerInit, PhiJob>): Promise<void> {
  try {
    if (m.type === 'init') {
      init = m.init;
      kernels = await loadKernels({ build: init.build });
      port.post({ type: 'ready' });
      return;
    }
    if (!init || !kernels) throw new Error('phi_study_worker: run before init');
    const { spec, train, stop } = init;
    const record = await runPhiJob({
      spec, k: kernels, train,
      stopRequested: () => Atomics.load(stop, 0) !== 0,
      progress: {
        advance: (units, label) => port.post({ type: 'advance', units, label }),
        event: (units, line) => port.post({ type: 'event', units, line }),
      },
    }, m.job);
    port.post({ type: 'done', output: record });
  } catch (e) {
    if (e instanceof StopRequested) { port.post({ type: 'stopped' }); return; }
    const err = e instanceof Error ? e : new Error(String(e));
    port.post({ type: 'failed', error: { name: err.name, message: err.message, stack: err.stack } });
  }
}
