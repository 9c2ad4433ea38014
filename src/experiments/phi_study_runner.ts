// Runs (or resumes) a φ study: its jobs (grid point × checkpoint, phi_study_job.ts) one after
// another in this thread (--jobs 1) or N at a time in φ-study job workers, writing
// results.json after every finished job with records sorted by job index — the same file
// whatever N and whatever order the jobs finish in (wall-clock fields aside). A job is a few
// measurements on a fixed network: a stop (SIGINT) is seen between measurements and loses
// only the unfinished jobs, which --resume runs again; failed jobs are recorded and rerun too.
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { ExperimentError } from './job.js';
import { sharedDataset } from './job_protocol.js';
import type { Shard } from './jobs.js';
import { phiJobCost, phiJobs, runPhiJob, type PhiJob, type PhiJobContext, type PhiRecord } from './phi_study_job.js';
import { parsePhiStudyResults, type PhiStudyResults } from './phi_study_results.js';
import { PHI_STUDY_KIND, type PhiStudySpec } from './phi_study_spec.js';
import type { PhiWorkerInit } from './phi_study_worker.js';
import { Progress, type ProgressSink } from './progress.js';
import { recordDone, runSlots, threadSlots, type Executor } from './scheduler.js';
import { ResultsError, type JobFailure } from './results.js';
import { loadExperimentData, nodeEnvironment, RESULTS_FILE, type StopFlag } from './runner.js';
import { defaultSpec } from './spec.js';

export interface PhiRunOptions {
  outDir: string;
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
}

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
  const log = opts.log ?? (() => {});
  const stop = opts.stop ?? { requested: false };
  const shard = opts.shard ?? null;
  const maxJobs = opts.jobs ?? 1;
  if (!Number.isInteger(maxJobs) || maxJobs < 1 || maxJobs > 256) throw new ExperimentError(`jobs: must be an integer in [1, 256], got ${maxJobs}`);
  await checkCheckpoints(spec);
  await mkdir(opts.outDir, { recursive: true });
  const file = join(opts.outDir, RESULTS_FILE);
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

  let results: PhiStudyResults;
  if (opts.resume) {
    if (!(await exists(file))) throw new ExperimentError(`--resume: ${file} does not exist (nothing to resume)`);
    results = parsePhiStudyResults(await readFile(file, 'utf8'), file);
    if (JSON.stringify(results.spec) !== JSON.stringify(spec)) throw new ResultsError(file, 'was written for a different spec than the one given; resume with the same spec (or use another --out)');
    if (JSON.stringify(results.shard) !== JSON.stringify(shard)) throw new ResultsError(file, `holds shard ${JSON.stringify(results.shard)}, not ${JSON.stringify(shard)}`);
    results.status = 'running';
    delete results.failures;
  } else {
    if (await exists(file)) throw new ExperimentError(`${file} already exists: pass --resume to continue it, or choose another --out`);
    results = {
      version: 1, kind: PHI_STUDY_KIND, status: 'running', spec, environment: nodeEnvironment(k),
      data: { train: train.name, trainSamples: train.n }, totalJobs: jobs.length, shard, jobs: mine.map((j) => j.index), done: [], records: [],
      timings: { started: new Date().toISOString(), finished: null, seconds: 0, wallSeconds: 0, jobs: [] },
    };
  }
  const failures: JobFailure[] = [];
  const wall0 = performance.now(), wallBefore = results.timings.wallSeconds;
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(async () => {
      results.records.sort((a, b) => a.job - b.job);
      results.timings.jobs.sort((a, b) => a.job - b.job);
      results.timings.wallSeconds = wallBefore + (performance.now() - wall0) / 1000;
      if (failures.length) results.failures = failures.slice().sort((a, b) => a.job - b.job);
      const tmp = `${file}.tmp-${process.pid}`;
      await writeFile(tmp, JSON.stringify(results, null, 1) + '\n');
      await rename(tmp, file);
    });
    return saving;
  };
  await save();

  const todo = mine.filter((j) => !results.done.includes(j.index));
  const progress = new Progress(todo.reduce((a, j) => a + phiJobCost(spec, j, train.n), 0), opts.progress ?? null);
  const slots = Math.min(maxJobs, todo.length);
  log(`phi-study: ${spec.checkpoints.map((c) => c.label).join(', ')} × ${spec.variations.length} grid points on ${train.name} (${train.n}), ${jobs.length} jobs` +
    `${shard ? `, shard ${shard.index}/${shard.count} (${mine.length})` : ''}${todo.length < mine.length ? `, ${mine.length - todo.length} already done` : ''}, kernels ${k.info.build}${slots > 1 ? `, ${slots} at a time` : ''}`);

  const exec: Executor<PhiJob, PhiRecord> = slots > 1
    ? threadSlots<PhiWorkerInit, PhiJob, PhiRecord>(opts.workerUrl ?? new URL('./phi_study_worker.js', import.meta.url),
      (flag) => ({ spec, build: k.info.build, train: sharedDataset(train), stop: flag }), slots, stop, progress)
    : inThread(spec, k, train, stop, progress);
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
      failures.push({ job: job.index, label: job.label, error });
      log(`job ${job.index} (${job.label}) FAILED: ${error}`);
      await save();
    },
  });
  results.status = stopped ? 'interrupted' : failures.length ? 'failed' : 'complete';
  if (results.status === 'complete') results.timings.finished = new Date().toISOString();
  await save();
  return { results, stopped, file, failures: failures.slice().sort((a, b) => a.job - b.job) };
}

function inThread(spec: PhiStudySpec, k: Kernels, train: Dataset, stop: StopFlag, progress: Progress): Executor<PhiJob, PhiRecord> {
  const ctx: PhiJobContext = {
    spec, k, train, stopRequested: () => stop.requested,
    progress: { advance: (u, l) => progress.advance(u, l), event: (u, l) => progress.event(u, l) },
  };
  return { run: (job) => runPhiJob(ctx, job), close: async () => {} };
}
