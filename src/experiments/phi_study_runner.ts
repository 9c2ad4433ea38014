// Runs (or resumes) a φ study: its jobs (grid point × checkpoint, phi_study_job.ts) one after
// another in this thread (--jobs 1) or N at a time in φ-study job workers, writing
// results.json after every finished job with records sorted by job index — the same file
// whatever N and whatever order the jobs finish in (wall-clock fields aside). A job is a few
// measurements on a fixed network: a stop (SIGINT) is seen between measurements and loses
// only the unfinished jobs, which --resume runs again; failed jobs are recorded and rerun too.
// results.json goes into a Store (results_store.ts, as the experiment runner's): the CLI's is a
// directory (`outDir`, a FileStore), tests may pass a MemoryStore. The checkpoints the study
// measures are files named by the spec, read from disk.
import { stat } from 'node:fs/promises';
import type { Dataset } from '../data/dataset.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { FileStore } from '../train/file_store.js';
import type { Store } from '../train/store.js';
import { ExperimentError } from './job.js';
import { sharedDataset, spreadOf } from './job_protocol.js';
import type { Shard } from './jobs.js';
import { phiJobCost, phiJobs, runPhiJob, type PhiJob, type PhiJobContext, type PhiRecord } from './phi_study_job.js';
import { parsePhiStudyResults, type PhiStudyResults } from './phi_study_results.js';
import { PHI_STUDY_KIND, type PhiStudySpec } from './phi_study_spec.js';
import type { PhiWorkerInit } from './phi_study_worker.js';
import { Progress, type ProgressSink } from './progress.js';
import type { JobFailure } from './results.js';
import { openResults } from './results_store.js';
import { recordDone, runSettings, runSlots, spreadBudget, threadSlots, type Executor } from './scheduler.js';
import { loadExperimentData, measureWorkerUrl, nodeEnvironment, type StopFlag } from './runner.js';
import { defaultSpec } from './spec.js';

interface PhiRunCommon {
  shard?: Shard | null;
  resume?: boolean;
  stop?: StopFlag;
  progress?: ProgressSink | null;
  log?: (line: string) => void;
  /** The training set to use instead of loading spec.data (tests). */
  train?: Dataset;
  kernels?: Kernels;
  jobs?: number;
  /** The worker script (default: phi_study_worker.js beside this module; tests pass a bundle). */
  workerUrl?: URL | string;
  /** The objective worker a lone job's loss spreads over idle cores with (runner.ts RunOptions.measureWorkerUrl). */
  measureWorkerUrl?: URL | string | null;
}

/** Where results.json goes: a directory (`outDir`, made if missing) or any Store. */
export type PhiRunOptions = PhiRunCommon & ({ outDir: string; store?: undefined } | { store: Store; outDir?: undefined });

export interface PhiRunOutcome { results: PhiStudyResults; stopped: boolean; file: string; failures: JobFailure[] }

async function exists(file: string): Promise<boolean> {
  try { await stat(file); return true; } catch { return false; }
}

/** The checkpoints must exist before anything runs (a typo fails at once, not as failed jobs). */
async function checkCheckpoints(spec: PhiStudySpec): Promise<void> {
  for (const [i, c] of spec.checkpoints.entries()) {
    if (!(await exists(c.path))) throw new ExperimentError(`checkpoints[${i}] (${c.label}): ${c.path} does not exist`);
  }
}

export async function runPhiStudy(spec: PhiStudySpec, opts: PhiRunOptions): Promise<PhiRunOutcome> {
  const { log, stop, shard, jobs: maxJobs } = runSettings(opts);
  await checkCheckpoints(spec);
  const store = opts.store ?? new FileStore(opts.outDir);
  const train = opts.train ?? (await loadExperimentData({ ...defaultSpec('reproduce'), data: spec.data })).train;
  const k = opts.kernels ?? (await loadKernels({ build: spec.build }));
  const jobs = phiJobs(spec);
  // Job j belongs to shard j mod n (a grid point's checkpoints land on neighbouring shards).
  const mine = shard ? jobs.filter((j) => j.index % shard.count === shard.index) : jobs;
  if (mine.length === 0) throw new ExperimentError(`shard ${shard!.index}/${shard!.count} has no jobs: the study has only ${jobs.length}`);
  for (const v of spec.variations) {
    const s = { ...spec.baseline, ...v.change };
    if (s.sample !== null && s.sample > train.n) throw new ExperimentError(`grid point '${v.label}': sample ${s.sample} exceeds the ${train.n} training samples`);
  }

  const rf = await openResults<PhiStudyResults>({
    store, spec, shard, resume: opts.resume === true, parse: parsePhiStudyResults,
    fresh: () => ({
      version: 1, kind: PHI_STUDY_KIND, status: 'running', spec, environment: nodeEnvironment(k),
      data: { train: train.name, trainSamples: train.n }, totalJobs: jobs.length, shard, jobs: mine.map((j) => j.index), done: [], records: [],
      timings: { started: new Date().toISOString(), finished: null, seconds: 0, wallSeconds: 0, jobs: [] },
    }),
    prepare: (r) => {
      r.records.sort((a, b) => a.job - b.job);
      r.timings.jobs.sort((a, b) => a.job - b.job);
      // Called only by save(), after wall0 and wallBefore below are set.
      r.timings.wallSeconds = wallBefore + (performance.now() - wall0) / 1000;
    },
  });
  const { results, file, save } = rf;
  const wall0 = performance.now(), wallBefore = results.timings.wallSeconds;
  await save();

  const todo = mine.filter((j) => !results.done.includes(j.index));
  const progress = new Progress(todo.reduce((a, j) => a + phiJobCost(spec, j, train.n), 0), opts.progress ?? null);
  const slots = Math.min(maxJobs, todo.length);
  log(`phi-study: ${spec.checkpoints.map((c) => c.label).join(', ')} × ${spec.variations.length} grid points on ${train.name} (${train.n}), ${jobs.length} jobs` +
    `${shard ? `, shard ${shard.index}/${shard.count} (${mine.length})` : ''}${todo.length < mine.length ? `, ${mine.length - todo.length} already done` : ''}, kernels ${k.info.build}${slots > 1 ? `, ${slots} at a time` : ''}`);

  const budget = spreadBudget(maxJobs, measureWorkerUrl(opts)), spread = budget.init;
  const exec: Executor<PhiJob, PhiRecord> = budget.counted(slots > 1
    ? threadSlots<PhiWorkerInit, PhiJob, PhiRecord>(opts.workerUrl ?? new URL('./phi_study_worker.js', import.meta.url),
      (flag) => ({ spec, build: k.info.build, train: sharedDataset(train), stop: flag, spread }), slots, stop, progress)
    : inThread(spec, k, train, stop, progress, spreadOf(spread)));
  const stopped = await runSlots(todo, slots, exec, stop, progress, {
    isDone: (i) => results.done.includes(i),
    finished: async (job, rec, seconds) => {
      results.records.push(rec);
      recordDone(results, job.index, seconds);
      await save();
      log(`job ${job.index} (${job.label}) done in ${seconds.toFixed(1)} s: ` +
        [...rec.sharpness.map((e) => `φ ${e.space === 'full' ? 'full' : `p=${e.dim}`} ε=${e.eps} ${e.phi.toPrecision(3)}`),
          ...(rec.hessian ? [`λmax ${rec.hessian.top.toPrecision(3)}`, `tr ${rec.hessian.trace.toPrecision(3)}`] : [])].join(', '));
    },
    failed: async (job, error) => {
      log(`job ${job.index} (${job.label}) FAILED: ${error}`);
      await rf.fail({ job: job.index, label: job.label, error });
    },
  });
  await rf.finish(stopped);
  return { results, stopped, file, failures: rf.failures() };
}

function inThread(spec: PhiStudySpec, k: Kernels, train: Dataset, stop: StopFlag, progress: Progress, spread: PhiJobContext['spread']): Executor<PhiJob, PhiRecord> {
  const ctx: PhiJobContext = {
    spec, k, train, stopRequested: () => stop.requested, spread,
    progress: { advance: (u, l) => progress.advance(u, l), event: (u, l) => progress.event(u, l) },
  };
  return { run: (job) => runPhiJob(ctx, job), close: async () => {} };
}
