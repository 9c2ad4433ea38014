// The part every experiment runner shares: running a list of jobs N at a time — in this
// thread (one slot) or each slot in its own job worker — with dependencies (a job waits for
// the jobs in its `after`), a stop flag, per-slot progress, and failures recorded rather than
// thrown; and the options every runner reads alike (runSettings). What a job computes belongs
// to the runner that calls it (runner_core.ts for reproduce/sweep/warm start/remedies/frontier,
// phi_study_runner.ts); its results file is opened and saved by results_store.ts.
import type { JobProgress } from './job.js';
import { ExperimentError, StopRequested } from './job.js';
import type { Shard } from './jobs.js';
import { sharedMemoryAvailable, type SpreadInit } from './job_protocol.js';
import { JobFailedError, JobThread } from './job_threads.js';
import type { Progress } from './progress.js';

export interface StopFlag {
  requested: boolean;
  /**
   * Also end the job workers at once instead of letting each job reach its next check (the
   * page's Cancel): running jobs end as stopped, losing their steps since the last epoch checkpoint.
   */
  immediate?: boolean;
  /**
   * Set by the runner while jobs run in workers: whoever sets `requested` may call it to forward
   * the stop at once (the runner otherwise looks every 50 ms).
   */
  wake?: () => void;
}

/** The run options every runner reads alike. */
export interface RunSettings {
  /** Plain log lines (start, per-job summaries); default: none. */
  log: (line: string) => void;
  stop: StopFlag;
  shard: Shard | null;
  /** Jobs run at a time: an integer in [1, 256] (default 1). */
  jobs: number;
}

/** A runner's options with their defaults, checked (a bad `jobs` is an ExperimentError). */
export function runSettings(o: { log?: (line: string) => void; stop?: StopFlag; shard?: Shard | null; jobs?: number }): RunSettings {
  return { log: o.log ?? (() => {}), stop: o.stop ?? { requested: false }, shard: o.shard ?? null, jobs: jobsAtATime(o.jobs) };
}

/** `--jobs` checked: an integer in [1, 256] (default 1). */
export function jobsAtATime(jobs = 1): number {
  if (!Number.isInteger(jobs) || jobs < 1 || jobs > 256) throw new ExperimentError(`jobs: must be an integer in [1, 256], got ${jobs}`);
  return jobs;
}

export interface ScheduledJob {
  index: number; label: string; after?: number[];
  /**
   * Run alone: started only when no other job runs, and nothing else starts while it runs (a
   * measurement that needs the cores to itself: the frontier's step costs). Jobs start in
   * list order, so one waiting for the running jobs to finish also holds back those after it.
   */
  exclusive?: boolean;
}

export interface Executor<J, O> {
  run(job: J, slot: number): Promise<O>;
  close(): Promise<void>;
}

/**
 * The runner's half of lending idle cores to a job's measurements (job_protocol.ts SpreadInit):
 * `counted` wraps an executor so the shared count of running jobs is right while a job runs;
 * `init` goes to the jobs (null without an objective worker script or shared memory: then
 * every job measures in its own thread).
 */
export function spreadBudget(budget: number, url: URL | string | null | undefined): { init: SpreadInit | null; counted<J, O>(exec: Executor<J, O>): Executor<J, O> } {
  const running = new Int32Array(typeof SharedArrayBuffer === 'function' ? new SharedArrayBuffer(4) : new ArrayBuffer(4));
  return {
    init: url && running.buffer instanceof SharedArrayBuffer ? { url: String(url), budget, running } : null,
    counted: (exec) => ({
      run: async (job, slot) => {
        Atomics.add(running, 0, 1);
        try { return await exec.run(job, slot); } finally { Atomics.sub(running, 0, 1); }
      },
      close: () => exec.close(),
    }),
  };
}

export interface SlotHooks<J, O> {
  /** Whether job `index` has finished (this run or an earlier one). */
  isDone(index: number): boolean;
  finished(job: J, out: O, seconds: number): Promise<void>;
  failed(job: J, error: string): Promise<void>;
  /** Settles a job without running it (e.g. a plot whose run diverged): true if it did. */
  settle?(job: J): Promise<boolean>;
}

/** A thrown job error as one line: its message, with the class name unless it is a plain Error. */
export function failureText(e: unknown): string {
  if (e instanceof JobFailedError) return e.message;
  if (e instanceof Error) return e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  return String(e);
}

/**
 * Runs `todo` over `slots` slots until done or stopped; returns whether it was stopped.
 * Jobs start in list order as slots free up; an `exclusive` job runs with no other beside it.
 * A job whose `after` holds a job that neither finished nor can still run is recorded as
 * failed ("not run"), so --resume runs it again once its inputs exist.
 */
export async function runSlots<J extends ScheduledJob, O>(todo: J[], slots: number, exec: Executor<J, O>, stop: StopFlag, progress: Progress, hooks: SlotHooks<J, O>): Promise<boolean> {
  let stopped = false;
  const queue = todo.slice();
  const running = new Set<number>();
  let wakeUp: (() => void)[] = [];
  const nextFinish = () => new Promise<void>((resolve) => wakeUp.push(resolve));
  const notify = () => { const w = wakeUp; wakeUp = []; for (const f of w) f(); };
  const after = (j: J) => j.after ?? [];
  const exclusive = new Set(todo.filter((j) => j.exclusive === true).map((j) => j.index));
  const pending = (i: number) => running.has(i) || queue.some((j) => j.index === i);
  const slot = async (index: number) => {
    while (queue.length > 0 && !stop.requested) {
      for (const job of queue.filter((j) => after(j).some((d) => !hooks.isDone(d) && !pending(d)))) {
        queue.splice(queue.indexOf(job), 1);
        const missing = after(job).filter((d) => !hooks.isDone(d) && !pending(d));
        await hooks.failed(job, `not run: it needs job${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which did not finish`);
      }
      const next = queue.findIndex((j) => after(j).every(hooks.isDone));
      // An exclusive job runs alone: it waits for the running jobs (and holds back the queue
      // behind it, so it is not starved), and nothing starts beside it.
      const alone = running.size > 0 && ((next >= 0 && queue[next].exclusive === true) || [...running].some((i) => exclusive.has(i)));
      if (next < 0 || alone) {
        if (queue.length > 0) await nextFinish();
        continue;
      }
      const job = queue.splice(next, 1)[0];
      // Marked running before any await, so another slot never sees it neither queued nor running.
      running.add(job.index);
      const t0 = performance.now();
      try {
        if (hooks.settle && (await hooks.settle(job))) continue;
        const out = await exec.run(job, index);
        await hooks.finished(job, out, (performance.now() - t0) / 1000);
      } catch (e) {
        if (e instanceof StopRequested) { stopped = true; return; }
        await hooks.failed(job, failureText(e));
      } finally {
        running.delete(job.index);
        progress.endSlot(index);
        notify();
      }
    }
    if (stop.requested && queue.length > 0) stopped = true;
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, slots) }, (_, i) => slot(i)));
  } finally {
    await exec.close();
    progress.finish();
  }
  return stopped;
}

/** A job's progress into the runner's Progress: lines tagged with the job, redraws on the job's slot. */
export function slotProgress(progress: Progress, job: ScheduledJob, slot: number): JobProgress {
  const tag = `job ${job.index}: `;
  return {
    advance: (units, label) => progress.advance(units, tag + label, slot),
    event: (units, line) => progress.event(units, tag + line),
  };
}

/**
 * One job worker per slot, started on first use and replaced if it dies; the stop flag is
 * forwarded to the workers through shared memory (`init(flag)` puts it in their init message),
 * or — without shared memory (a page that is not cross-origin isolated: flag null) — as a
 * 'stop' message each worker sees at its next await. `progressOf` says where a job's progress
 * goes (default: slotProgress).
 */
export function threadSlots<I, J extends ScheduledJob, O>(url: URL | string, init: (stopFlag: Int32Array | null) => I, slots: number, stop: StopFlag, progress: Progress,
  progressOf: (job: J, slot: number) => JobProgress = (job, slot) => slotProgress(progress, job, slot)): Executor<J, O> {
  const flag = sharedMemoryAvailable() ? new Int32Array(new SharedArrayBuffer(4)) : null;
  const threads: (JobThread<I, J, O> | null)[] = new Array<JobThread<I, J, O> | null>(slots).fill(null);
  // The SIGINT handler (or the page's Stop) sets stop.requested in this thread; workers read the shared flag, or get a message.
  let told = false, ended = false;
  const check = () => {
    if (!stop.requested) return;
    if (!told) {
      told = true;
      if (flag) Atomics.store(flag, 0, 1);
      else for (const t of threads) t?.stop();
    }
    if (stop.immediate && !ended) {
      ended = true;
      for (const t of threads) void t?.terminate();
    }
  };
  const forward = setInterval(check, 50);
  stop.wake = check;
  const message = init(flag);
  return {
    async run(job, slot) {
      let t = threads[slot];
      if (!t || !t.alive) {
        await t?.terminate();
        t = threads[slot] = await JobThread.start<I, J, O>(url, message);
      }
      progress.advance(0, `job ${job.index}: ${job.label} starting`, slot);
      const out = t.run(job, progressOf(job, slot));
      if (told && !flag) t.stop(); // started after the stop went out
      return out;
    },
    async close() {
      clearInterval(forward);
      if (stop.wake === check) delete stop.wake;
      await Promise.all(threads.map((t) => t?.terminate()));
    },
  };
}

/** A finished job's bookkeeping in a results file (experiment or φ study): done (sorted) and its time. */
export function recordDone(results: { done: number[]; timings: { seconds: number; jobs: { job: number; seconds: number }[] } }, job: number, seconds: number): void {
  results.done.push(job);
  results.done.sort((a, b) => a - b);
  results.timings.jobs.push({ job, seconds });
  results.timings.seconds += seconds;
}
