// The message loop of a job worker (job_worker.ts, phi_study_worker.ts): init loads this
// thread's kernels, then each job runs to 'done', 'stopped' or 'failed', one after another.
// One loop for Node worker_threads and browser module Workers (messages: job_protocol.ts).
// A 'stop' message (the runner's way without shared memory) is handled at once, not queued
// behind the running job: the job sees it at its next check after the worker's next await.
import type { BuildName } from '../kernels/load.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { StopRequested, type JobProgress } from './job.js';
import type { FromWorker, ToWorker } from './job_protocol.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

interface Port<I, J, O> { post(m: FromWorker<O>): void; listen(f: (m: ToWorker<I, J>) => void): void }

async function parentPort<I, J, O>(name: string): Promise<Port<I, J, O>> {
  if (isNode) {
    const wt = 'node:worker_threads';
    const { parentPort: p } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
    if (!p) throw new Error(`${name}: not running in a worker thread`);
    return { post: (m) => p.postMessage(m), listen: (f) => p.on('message', f) };
  }
  const scope = globalThis as unknown as { postMessage(m: unknown): void; addEventListener(t: 'message', f: (e: MessageEvent) => void): void };
  return { post: (m) => scope.postMessage(m), listen: (f) => scope.addEventListener('message', (e) => f(e.data as ToWorker<I, J>)) };
}

/** What a job gets besides its init: this thread's kernels, the stop flag and a progress port. */
export interface JobEnv { k: Kernels; stopRequested: () => boolean; progress: JobProgress }

/** Serves jobs on this worker's port: `run` computes one job's output. */
export async function serveJobs<I extends { build: BuildName; stop: Int32Array | null }, J, O>(name: string, run: (init: I, env: JobEnv, job: J) => Promise<O>): Promise<void> {
  const port = await parentPort<I, J, O>(name);
  let init: I | null = null;
  let kernels: Kernels | null = null;
  let stopMessage = false;
  // Messages are handled one after another (a job is one long await chain).
  let queue: Promise<void> = Promise.resolve();
  const handle = async (m: ToWorker<I, J>): Promise<void> => {
    try {
      if (m.type === 'init') {
        init = m.init;
        kernels = await loadKernels({ build: init.build });
        port.post({ type: 'ready' });
        return;
      }
      if (m.type === 'stop') return; // handled on arrival (below)
      if (!init || !kernels) throw new Error(`${name}: run before init`);
      const stop = init.stop;
      const env: JobEnv = {
        k: kernels,
        stopRequested: () => stopMessage || (stop !== null && Atomics.load(stop, 0) !== 0),
        progress: {
          advance: (units, label, work) => port.post({ type: 'advance', units, label, work }),
          event: (units, line, work) => port.post({ type: 'event', units, line, work }),
          live: (event) => port.post({ type: 'live', event }),
        },
      };
      port.post({ type: 'done', output: await run(init, env, m.job) });
    } catch (e) {
      if (e instanceof StopRequested) { port.post({ type: 'stopped' }); return; }
      const err = e instanceof Error ? e : new Error(String(e));
      port.post({ type: 'failed', error: { name: err.name, message: err.message, stack: err.stack } });
    }
  };
  port.listen((m) => {
    if (m.type === 'stop') { stopMessage = true; return; }
    queue = queue.then(() => handle(m));
  });
}
