// The experiment runner: trains every job of a spec (reproduce: SB and LB from the same
// initial weights per seed; sweep: one batch size per job; warm start: SB for k epochs,
// then LB), measures each minimizer (accuracy, sharpness φ, top Hessian eigenvalue), draws
// the parametric plot between SB and LB, and writes results.json after every job.
//
// Stopping and resuming: `stop.requested` (set by the CLI's SIGINT handler) is checked after
// every optimizer step and between measurements; the handler itself only runs at an await
// (see yieldAndCheck), i.e. at the end of a training epoch or of a measurement. Training checkpoints are written atomically
// after every epoch (src/train), so a stop loses at most the current epoch's steps: on
// `resume`, completed jobs are skipped and an interrupted run continues from its last epoch
// checkpoint — bit for bit what an uninterrupted run computes (the trainer's resume is
// bit-identical and every measurement is a deterministic function of the parameters).
import { mkdir, readFile, rename, rm, stat as fsStat, writeFile } from 'node:fs/promises';
import { renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { sampleSize, type Dataset } from '../data/dataset.js';
import { loadFashionMnist, loadMnist } from '../data/mnist.js';
import { syntheticClassification } from '../data/synthetic.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { networkHessian, networkSharpness } from '../landscape/network.js';
import { Model } from '../nn/model.js';
import type { ModelSpec } from '../nn/spec.js';
import { namedSpec, tiny } from '../nn/specs.js';
import type { EpochMetrics } from '../train/metrics.js';
import { train } from '../train/train.js';
import { allJobs, shardJobs, type Job, type Shard } from './jobs.js';
import { linspace, parametricCurve } from './parametric.js';
import { Progress, type ProgressSink } from './progress.js';
import {
  parseResults, summarize, ResultsError, RESULTS_VERSION,
  type Environment, type HessianRecord, type InterpolationRecord, type MinimizerRecord, type PhaseRecord,
  type ResultsFile, type RunRecord, type SharpnessRecord, type TrackPoint,
} from './results.js';
import type { ExperimentSpec } from './spec.js';

export interface StopFlag { requested: boolean }

export class StopRequested extends Error {
  override name = 'StopRequested';
  constructor() { super('stopped on request (SIGINT)'); }
}

export class ExperimentError extends Error {
  override name = 'ExperimentError';
}

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
  /** Kernels to use instead of loading spec.build (tests). */
  kernels?: Kernels;
}

export interface RunOutcome { results: ResultsFile; stopped: boolean; file: string }

export const RESULTS_FILE = 'results.json';

/** Loads the spec's data sets (MNIST, Fashion-MNIST, or a synthetic MNIST-shaped problem). */
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
    default:
      train = syntheticClassification({ n: d.trainLimit ?? 6000, shape: [28, 28, 1], classes: 10, seed: 1, name: 'synthetic/train' });
      test = syntheticClassification({ n: d.testLimit ?? 2000, shape: [28, 28, 1], classes: 10, seed: 1, sampleSeed: 2, name: 'synthetic/test' });
  }
  return { train, test };
}

function netSpec(spec: ExperimentSpec, train: Dataset): ModelSpec {
  return spec.net === 'tiny' ? tiny(sampleSize(train), train.classes) : namedSpec(spec.net);
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

// ---- cost model for the ETA (units: one sample through a forward pass) -------------------

function costs(spec: ExperimentSpec, trainN: number, testN: number) {
  const evalTrain = Math.min(trainN, spec.trainEvalSamples ?? trainN);
  const sh = spec.sharpness;
  const phiFull = 3 * (sh.maxIter + 2) * Math.min(sh.sample, trainN);
  // In a random subspace every evaluation also applies A and Aᵀ (n·p entries generated from
  // the seed each time): measured on F1 at ≈ 22·p sample-passes per evaluation.
  const phiRandom = phiFull + 22 * sh.subspace * (sh.maxIter + 2);
  const ip = spec.interpolation;
  return {
    epoch: 3 * trainN + evalTrain + testN + (spec.track.enabled ? 3 * (sh.maxIter + 2) * Math.min(spec.track.sample, trainN) : 0),
    phiFull, phiRandom,
    measure: sh.eps.length * ((sh.fullSpace ? phiFull : 0) + (sh.subspace > 0 ? phiRandom : 0)) +
      (spec.hessian.top > 0 ? 6 * (spec.hessian.maxIter + 1) * Math.min(spec.hessian.sample, trainN) : 0),
    interpolation: ip.points * (Math.min(trainN, ip.trainSample ?? trainN) + Math.min(testN, ip.testSample ?? testN)),
  };
}

function jobCost(spec: ExperimentSpec, job: Job, c: ReturnType<typeof costs>): number {
  const s = job.setting;
  if (s.type === 'pair') return 2 * (spec.epochs * c.epoch + c.measure) + (spec.interpolation.points > 0 ? c.interpolation : 0);
  if (s.type === 'batch') return spec.epochs * c.epoch + c.measure;
  return (s.k + spec.epochs) * c.epoch + c.measure;
}

/** Runs (or resumes) an experiment; returns the results and whether it was stopped. */
export async function runExperiment(spec: ExperimentSpec, opts: RunOptions): Promise<RunOutcome> {
  const log = opts.log ?? (() => {});
  const stop = opts.stop ?? { requested: false };
  const shard = opts.shard ?? null;
  await mkdir(join(opts.outDir, 'checkpoints'), { recursive: true });
  const file = join(opts.outDir, RESULTS_FILE);
  const data = opts.data ?? (await loadExperimentData(spec));
  const k = opts.kernels ?? (await loadKernels({ build: spec.build }));
  const jobs = allJobs(spec, data.train.n);
  const mine = shardJobs(jobs, shard);
  if (mine.length === 0) throw new ExperimentError(`shard ${shard!.index}/${shard!.count} has no jobs: the experiment has only ${jobs.length}`);

  let results: ResultsFile;
  if (opts.resume) {
    if (!(await exists(file))) throw new ExperimentError(`--resume: ${file} does not exist (nothing to resume)`);
    results = parseResults(await readFile(file, 'utf8'), file);
    if (JSON.stringify(results.spec) !== JSON.stringify(spec)) throw new ResultsError(file, 'was written for a different spec than the one given; resume with the same spec (or use another --out)');
    if (JSON.stringify(results.shard) !== JSON.stringify(shard)) throw new ResultsError(file, `holds shard ${JSON.stringify(results.shard)}, not ${JSON.stringify(shard)}`);
    results.status = 'running';
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
  const save = async () => {
    results.runs.sort((a, b) => a.job - b.job);
    results.interpolations.sort((a, b) => a.job - b.job);
    results.final = summarize(results.runs);
    await writeAtomic(file, JSON.stringify(results, null, 1) + '\n');
  };
  await save();

  const c = costs(spec, data.train.n, data.test.n);
  const todo = mine.filter((j) => !results.done.includes(j.index));
  const progress = new Progress(todo.reduce((a, j) => a + jobCost(spec, j, c), 0), opts.progress ?? null);
  log(`${spec.kind}: ${spec.net} on ${data.train.name} (${data.train.n}) / ${data.test.name} (${data.test.n}), ${jobs.length} job${jobs.length === 1 ? '' : 's'}` +
    `${shard ? `, shard ${shard.index}/${shard.count} (${mine.length})` : ''}${todo.length < mine.length ? `, ${mine.length - todo.length} already done` : ''}, kernels ${k.info.build}`);

  const ctx: JobContext = { spec, k, data, outDir: opts.outDir, stop, progress, costs: c };
  let stopped = false;
  try {
    for (const job of todo) {
      const t0 = performance.now();
      const out = await runJob(ctx, job);
      const seconds = (performance.now() - t0) / 1000;
      results.runs.push(...out.runs);
      if (out.interpolation) results.interpolations.push(out.interpolation);
      results.done.push(job.index);
      results.done.sort((a, b) => a - b);
      results.timings.jobs.push({ job: job.index, seconds });
      results.timings.seconds += seconds;
      await save();
      log(`job ${job.index} (${job.label}) done in ${seconds.toFixed(1)} s: ` +
        out.runs.map((r) => `${r.setting} test acc ${r.final.testAcc === null ? '–' : (100 * r.final.testAcc).toFixed(2) + '%'}` +
          (r.final.sharpness[0] ? `, φ ${r.final.sharpness[0].phi.toPrecision(3)}` : '')).join('; '));
    }
  } catch (e) {
    if (!(e instanceof StopRequested)) {
      results.status = 'interrupted';
      await save();
      throw e;
    }
    stopped = true;
  } finally {
    progress.finish();
  }
  results.status = stopped ? 'interrupted' : 'complete';
  if (!stopped) results.timings.finished = new Date().toISOString();
  await save();
  return { results, stopped, file };
}

// ---- one job ------------------------------------------------------------------------------

interface JobContext {
  spec: ExperimentSpec; k: Kernels; data: { train: Dataset; test: Dataset }; outDir: string;
  stop: StopFlag; progress: Progress; costs: ReturnType<typeof costs>;
}

function checkStop(ctx: JobContext): void {
  if (ctx.stop.requested) throw new StopRequested();
}

/**
 * Lets pending signal handlers run, then checks the stop flag. Computation is synchronous,
 * so a SIGINT is only seen at an await: here (between measurements) and where the trainer
 * awaits its epoch checkpoint — a stop during training therefore takes effect right after
 * the current epoch's checkpoint (no finished epoch is lost).
 */
async function yieldAndCheck(ctx: JobContext): Promise<void> {
  await new Promise<void>((resolve) => setImmediate(resolve));
  checkStop(ctx);
}

async function runJob(ctx: JobContext, job: Job): Promise<{ runs: RunRecord[]; interpolation: InterpolationRecord | null }> {
  const { spec, k, data } = ctx;
  const arch = netSpec(spec, data.train);
  const s = job.setting;
  const models: Model[] = [];
  const make = () => { const m = Model.create(k, arch, { seed: job.seed }); models.push(m); return m; };
  try {
    if (s.type === 'pair') {
      // Both runs start from the same initial weights: the init is a function of the seed.
      const t0 = performance.now();
      const sb = make();
      const sbPhase = await trainPhase(ctx, job, sb, 'SB', s.sb, spec.epochs);
      const sbFinal = await measure(ctx, job, sb, sbPhase);
      const t1 = performance.now();
      const lb = make();
      const lbPhase = await trainPhase(ctx, job, lb, 'LB', s.lb, spec.epochs);
      const lbFinal = await measure(ctx, job, lb, lbPhase);
      const t2 = performance.now();
      const runs: RunRecord[] = [
        { job: job.index, seed: job.seed, setting: 'SB', batch: s.sb, k: null, phases: [sbPhase], final: sbFinal, seconds: (t1 - t0) / 1000 },
        { job: job.index, seed: job.seed, setting: 'LB', batch: s.lb, k: null, phases: [lbPhase], final: lbFinal, seconds: (t2 - t1) / 1000 },
      ];
      let interpolation: InterpolationRecord | null = null;
      if (spec.interpolation.points > 0) {
        await yieldAndCheck(ctx);
        const ip = spec.interpolation;
        const alphas = linspace(ip.range[0], ip.range[1], ip.points);
        const xa = Float32Array.from(sb.params.view()), xb = Float32Array.from(lb.params.view());
        const per = ctx.costs.interpolation / ip.points;
        const t3 = performance.now();
        const curve = parametricCurve(lb, xa, xb, data.train, data.test, {
          alphas, trainSample: ip.trainSample, testSample: ip.testSample, chunk: ip.chunk,
          onPoint: () => { ctx.progress.advance(per, `parametric plot, seed ${job.seed}`); checkStop(ctx); },
        });
        interpolation = { job: job.index, seed: job.seed, ...curve, seconds: (performance.now() - t3) / 1000 };
        ctx.progress.event(0, `seed ${job.seed}: parametric plot SB→LB on ${ip.points} points`);
      }
      return { runs, interpolation };
    }
    const t0 = performance.now();
    const m = make();
    const phases: PhaseRecord[] = [];
    if (s.type === 'warmstart' && s.k > 0) phases.push(await trainPhase(ctx, job, m, 'SB', s.sb, s.k));
    const batch = s.type === 'batch' ? s.batch : s.lb;
    const last = await trainPhase(ctx, job, m, s.type === 'batch' ? `B=${batch}` : 'LB', batch, spec.epochs);
    phases.push(last);
    const final = await measure(ctx, job, m, last);
    const setting = s.type === 'batch' ? `B=${s.batch}` : `k=${s.k}`;
    return {
      runs: [{ job: job.index, seed: job.seed, setting, batch, k: s.type === 'warmstart' ? s.k : null, phases, final, seconds: (performance.now() - t0) / 1000 }],
      interpolation: null,
    };
  } finally {
    for (const m of models) m.dispose();
  }
}

const fileSafe = (name: string) => name.replace(/[^A-Za-z0-9_-]+/g, '_');

/**
 * Trains one phase with per-epoch checkpoints (resuming from its checkpoint if one exists)
 * and, if spec.track is on, φ after every epoch (kept in a sidecar JSON beside the checkpoint).
 */
async function trainPhase(ctx: JobContext, job: Job, model: Model, name: string, batch: number, epochs: number): Promise<PhaseRecord> {
  const { spec, data } = ctx;
  if (batch > data.train.n) throw new ExperimentError(`job ${job.index} (${job.label}): batch ${batch} is larger than the ${data.train.n} training samples`);
  const base = join(ctx.outDir, 'checkpoints', `job${job.index}-${fileSafe(name)}`);
  const ckpt = `${base}.ckpt`, trackFile = `${base}.track.json`;
  const resume = (await exists(ckpt)) ? ckpt : undefined;
  let track: TrackPoint[] = [];
  if (resume && (await exists(trackFile))) track = JSON.parse(await readFile(trackFile, 'utf8')) as TrackPoint[];
  const stepsPerEpoch = Math.ceil(data.train.n / batch);
  const perStep = ctx.costs.epoch / stepsPerEpoch;
  const what = `${name} (batch ${batch}) seed ${job.seed}`;
  const tracked = spec.track.enabled && (spec.track.seeds === null || spec.track.seeds.includes(job.seed));
  const history: EpochMetrics[] = await train(model, data, {
    epochs, batchSize: batch, optimizer: 'adam', lr: spec.lr, seed: job.seed + 1,
    plateau: spec.stopping.rule === 'plateau' ? { patience: spec.stopping.patience, minDelta: spec.stopping.minDelta } : undefined,
    trainEvalSamples: spec.trainEvalSamples ?? undefined,
    checkpoint: { path: ckpt, every: 1 }, resume,
    onStep: (st) => {
      ctx.progress.advance(perStep, `${what} epoch ${st.epoch}/${epochs} step ${st.step}/${stepsPerEpoch}`);
      checkStop(ctx);
    },
    onEpoch: (m) => {
      let phiText = '';
      if (tracked) {
        const r = networkSharpness(model, data.train, {
          eps: [spec.track.eps], full: true, maxIter: spec.sharpness.maxIter, sample: spec.track.sample,
          chunk: Math.min(spec.sharpness.chunk, spec.track.sample), sampleSeed: 0,
        });
        track = track.filter((p) => p.epoch < m.epoch);
        track.push({ epoch: m.epoch, trainLoss: m.trainLoss, batchLoss: m.batchLoss, phi: r.results[0].phi });
        phiText = `, φ(${spec.track.eps}) ${r.results[0].phi.toPrecision(3)}`;
        // Written before the trainer's checkpoint of this epoch; on resume, points past the
        // checkpoint's epoch are dropped (and recomputed, identically).
        writeFileSync(`${trackFile}.tmp`, JSON.stringify(track));
        renameSync(`${trackFile}.tmp`, trackFile);
      }
      ctx.progress.event(0, `${what}: epoch ${m.epoch}/${epochs} train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAcc).toFixed(2)}%` +
        (m.testAcc === null ? '' : ` test acc ${(100 * m.testAcc).toFixed(2)}%`) + phiText);
    },
  });
  const ckEpoch = history.length ? history[history.length - 1].epoch : 0;
  track = track.filter((p) => p.epoch <= ckEpoch);
  const stoppedBy = ckEpoch < epochs ? 'plateau' : 'epochs';
  if (stoppedBy === 'plateau') ctx.progress.event(0, `${what}: training loss stopped improving (by > ${spec.stopping.minDelta} for ${spec.stopping.patience} epochs): stopped after epoch ${ckEpoch}`);
  return { name, batch, epochs, history, track, stoppedBy };
}

async function measure(ctx: JobContext, job: Job, model: Model, phase: PhaseRecord): Promise<MinimizerRecord> {
  const { spec, data } = ctx;
  await yieldAndCheck(ctx);
  const last = phase.history[phase.history.length - 1];
  const sh = spec.sharpness;
  const sharpness: SharpnessRecord[] = [];
  const spaces: ('full' | 'random')[] = [];
  if (sh.fullSpace) spaces.push('full');
  if (sh.subspace > 0) spaces.push('random');
  const sample = Math.min(sh.sample, data.train.n);
  for (const space of spaces) {
    for (const eps of sh.eps) {
      const r = networkSharpness(model, data.train, {
        eps: [eps], full: space === 'full', subspace: space === 'random' ? sh.subspace : undefined,
        seed: job.seed, maxIter: sh.maxIter, sample, chunk: Math.min(sh.chunk, sample), sampleSeed: 0,
      }).results[0];
      sharpness.push({ space, dim: r.dim, eps, phi: r.phi, f0: r.f0, fmax: r.fmax, iterations: r.iterations, evaluations: r.evaluations, seconds: r.seconds });
      ctx.progress.event(space === 'full' ? ctx.costs.phiFull : ctx.costs.phiRandom, `${phase.name} seed ${job.seed}: φ ${space === 'full' ? 'full space' : `p=${sh.subspace}`} ε=${eps}: ${r.phi.toPrecision(4)} (${r.seconds.toFixed(1)} s)`);
      await yieldAndCheck(ctx);
    }
  }
  let hessian: HessianRecord | null = null;
  if (spec.hessian.top > 0) {
    const hs = Math.min(spec.hessian.sample, data.train.n);
    const h = networkHessian(model, data.train, { top: spec.hessian.top, maxIter: Math.min(spec.hessian.maxIter, model.numParams), sample: hs, chunk: Math.min(sh.chunk, hs), sampleSeed: 0, seed: job.seed });
    hessian = { values: h.eigen.values, iterations: h.eigen.iterations, converged: h.eigen.converged, evaluations: h.eigen.evaluations, seconds: h.eigen.seconds };
    const spent = sharpness.reduce((a, x) => a + (x.space === 'full' ? ctx.costs.phiFull : ctx.costs.phiRandom), 0);
    ctx.progress.event(ctx.costs.measure - spent, `${phase.name} seed ${job.seed}: top Hessian eigenvalue ${h.eigen.values[0].toPrecision(4)} (${h.eigen.seconds.toFixed(1)} s)`);
    await yieldAndCheck(ctx);
  }
  return { trainLoss: last.trainLoss, trainAcc: last.trainAcc, testLoss: last.testLoss, testAcc: last.testAcc, sharpness, hessian };
}
