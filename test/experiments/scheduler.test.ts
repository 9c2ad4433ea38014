// The scheduler (src/experiments/scheduler.ts runSlots) with an instrumented executor: jobs
// start in list order as slots free up, and an `exclusive` job runs alone — it starts only
// when no other job runs, nothing starts while it runs, and waiting for it holds back the
// jobs behind it (so it is not starved).
import { describe, expect, it } from 'vitest';
import { Progress } from '../../src/experiments/progress.js';
import { runSlots, type Executor, type ScheduledJob } from '../../src/experiments/scheduler.js';

interface Span { job: number; start: number; end: number }

/** Runs `jobs` over `slots` slots; each job takes `ms(job)` milliseconds. Returns each job's [start, end) in a shared tick order. */
async function schedule(jobs: ScheduledJob[], slots: number, ms: (j: ScheduledJob) => number): Promise<{ spans: Span[]; maxRunning: number }> {
  let tick = 0, running = 0, maxRunning = 0;
  const spans: Span[] = [];
  const done = new Set<number>();
  const exec: Executor<ScheduledJob, null> = {
    async run(job) {
      const span = { job: job.index, start: tick++, end: -1 };
      running++;
      maxRunning = Math.max(maxRunning, running);
      await new Promise((ok) => setTimeout(ok, ms(job)));
      running--;
      span.end = tick++;
      spans.push(span);
      return null;
    },
    close: async () => {},
  };
  const stopped = await runSlots(jobs, slots, exec, { requested: false }, new Progress(1, null), {
    isDone: (i) => done.has(i),
    finished: async (job) => { done.add(job.index); },
    failed: async (job, error) => { throw new Error(`job ${job.index} failed: ${error}`); },
  });
  expect(stopped).toBe(false);
  return { spans: spans.sort((a, b) => a.job - b.job), maxRunning };
}

const overlaps = (a: Span, b: Span) => a.start < b.end && b.start < a.end;
const job = (index: number, exclusive = false): ScheduledJob => ({ index, label: `job ${index}`, ...(exclusive ? { exclusive } : {}) });

describe('runSlots: exclusive jobs', () => {
  it('an exclusive first job runs alone; the others then run two at a time', async () => {
    const jobs = [job(0, true), job(1), job(2), job(3), job(4)];
    const { spans, maxRunning } = await schedule(jobs, 2, (j) => (j.index === 0 ? 40 : 15));
    expect(spans.map((s) => s.job)).toEqual([0, 1, 2, 3, 4]);
    for (const s of spans.slice(1)) {
      expect(overlaps(spans[0], s), `job ${s.job} overlaps the exclusive job 0`).toBe(false);
      expect(s.start).toBeGreaterThan(spans[0].end);
    }
    // The other jobs did share the two slots.
    expect(maxRunning).toBe(2);
    expect(spans.slice(1).some((s) => spans.slice(1).some((t) => t !== s && overlaps(s, t)))).toBe(true);
  });

  it('an exclusive job in the middle waits for the running jobs and holds back the jobs behind it', async () => {
    // Job 0 is long: a slot that frees early must not start job 3 past the waiting exclusive job 2.
    const jobs = [job(0), job(1), job(2, true), job(3), job(4)];
    const { spans } = await schedule(jobs, 2, (j) => (j.index === 0 ? 60 : 10));
    const ex = spans[2];
    for (const s of spans.filter((x) => x.job !== 2)) expect(overlaps(ex, s), `job ${s.job} overlaps the exclusive job 2`).toBe(false);
    expect(ex.start).toBeGreaterThan(Math.max(spans[0].end, spans[1].end));
    expect(spans[3].start).toBeGreaterThan(ex.end);
    expect(spans[4].start).toBeGreaterThan(ex.end);
  });

  it('without exclusive jobs nothing changes: every slot is used', async () => {
    const { maxRunning } = await schedule([job(0), job(1), job(2), job(3)], 3, () => 10);
    expect(maxRunning).toBe(3);
  });
});
