// The job worker: runs jobs of an experiment (job.ts) in its own thread with its own kernel
// instance, one job at a time, for the runner's `--jobs N`. One entry for Node worker_threads
// and browser module Workers (messages: job_protocol.ts).
import { loadKernels, type Kernels } from '../kernels/index.js';
import { costs, runJob, StopRequested, type JobContext } from './job.js';
import type { FromWorker, ToWorker, WorkerInit } from './job_protocol.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

interface Port { post(m: FromWorker): void; listen(f: (m: ToWorker) => void): void }

async function parentPort(): Promise<Port> {
  if (isNode) {
    const wt = 'node:worker_threads';
    const { parentPort: p } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
    if (!p) throw new Error('job_worker: not running in a worker thread');
    return { post: (m) => p.postMessage(m), listen: (f) => p.on('message', f) };
  }
  const scope = globalThis as unknown as { postMessage(m: unknown): void; addEventListener(t: 'message', f: (e: MessageEvent) => void): void };
  return { post: (m) => scope.postMessage(m), listen: (f) => scope.addEventListener('message', (e) => f(e.data as ToWorker)) };
}

const port = await parentPort();
let init: WorkerInit | null = null;
let kernels: Kernels | null = null;
// Messages are handled one after another (a job is one long await chain).
let queue: Promise<void> = Promise.resolve();

port.listen((m) => { queue = queue.then(() => handle(m)); });

async function handle(m: ToWorker): Promise<void> {
  try {
    if (m.type === 'init') {
      init = m.init;
      kernels = await loadKernels({ build: init.build });
      port.post({ type: 'ready' });
      return;
    }
    if (!init || !kernels) throw new Error('job_worker: run before init');
    const { spec, data, outDir, stop } = init;
    const ctx: JobContext = {
      spec, k: kernels, data, outDir,
      stopRequested: () => Atomics.load(stop, 0) !== 0,
      progress: {
        advance: (units, label) => port.post({ type: 'advance', units, label }),
        event: (units, line) => port.post({ type: 'event', units, line }),
      },
      costs: costs(spec, data.train.n, data.test.n),
    };
    port.post({ type: 'done', output: await runJob(ctx, m.job) });
  } catch (e) {
    if (e instanceof StopRequested) { port.post({ type: 'stopped' }); return; }
    const err = e instanceof Error ? e : new Error(String(e));
    port.post({ type: 'failed', error: { name: err.name, message: err.message, stack: err.stack } });
  }
}
