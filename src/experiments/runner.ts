// The experiment runner: splits a spec into jobs (jobs.ts), runs them — one after another in
// this thread (--jobs 1), or N at a time, each in its own job worker (job_worker.ts) — and
// writes results.json after every finished job, runs sorted by job index, so the file is the
// same whatever N and whatever order the jobs finish in (wall-clock fields aside). What a job
// computes is in job.ts.
//
// Stopping and resuming: `stop.requested` (set by the CLI's SIGINT handler) is forwarded to
// the workers through shared memory and seen after every optimizer step; in this thread it is
// seen at an await (the end of a training epoch or of a measurement). Training checkpoints are
// written atomically after every epoch (src/train), so a stop loses at most the current
// epoch's steps: on `resume`, completed jobs are skipped and an interrupted run continues from
// its last epoch checkpoint — bit for bit what an uninterrupted run computes (the trainer's
// resume is bit-identical and every measurement is a deterministic function of the
// parameters). A job that throws is recorded in `failures` (status 'failed'); the others
// finish, and --resume runs the failed ones again.
import { mkdir, readFile, rename, rm, stat as fsStat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { loadCifar10, loadCifar100 } from '../data/cifar.js';
import { loadFashionMnist, loadMnist } from '../data/mnist.js';
import { syntheticClassification } from '../data/synthetic.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { checkJobs, costs, ExperimentError, jobCost, runJob, type JobContext, type JobOutput } from './job.js';
import { sharedDataset, type WorkerInit } from './job_protocol.js';
import { allJobs, groupCount, shardJobs, type Job, type Shard } from './jobs.js';
import { Progress, type ProgressSink } from './progress.js';
import { parseResults, summarize, ResultsError, RESULTS_VERSION, type Environment, type JobFailure, type ResultsFile } from './results.js';
import { runSlots, threadSlots, type Executor, type StopFlag } from './scheduler.js';
import type { ExperimentSpec } from './spec.js';

export { ExperimentError, StopRequested } from './job.js';

export type { StopFlag } from './scheduler.js';

export interface RunOptions {
  /** Directory of results.json, checkpoints/ and (by the CLI) REPORT.md and figures. */
  outDir: string;
  shard?: Shard | null;
  /** Continue the experiment in outDir (its results.json must hold the same spec and shard). */
  resume?: boolean;
  stop?: StopFlag;
  progress?: ProgressSink | null;
  /** Plain log lines (start, per-job summaries). */
  log?: (line: string) => void;
  /** Data sets to use instead of loading spec.data (tests). */
  data?: { train: Dataset; test: Dataset };
  /** Kernels to use instead of loading spec.build (tests; in this thread only — workers load the same build). */
  kernels?: Kernels;
  /** Jobs run at a time (default 1: one after another in this thread); > 1: each in a job worker. */
  jobs?: number;
  /** The job worker script (default: job_worker.js beside this module; tests pass a bundle). */
  workerUrl?: URL | string;
}

export interface RunOutcome {
  results: ResultsFile;
  stopped: boolean;
  file: string;
  /** Jobs that threw (the others ran to the end). */
  failures: JobFailure[];
}

export const RESULTS_FILE = 'results.json';

/** The number of cores: the default of `--jobs`. */
export function availableCores(): number {
  return Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
}

/** Loads the spec's data sets (MNIST, Fashion-MNIST, CIFAR-10/100 from the user's files, or a synthetic MNIST-shaped problem). */
export async function loadExperimentData(spec: ExperimentSpec): Promise<{ train: Dataset; test: Dataset }> {
  const d = spec.data;
  const dir = d.dir ?? undefined;
  let train: Dataset, test: Dataset;
  switch (d.name) {
    case 'mnist':
      train = await loadMnist('train', { dir, limit: d.trainLimit ?? undefined });
      test = await loadMnist('test', { dir, limit: d.testLimit ?? undefined });
      break;
    case 'fashion-mnist':
      train = await loadFashionMnist('train', { dir, limit: d.trainLimit ?? undefined });
      test = await loadFashionMnist('test', { dir, limit: d.testLimit ?? undefined });
      break;
    case 'cifar10':
    case 'cifar100': {
      // CIFAR cannot be downloaded by lbgap: the user brings the binary files.
      if (!dir) throw new ExperimentError(`data.dir: ${d.name} needs the directory of its binary files (e.g. cifar-10-batches-bin)`);
      const load = d.name === 'cifar10' ? loadCifar10 : loadCifar100;
      train = await load('train', { dir, limit: d.trainLimit ?? undefined });
      test = await load('test', { dir, limit: d.testLimit ?? undefined });
      break;
    }
    default:
      train = syntheticClassification({ n: d.trainLimit ?? 6000, shape: [28, 28, 1], classes: 10, seed: 1, name: 'synthetic/train' });
      test = syntheticClassification({ n: d.testLimit ?? 2000, shape: [28, 28, 1], classes: 10, seed: 1, sampleSeed: 2, name: 'synthetic/test' });
  }
  return { train, test };
}

function environment(k: Kernels): Environment {
  const cpus = os.cpus();
  return {
    lbgap: '0.1.0', node: process.version, platform: `${process.platform}-${process.arch}`,
    cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', kernels: k.info.build,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

async function writeAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, file);
}

async function exists(file: string): Promise<boolean> {
  try { await fsStat(file); return true; } catch { return false; }
}

/** Runs (or resumes) an experiment; returns the results, whether it was stopped, and the failed jobs. */
export async function runExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunOutcome> {
  const log = opts.log ?? (() => {});
  const stop = opts.stop ?? { requested: false };
  const shard = opts.shard ?? null;
  const maxJobs = opts.jobs ?? 1;
  if (!Number.isInteger(maxJobs) || maxJobs < 1 || maxJobs > 256) throw new ExperimentError(`jobs: must be an integer in [1, 256], got ${maxJobs}`);
  await mkdir(join(opts.outDir, 'checkpoints'), { recursive: true });
  const file = join(opts.outDir, RESULTS_FILE);
  const data = opts.data ?? (await loadExperimentData(spec));
  const k = opts.kernels ?? (await loadKernels({ build: spec.build }));
  const jobs = allJobs(spec, data.train.n);
  const mine = shardJobs(jobs, shard);
  if (mine.length === 0) throw new ExperimentError(`shard ${shard!.index}/${shard!.count} has no jobs: the experiment has only ${groupCount(jobs)} shardable group${groupCount(jobs) === 1 ? '' : 's'} (${spec.kind === 'reproduce' ? 'one per seed' : 'one per job'})`);
  checkJobs(spec, mine, data.train);

  let results: ResultsFile;
  if (opts.resume) {
    if (!(await exists(file))) throw new ExperimentError(`--resume: ${file} does not exist (nothing to resume)`);
    results = parseResults(await readFile(file, 'utf8'), file);
    if (JSON.stringify(results.spec) !== JSON.stringify(spec)) throw new ResultsError(file, 'was written for a different spec than the one given; resume with the same spec (or use another --out)');
    if (JSON.stringify(results.shard) !== JSON.stringify(shard)) throw new ResultsError(file, `holds shard ${JSON.stringify(results.shard)}, not ${JSON.stringify(shard)}`);
    // Reproduce jobs were one SB+LB pair per seed before they became SB, LB and parametric jobs.
    if (results.totalJobs !== jobs.length) throw new ResultsError(file, `was written by an earlier lbgap with ${results.totalJobs} jobs (this one splits the same spec into ${jobs.length}); \`lbgap report\` still renders it — to continue the experiment, run it again into another --out`);
    results.status = 'running';
    // Failed jobs run again.
    delete results.failures;
  } else {
    if (await exists(file)) throw new ExperimentError(`${file} already exists: pass --resume to continue it, or choose another --out`);
    // Checkpoints of an earlier, unrelated run must not be resumed by accident.
    await rm(join(opts.outDir, 'checkpoints'), { recursive: true, force: true });
    await mkdir(join(opts.outDir, 'checkpoints'), { recursive: true });
    results = {
      version: RESULTS_VERSION, kind: spec.kind, status: 'running', spec, environment: environment(k), seeds: spec.seeds.slice(),
      data: { train: data.train.name, trainSamples: data.train.n, test: data.test.name, testSamples: data.test.n },
      totalJobs: jobs.length, shard, jobs: mine.map((j) => j.index), done: [], runs: [], interpolations: [], final: [],
      timings: { started: new Date().toISOString(), finished: null, seconds: 0, jobs: [] },
    };
  }
  const failures: JobFailure[] = [];
  // Saves are chained: concurrent jobs finishing at once write the file one after another.
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(async () => {
      results.runs.sort((a, b) => a.job - b.job);
      results.interpolations.sort((a, b) => a.job - b.job);
      results.timings.jobs.sort((a, b) => a.job - b.job);
      if (failures.length) results.failures = failures.slice().sort((a, b) => a.job - b.job);
      results.final = summarize(results.runs);
      await writeAtomic(file, JSON.stringify(results, null, 1) + '\n');
    });
    return saving;
  };
  await save();

  const c = costs(spec, data.train.n, data.test.n);
  const todo = mine.filter((j) => !results.done.includes(j.index));
  const progress = new Progress(todo.reduce((a, j) => a + jobCost(spec, j, c), 0), opts.progress ?? null);
  const slots = Math.min(maxJobs, todo.length);
  log(`${spec.kind}: ${spec.net} on ${data.train.name} (${data.train.n}) / ${data.test.name} (${data.test.n}), ${jobs.length} job${jobs.length === 1 ? '' : 's'}` +
    `${shard ? `, shard ${shard.index}/${shard.count} (${mine.length})` : ''}${todo.length < mine.length ? `, ${mine.length - todo.length} already done` : ''}, kernels ${k.info.build}` +
    (slots > 1 ? `, ${slots} at a time` : ''));

  const finished = async (job: Job, out: JobOutput, seconds: number) => {
    results.runs.push(...out.runs);
    if (out.interpolation) results.interpolations.push(out.interpolation);
    results.done.push(job.index);
    results.done.sort((a, b) => a - b);
    results.timings.jobs.push({ job: job.index, seconds });
    results.timings.seconds += seconds;
    await save();
    log(`job ${job.index} (${job.label}) done in ${seconds.toFixed(1)} s: ` +
      out.runs.map((r) => `${r.setting} ${r.status === 'diverged' ? 'DIVERGED' : `test acc ${r.final.testAcc === null ? '–' : (100 * r.final.testAcc).toFixed(2) + '%'}`}` +
        (r.status === 'not-improved' ? ' (did not improve)' : '') +
        (r.final.sharpness[0] ? `, φ ${r.final.sharpness[0].phi.toPrecision(3)}` : '')).join('; '));
  };

  const exec: Executor<Job, JobOutput> = slots > 1
    ? threadSlots<WorkerInit, Job, JobOutput>(opts.workerUrl ?? new URL('./job_worker.js', import.meta.url),
      (flag) => ({ spec, build: k.info.build, outDir: opts.outDir, stop: flag, data: { train: sharedDataset(data.train), test: sharedDataset(data.test) } }),
      slots, stop, progress)
    : inThreadExecutor(spec, k, data, opts.outDir, stop, progress, c);
  const isDone = (i: number) => results.done.includes(i);
  const stopped = await runSlots(todo, slots, exec, stop, progress, {
    isDone,
    finished,
    failed: async (job, error) => {
      failures.push({ job: job.index, label: job.label, error });
      log(`job ${job.index} (${job.label}) ${error.startsWith('not run: ') ? `NOT RUN: ${error.slice('not run: '.length)}` : `FAILED: ${error}`}`);
      await save();
    },
    // A parametric plot whose SB or LB run diverged has nothing to plot.
    settle: async (job) => {
      if (job.setting.type !== 'parametric' || !results.runs.some((r) => job.after.includes(r.job) && r.status === 'diverged')) return false;
      progress.event(c.interpolation, `seed ${job.seed}: no parametric plot (a run diverged)`);
      await finished(job, { runs: [], interpolation: null }, 0);
      return true;
    },
  });
  results.status = stopped ? 'interrupted' : failures.length ? 'failed' : 'complete';
  if (results.status === 'complete') results.timings.finished = new Date().toISOString();
  await save();
  return { results, stopped, file, failures: failures.slice().sort((a, b) => a.job - b.job) };
}

/** --jobs 1: every job in this thread, one after another, with these kernels. */
function inThreadExecutor(spec: ExperimentSpec, k: Kernels, data: { train: Dataset; test: Dataset }, outDir: string, stop: StopFlag, progress: Progress, c: ReturnType<typeof costs>): Executor<Job, JobOutput> {
  const ctx: JobContext = {
    spec, k, data, outDir, costs: c,
    stopRequested: () => stop.requested,
    progress: { advance: (units, label) => progress.advance(units, label), event: (units, line) => progress.event(units, line) },
  };
  return { run: (job) => runJob(ctx, job), close: async () => {} };
}
