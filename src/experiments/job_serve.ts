// The message loop of a job worker (job_worker.ts, phi_study_worker.ts): init loads this
// thread's kernels, then each job runs to 'done', 'stopped' or 'failed', one after another.
// One loop for Node worker_threads and browser module Workers (messages: job_protocol.ts).
// A 'stop' message (the runner's way without shared memory) is handled at once, not queued
// behind the running job: the job sees it at its next check after the worker's next await.
import type { BuildName } from '../kernels/load.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { StopRequested, type JobProgress, type LiveEvent, type Work } from './job.js';
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
      // Steps come by the thousand per second on small batches: their progress and live events
      // are gathered and posted at most every 50 ms (and before any other message, keeping the order).
      let units = { training: 0, analysis: 0 }, labels: Partial<Record<Work, string>> = {}, steps: LiveEvent[] = [], last = performance.now();
      const flush = () => {
        // Steps first: a view then has the step's words when it hears of the work.
        if (steps.length) port.post({ type: 'live', events: steps });
        for (const w of ['training', 'analysis'] as const) if (labels[w] !== undefined) port.post({ type: 'advance', units: units[w], label: labels[w]!, work: w });
        units = { training: 0, analysis: 0 }; labels = {}; steps = [];
        last = performance.now();
      };
      const soon = () => { if (performance.now() - last >= 50) flush(); };
      let lastWork: Work | null = null;
      const env: JobEnv = {
        k: kernels,
        stopRequested: () => stopMessage || (stop !== null && Atomics.load(stop, 0) !== 0),
        progress: {
          advance: (u, label, work = 'training') => {
            units[work] += u; labels[work] = label;
            // A change of work (training → analysis) is posted at once: the page's phases follow it.
            if (work !== lastWork) { lastWork = work; flush(); } else soon();
          },
          event: (u, line, work) => { flush(); port.post({ type: 'event', units: u, line, work }); },
          live: (event) => {
            if (event.type === 'step') { steps.push(event); soon(); return; }
            flush();
            port.post({ type: 'live', events: [event] });
          },
        },
      };
      try {
        const output = await run(init, env, m.job);
        flush();
        port.post({ type: 'done', output });
      } catch (e) {
        flush();
        throw e;
      }
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
