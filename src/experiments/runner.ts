// The experiment runner in Node (`lbgap reproduce`, sweep, warm start, remedies, frontier):
// the platform shell around runner_core.ts, which runs the jobs — one after another in this
// thread (--jobs 1), or N at a time, each in its own job worker — and writes results.json.
// Here: the output directory (a FileStore: <out>/results.json, <out>/checkpoints/), the data
// sets read from disk (or a synthetic set), the kernels, and the machine facts (os). The
// browser page calls runner_core.ts with its own store (OPFS), data and facts.
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
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.js';
import { loadCifar10, loadCifar100 } from '../data/cifar.js';
import { loadFashionMnist, loadMnist } from '../data/mnist.js';
import { syntheticClassification } from '../data/synthetic.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { FileStore } from '../train/file_store.js';
import { ExperimentError } from './job.js';
import type { Shard } from './jobs.js';
import type { ProgressSink } from './progress.js';
import type { Environment, JobFailure, ResultsFile } from './results.js';
import { RESULTS_FILE, runExperimentIn, type LiveHooks } from './runner_core.js';
import { jobsAtATime, type StopFlag } from './scheduler.js';
import type { ExperimentSpec } from './spec.js';

export { ExperimentError, StopRequested } from './job.js';
export { RESULTS_FILE } from './runner_core.js';

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
  /**
   * The objective worker script a job's measurements spread over idle cores with (default:
   * dist/workers/worker.js when it exists; null: measurements stay in the job's thread).
   */
  measureWorkerUrl?: URL | string | null;
  /** Live hooks (per-step loss, per-epoch metrics, work by kind): runner_core.ts. */
  live?: LiveHooks;
}

export interface RunOutcome {
  results: ResultsFile;
  stopped: boolean;
  file: string;
  /** Jobs that threw (the others ran to the end). */
  failures: JobFailure[];
}

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

/** The machine facts results.json records (Node). */
export function nodeEnvironment(k: Kernels): Environment {
  const cpus = os.cpus();
  return {
    lbgap: '0.1.0', node: process.version, platform: `${process.platform}-${process.arch}`,
    cpus: cpus.length, cpuModel: cpus[0]?.model ?? 'unknown', kernels: k.info.build,
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
  };
}

/** The objective worker for a job's measurements: the option, else the built one beside this module (absent when running from sources). */
export function measureWorkerUrl(opts: { measureWorkerUrl?: URL | string | null }): URL | string | undefined {
  if (opts.measureWorkerUrl !== undefined) return opts.measureWorkerUrl ?? undefined;
  const built = new URL('../workers/worker.js', import.meta.url);
  return existsSync(built) ? built : undefined;
}

/** Runs (or resumes) an experiment in `opts.outDir`; returns the results, whether it was stopped, and the failed jobs. */
export async function runExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunOutcome> {
  // Checked before any file or data set is touched.
  const maxJobs = jobsAtATime(opts.jobs);
  await mkdir(join(opts.outDir, 'checkpoints'), { recursive: true });
  const store = new FileStore(opts.outDir);
  const data = opts.data ?? (await loadExperimentData(spec));
  const kernels = opts.kernels ?? (await loadKernels({ build: spec.build }));
  const out = await runExperimentIn(spec, {
    store, data, kernels, environment: nodeEnvironment(kernels),
    shard: opts.shard, resume: opts.resume, stop: opts.stop, progress: opts.progress, log: opts.log,
    jobs: maxJobs, workerUrl: opts.workerUrl, live: opts.live, measureWorkerUrl: measureWorkerUrl(opts),
  });
  return { ...out, file: store.where(RESULTS_FILE) };
}
