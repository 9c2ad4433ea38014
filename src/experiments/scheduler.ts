// The part every experiment runner shares: running a list of jobs N at a time — in this
// thread (one slot) or each slot in its own job worker — with dependencies (a job waits for
// the jobs in its `after`), a stop flag, per-slot progress, and failures recorded rather than
// thrown. What a job computes and how results are saved belong to the runner that calls it
// (runner.ts for reproduce/sweep/warm start/remedies/frontier, phi_study_runner.ts).
import type { JobProgress } from './job.js';
import { StopRequested } from './job.js';
import { JobFailedError, JobThread } from './job_threads.js';
import type { Progress } from './progress.js';

export interface StopFlag { requested: boolean }

export interface ScheduledJob { index: number; label: string; after?: number[] }

export interface Executor<J, O> {
  run(job: J, slot: number): Promise<O>;
  close(): Promise<void>;
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
  const pending = (i: number) => running.has(i) || queue.some((j) => j.index === i);
  const slot = async (index: number) => {
    while (queue.length > 0 && !stop.requested) {
      for (const job of queue.filter((j) => after(j).some((d) => !hooks.isDone(d) && !pending(d)))) {
        queue.splice(queue.indexOf(job), 1);
        const missing = after(job).filter((d) => !hooks.isDone(d) && !pending(d));
        await hooks.failed(job, `not run: it needs job${missing.length === 1 ? '' : 's'} ${missing.join(', ')}, which did not finish`);
      }
      const next = queue.findIndex((j) => after(j).every(hooks.isDone));
      if (next < 0) {
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

/**
 * One job worker per slot, started on first use and replaced if it dies; the stop flag is
 * forwarded to the workers through shared memory (`init(flag)` puts it in their init message).
 */
export function threadSlots<I, J extends ScheduledJob, O>(url: URL | string, init: (stopFlag: Int32Array) => I, slots: number, stop: StopFlag, progress: Progress): Executor<J, O> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  // The SIGINT handler sets stop.requested in this thread; workers read the shared flag.
  const forward = setInterval(() => { if (stop.requested) Atomics.store(flag, 0, 1); }, 50);
  const message = init(flag);
  const threads: (JobThread<I, J, O> | null)[] = new Array<JobThread<I, J, O> | null>(slots).fill(null);
  return {
    async run(job, slot) {
      let t = threads[slot];
      if (!t || !t.alive) {
        await t?.terminate();
        t = threads[slot] = await JobThread.start<I, J, O>(url, message);
      }
      const tag = `job ${job.index}: `;
      const p: JobProgress = {
        advance: (units, label) => progress.advance(units, tag + label, slot),
        event: (units, line) => progress.event(units, tag + line),
      };
      progress.advance(0, `${tag}${job.label} starting`, slot);
      return t.run(job, p);
    },
    async close() {
      clearInterval(forward);
      await Promise.all(threads.map((t) => t?.terminate()));
    },
  };
}
