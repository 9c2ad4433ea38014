// The experiment runner, whatever the platform: splits a spec into jobs (jobs.ts), runs them —
// one after another in this thread, or N at a time, each in its own job worker (job_worker.ts:
// Node worker_threads or browser module Workers) — and writes results.json into a Store after
// every finished job (opened or resumed and saved by results_store.ts), runs sorted by job
// index, so the file is the same whatever N and whatever order the jobs finish in (wall-clock
// fields aside). What a job computes is in job.ts.
//
// Everything the platform decides comes in as an option: the store (Node: a directory, the
// page: an OPFS folder — src/train/store.ts), the data sets, the kernels, the machine facts for
// results.json. runner.ts is the Node shell (`lbgap reproduce`: files, MNIST/CIFAR from disk,
// os facts); web/experiment.ts is the page's. Both call runExperimentIn.
//
// Stopping and resuming: `stop.requested` is forwarded to the workers (shared memory, seen
// after every optimizer step; without shared memory a message, seen at the worker's next
// await); in this thread it is seen at an await (the end of a training epoch or of a
// measurement). Training checkpoints are written atomically after every epoch, so a stop
// loses at most the current epoch's steps: on `resume`, completed jobs are skipped and an
// interrupted run continues from its last epoch checkpoint — bit for bit what an
// uninterrupted run computes (the trainer's resume is bit-identical and every measurement is a
// deterministic function of the parameters). A job that throws is recorded in `failures`
// (status 'failed'); the others finish, and a resume runs the failed ones again.
import type { Dataset } from '../data/dataset.js';
import type { Kernels } from '../kernels/index.js';
import type { Store } from '../train/store.js';
import { checkJobs, costs, ExperimentError, jobWork, runJob, type JobContext, type JobOutput, type JobProgress, type LiveEvent, type Work } from './job.js';
import { sharedDataset, spreadOf, type WorkerInit } from './job_protocol.js';
import { allJobs, groupCount, shardJobs, type Job, type Shard } from './jobs.js';
import { Progress, type ProgressSink } from './progress.js';
import { parseResults, summarize, ResultsError, RESULTS_VERSION, type Environment, type JobFailure, type ResultsFile } from './results.js';
import { openResults } from './results_store.js';
import { recordDone, runSettings, runSlots, slotProgress, spreadBudget, threadSlots, type Executor, type StopFlag } from './scheduler.js';
import type { ExperimentSpec } from './spec.js';

// The stores a front end opens for the runner (the page: OPFS), and their errors.
export { MemoryStore, openStore, StorageQuotaError, StorageUnavailableError, StoreError, type Store, type StoreRef } from '../train/store.js';

export { RESULTS_FILE } from './results_store.js';

/** A live event of job `job` (the page's curves). */
export type JobLiveEvent = LiveEvent & { job: number };

/** What a live view (the page) hears of a run; every hook is optional. */
export interface LiveHooks {
  /** Before the first job runs: the jobs to run and their work by kind (cost-model units, as `work` reports them). */
  start?(e: { jobs: number[]; work: Record<Work, number> }): void;
  /** Job `job` is handed to a slot (its worker may still be starting). */
  begin?(e: { job: number; label: string }): void;
  /** Progress of job `job`: `units` of training or analysis work done (`label`: what runs now). */
  work?(e: { job: number; work: Work; units: number; label: string }): void;
  /** A training step's mini-batch loss. */
  step?(e: Extract<JobLiveEvent, { type: 'step' }>): void;
  /** An epoch's metrics (training and test loss and accuracy…). */
  epoch?(e: Extract<JobLiveEvent, { type: 'epoch' }>): void;
  /** results.json was written (at the start, after every finished or failed job, at the end); read-only. */
  saved?(results: ResultsFile): void;
}

export interface CoreRunOptions {
  /** Where results.json and checkpoints/ go (and, on resume, come from). */
  store: Store;
  data: { train: Dataset; test: Dataset };
  /** This thread's kernels; job workers load the same build. */
  kernels: Kernels;
  /** The machine facts results.json records for a new run. */
  environment: Environment;
  shard?: Shard | null;
  /** Continue the experiment in the store (its results.json must hold the same spec and shard). */
  resume?: boolean;
  stop?: StopFlag;
  progress?: ProgressSink | null;
  /** Plain log lines (start, per-job summaries). */
  log?: (line: string) => void;
  /** Jobs run at a time (default 1: one after another in this thread); > 1: each in a job worker. */
  jobs?: number;
  /** Run jobs in job workers even one at a time (the page: never on its UI thread). */
  threads?: boolean;
  /** The job worker script (default: job_worker.js beside this module). */
  workerUrl?: URL | string;
  /**
   * The objective worker script (src/workers/worker.ts): given, a job's φ and Hessian spread
   * over the cores of the `jobs` budget that no other job runs on (a lone job — the last of a
   * sweep — uses them all); the results are the same bits. Absent: measurements run in the job's thread.
   */
  measureWorkerUrl?: URL | string;
  /** Extra top-level fields of results.json (the page: `page`, its browser facts). */
  extra?: Record<string, unknown>;
  live?: LiveHooks;
}

export interface CoreRunOutcome {
  results: ResultsFile;
  stopped: boolean;
  /** Jobs that threw (the others ran to the end). */
  failures: JobFailure[];
}

/** Runs (or resumes) an experiment in a store; returns the results, whether it was stopped, and the failed jobs. */
export async function runExperimentIn(spec: ExperimentSpec, opts: CoreRunOptions): Promise<CoreRunOutcome> {
  const { log, stop, shard, jobs: maxJobs } = runSettings(opts);
  const { store, data, kernels: k } = opts;
  const jobs = allJobs(spec, data.train.n);
  const mine = shardJobs(jobs, shard);
  if (mine.length === 0) throw new ExperimentError(`shard ${shard!.index}/${shard!.count} has no jobs: the experiment has only ${groupCount(jobs)} shardable group${groupCount(jobs) === 1 ? '' : 's'} (${spec.kind === 'reproduce' ? 'one per seed' : 'one per job'})`);
  checkJobs(spec, mine, data.train);

  const rf = await openResults<ResultsFile>({
    store, spec, shard, resume: opts.resume === true, parse: parseResults,
    fresh: async () => {
      // Checkpoints of an earlier, unrelated run must not be resumed by accident.
      await store.clear('checkpoints');
      return {
        version: RESULTS_VERSION, kind: spec.kind, status: 'running', spec, environment: opts.environment, seeds: spec.seeds.slice(),
        data: { train: data.train.name, trainSamples: data.train.n, test: data.test.name, testSamples: data.test.n },
        totalJobs: jobs.length, shard, jobs: mine.map((j) => j.index), done: [], runs: [], interpolations: [], final: [],
        timings: { started: new Date().toISOString(), finished: null, seconds: 0, jobs: [] },
        ...opts.extra,
      };
    },
    prepare: (r) => {
      r.runs.sort((a, b) => a.job - b.job);
      r.interpolations.sort((a, b) => a.job - b.job);
      r.timings.jobs.sort((a, b) => a.job - b.job);
      r.final = summarize(r.runs);
    },
    saved: (r) => opts.live?.saved?.(r),
  });
  const { results, file, save } = rf;
  if (opts.resume) {
    // Reproduce jobs were one SB+LB pair per seed before they became SB, LB and parametric jobs.
    if (results.totalJobs !== jobs.length) throw new ResultsError(file, `was written by an earlier lbgap with ${results.totalJobs} jobs (this one splits the same spec into ${jobs.length}); \`lbgap report\` still renders it — to continue the experiment, run it again into another --out`);
    if (opts.extra) Object.assign(results, opts.extra);
  }
  await save();

  const c = costs(spec, data.train.n, data.test.n);
  const todo = mine.filter((j) => !results.done.includes(j.index));
  const work = { training: 0, analysis: 0 };
  for (const j of todo) { const w = jobWork(spec, j, c); work.training += w.training; work.analysis += w.analysis; }
  opts.live?.start?.({ jobs: todo.map((j) => j.index), work });
  const progress = new Progress(work.training + work.analysis, opts.progress ?? null);
  const slots = Math.min(maxJobs, todo.length);
  const threads = slots > 1 || (opts.threads === true && slots > 0);
  log(`${spec.kind}: ${spec.net} on ${data.train.name} (${data.train.n}) / ${data.test.name} (${data.test.n}), ${jobs.length} job${jobs.length === 1 ? '' : 's'}` +
    `${shard ? `, shard ${shard.index}/${shard.count} (${mine.length})` : ''}${todo.length < mine.length ? `, ${mine.length - todo.length} already done` : ''}, kernels ${k.info.build}` +
    (slots > 1 ? `, ${slots} at a time` : ''));

  const finished = async (job: Job, out: JobOutput, seconds: number) => {
    results.runs.push(...out.runs);
    if (out.interpolation) results.interpolations.push(out.interpolation);
    if (out.stepCosts) results.frontierStepCosts = out.stepCosts;
    recordDone(results, job.index, seconds);
    await save();
    if (out.stepCosts) {
      log(`job ${job.index} (${job.label}) done in ${seconds.toFixed(1)} s: samples/s in-thread / over the workers: ` +
        out.stepCosts.map((c) => `B=${c.batch} ${Math.round(c.inThread.samplesPerSecond)} / ${c.pool ? `${Math.round(c.pool.samplesPerSecond)} (${c.workers} workers)` : '–'}`).join(', '));
      return;
    }
    log(`job ${job.index} (${job.label}) done in ${seconds.toFixed(1)} s: ` +
      out.runs.map((r) => `${r.setting} ${r.status === 'diverged' ? 'DIVERGED' : `test acc ${r.final.testAcc === null ? '–' : (100 * r.final.testAcc).toFixed(2) + '%'}`}` +
        (r.status === 'not-improved' ? ' (did not improve)' : '') +
        (r.final.sharpness[0] ? `, φ ${r.final.sharpness[0].phi.toPrecision(3)}` : '')).join('; '));
  };

  const live = opts.live;
  // A job's progress: into the Progress (the CLI's bar and lines) and, when a view listens, its hooks.
  const observed = (job: Job, base: JobProgress): JobProgress => (!live ? base : {
    advance: (units, label, w) => { base.advance(units, label, w); live.work?.({ job: job.index, work: w ?? 'training', units, label }); },
    event: (units, line, w) => { base.event(units, line, w); live.work?.({ job: job.index, work: w ?? 'training', units, label: line }); },
    live: (e) => { if (e.type === 'step') live.step?.({ ...e, job: job.index }); else live.epoch?.({ ...e, job: job.index }); },
  });
  // What of the --jobs budget no other job runs on is a job's to measure with.
  const budget = spreadBudget(maxJobs, opts.measureWorkerUrl), spread = budget.init;
  let exec: Executor<Job, JobOutput>;
  if (threads) {
    const ref = store.ref;
    if (!ref) throw new ExperimentError(`jobs in job workers need a store the workers can open (files or OPFS); ${store.where('')} is this thread's only`);
    exec = threadSlots<WorkerInit, Job, JobOutput>(opts.workerUrl ?? new URL('./job_worker.js', import.meta.url),
      (flag) => ({ spec, build: k.info.build, store: ref, stop: flag, spread, budget: maxJobs, data: { train: sharedDataset(data.train), test: sharedDataset(data.test) } }),
      Math.max(1, slots), stop, progress, (job, slot) => observed(job, slotProgress(progress, job, slot)));
  } else {
    const ctx: Omit<JobContext, 'progress'> = { spec, k, data, store, costs: c, stopRequested: () => stop.requested, spread: spreadOf(spread), budget: maxJobs };
    const base: JobProgress = { advance: (units, label) => progress.advance(units, label), event: (units, line) => progress.event(units, line) };
    exec = { run: (job) => runJob({ ...ctx, progress: observed(job, base) }, job), close: async () => {} };
  }
  const isDone = (i: number) => results.done.includes(i);
  const inner = budget.counted(exec);
  exec = { run: (job, slot) => { live?.begin?.({ job: job.index, label: job.label }); return inner.run(job, slot); }, close: () => inner.close() };
  const stopped = await runSlots(todo, slots, exec, stop, progress, {
    isDone,
    finished,
    failed: async (job, error) => {
      log(`job ${job.index} (${job.label}) ${error.startsWith('not run: ') ? `NOT RUN: ${error.slice('not run: '.length)}` : `FAILED: ${error}`}`);
      await rf.fail({ job: job.index, label: job.label, error });
    },
    // A parametric plot whose SB or LB run diverged has nothing to plot.
    settle: async (job) => {
      if (job.setting.type !== 'parametric' || !results.runs.some((r) => job.after.includes(r.job) && r.status === 'diverged')) return false;
      const line = `seed ${job.seed}: no parametric plot (a run diverged)`;
      progress.event(c.interpolation, line);
      live?.work?.({ job: job.index, work: 'analysis', units: c.interpolation, label: line });
      await finished(job, { runs: [], interpolation: null }, 0);
      return true;
    },
  });
  await rf.finish(stopped);
  return { results, stopped, failures: rf.failures() };
}
