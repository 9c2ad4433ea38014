// One job of an experiment, start to finish: train its run with per-epoch checkpoints
// (reproduce: SB or LB, both from the seed's initial weights; sweep: one batch size; warm
// start: SB for k epochs, then LB; remedies: plain SB, plain LB or LB with one arm's
// remedies), then measure its minimizer (accuracy, sharpness φ, top Hessian eigenvalue) — or,
// for a reproduce seed's parametric job, the SB→LB plot between the minimizers its two run
// jobs left in their checkpoints, or for a frontier's 'step costs' job, a training step at
// every batch size timed in-thread and over the workers (frontier_job.ts). The same code runs in the runner's thread (--jobs 1) and in a job worker
// (job_worker.ts): the context says how to report progress and how to see a stop request.
//
// A run whose loss becomes NaN/Inf is recorded as diverged (where, and the epochs before it),
// not measured; a run whose final training loss is not below ln C is flagged 'not-improved'.
import { sampleSize, type Dataset } from '../data/dataset.js';
import type { Kernels } from '../kernels/index.js';
import type { ModelObjectiveOptions } from '../landscape/model_objective.js';
import { networkHessian, networkSharpness } from '../landscape/network.js';
import { Model } from '../nn/model.js';
import type { ModelSpec } from '../nn/spec.js';
import { namedSpec, tiny } from '../nn/specs.js';
import { readCheckpoint } from '../train/checkpoint.js';
import { modelFromCheckpoint } from '../train/snapshot.js';
import { NonFiniteLossError } from '../train/errors.js';
import type { EpochMetrics } from '../train/metrics.js';
import type { Store } from '../train/store.js';
import { targetReachedAt, train, type TrainOptions } from '../train/train.js';
import { ParallelObjective } from '../workers/objective.js';
import type { Job } from './jobs.js';
import { linspace, parametricCurve } from './parametric.js';
import type {
  HessianRecord, InterpolationRecord, MinimizerRecord, PhaseRecord, RunRecord, RunStatus, SharpnessRecord, TrackPoint,
} from './results.js';
import type { ExperimentSpec } from './spec.js';
import { checkTrainerOptions, trainerOptions } from './spec_training.js';
import { measureStepCosts, startFrontierRun, stepCostsUnits } from './frontier_job.js';
import type { StepCostsRecord } from './frontier_results.js';
import { frontierTargetRule } from './frontier_spec.js';

export class StopRequested extends Error {
  override name = 'StopRequested';
  constructor() { super('stopped on request (SIGINT)'); }
}

export class ExperimentError extends Error {
  override name = 'ExperimentError';
}

/** What a unit of progress was spent on: training (steps, per-epoch evaluation and tracking) or analysis (φ, Hessian, the parametric plot). */
export type Work = 'training' | 'analysis';

/** Where a job reports progress (units: the cost model below). */
export interface JobProgress {
  /** Work done while a step runs (a redraw, no line). */
  advance(units: number, label: string, work?: Work): void;
  /** A finished event: one line. */
  event(units: number, line: string, work?: Work): void;
  /** Live values for a view that draws them (the page); the CLI leaves it out. */
  live?(e: LiveEvent): void;
}

/** A training step's mini-batch loss, or an epoch's metrics, of the run `setting` (training phase `phase`) of seed `seed`. */
export type LiveEvent =
  | { type: 'step'; setting: string; seed: number; phase: string; batch: number; epoch: number; epochs: number; step: number; steps: number; loss: number }
  | { type: 'epoch'; setting: string; seed: number; phase: string; batch: number; epochs: number; metrics: EpochMetrics };

export interface JobContext {
  spec: ExperimentSpec;
  k: Kernels;
  data: { train: Dataset; test: Dataset };
  /** Where checkpoints and their sidecars are kept (checkpointName). */
  store: Store;
  /** True once a stop was requested (SIGINT): the job then throws StopRequested at its next check. */
  stopRequested: () => boolean;
  progress: JobProgress;
  costs: Costs;
  /**
   * Idle cores this job's measurements may spread over: `workers()` says how many now (the
   * runner's budget less the other jobs running), `url` is the objective worker script
   * (src/workers/worker.ts). φ and the Hessian then evaluate the loss data-parallel
   * (ParallelObjective: ModelObjective's bits for any worker count, so results do not depend
   * on it). Absent: measurements run in this thread.
   */
  spread?: { workers: () => number; url: URL | string };
  /** The runner's --jobs budget: the cores it may use (default 1). The frontier's step costs time a pool of this many workers. */
  budget?: number;
}

export interface JobOutput {
  runs: RunRecord[]; interpolation: InterpolationRecord | null;
  /** The frontier's 'step costs' job: every batch's step timed alone (results.frontierStepCosts). */
  stepCosts?: StepCostsRecord[];
}

// ---- cost model for the ETA (units: one sample through a forward pass) -------------------

export interface Costs { epoch: number; phiFull: number; phiRandom: number; measure: number; interpolation: number }

export function costs(spec: ExperimentSpec, trainN: number, testN: number): Costs {
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

/** Extra gradient passes per step of a remedy (conservative: its steps; SAM: 2; FGSM: +1). */
function stepFactor(o: Partial<TrainOptions>): number {
  return (o.conservative?.steps ?? (o.conservative ? 3 : 1)) * (o.sam ? 2 : 1) + (o.adversarial ? 1 : 0);
}

export function jobCost(spec: ExperimentSpec, job: Job, c: Costs): number {
  const w = jobWork(spec, job, c);
  return w.training + w.analysis;
}

/** A job's cost split into training and analysis (the page's two progress bars). */
export function jobWork(spec: ExperimentSpec, job: Job, c: Costs): Record<Work, number> {
  const s = job.setting;
  if (s.type === 'parametric') return { training: 0, analysis: c.interpolation };
  if (s.type === 'stepcosts') return { training: s.batches.reduce((a, b) => a + stepCostsUnits(b), 0), analysis: 0 };
  if (s.type === 'run' || s.type === 'batch' || s.type === 'frontier') return { training: spec.epochs * c.epoch, analysis: c.measure };
  if (s.type === 'remedy') return { training: spec.epochs * c.epoch * stepFactor(jobTrainings(spec, job)[0].options), analysis: c.measure };
  return { training: (s.k + spec.epochs) * c.epoch, analysis: c.measure };
}

// ---- what a job trains --------------------------------------------------------------------

/** One training phase of a job: its name (checkpoint file, report row), batch, epochs and train() options. */
export interface Training {
  name: string;
  batch: number;
  epochs: number;
  options: Partial<TrainOptions>;
  /** The spec field the options come from (for errors). */
  path: string;
}

/** The training phases of a job, in order (none for a parametric plot). */
export function jobTrainings(spec: ExperimentSpec, job: Job): Training[] {
  const s = job.setting;
  const base = trainerOptions(spec.optimizer, spec.remedies, spec.lr);
  const t = (name: string, batch: number, epochs: number, options = base, path = 'remedies'): Training => ({ name, batch, epochs, options, path });
  switch (s.type) {
    case 'run': return [t(s.role, s.batch, spec.epochs)];
    case 'parametric': case 'stepcosts': return [];
    case 'batch': return [t(`B=${s.batch}`, s.batch, spec.epochs)];
    case 'warmstart': return [...(s.k > 0 ? [t('SB', s.sb, s.k)] : []), t('LB', s.lb, spec.epochs)];
    case 'frontier': return [t(`B=${s.batch}`, s.batch, spec.epochs, { ...base, target: frontierTargetRule(spec.frontier!) })];
    case 'remedy': {
      if (s.arm === null) return [t(s.name, s.batch, spec.epochs)];
      const arm = spec.remedyRuns[s.arm];
      return [t(s.name, s.batch, spec.epochs, trainerOptions(arm.optimizer ?? spec.optimizer, arm.remedies, spec.lr), `remedyRuns[${s.arm}].remedies`)];
    }
  }
}

/**
 * Checks every job's batches and train() options against the data before anything runs, so
 * a bad spec fails at once with the field's path instead of as a failed job hours later.
 */
export function checkJobs(spec: ExperimentSpec, jobs: Job[], train: Dataset): void {
  for (const job of jobs) {
    for (const tr of jobTrainings(spec, job)) {
      if (tr.batch > train.n) throw new ExperimentError(`job ${job.index} (${job.label}): batch ${tr.batch} is larger than the ${train.n} training samples`);
      checkTrainerOptions(tr.options, { shape: train.shape, batchSize: tr.batch, epochs: tr.epochs }, tr.path, (p, m) => new ExperimentError(`${p}: ${m}`));
    }
  }
}

// ---- running a job ------------------------------------------------------------------------

function netSpec(spec: ExperimentSpec, train: Dataset): ModelSpec {
  return spec.net === 'tiny' ? tiny(sampleSize(train), train.classes) : namedSpec(spec.net);
}

function checkStop(ctx: JobContext): void {
  if (ctx.stopRequested()) throw new StopRequested();
}

/**
 * Lets pending messages and signal handlers run, then checks the stop flag. In the runner's
 * thread a SIGINT is only seen at an await (here, between measurements, and at the trainer's
 * epoch checkpoint); in a job worker the flag is shared memory, seen at every step.
 */
async function yieldAndCheck(ctx: JobContext): Promise<void> {
  await new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
  checkStop(ctx);
}

const runSeconds = (t0: number) => (performance.now() - t0) / 1000;

/** The store name of job `index`'s training phase `name`'s checkpoint (files: <out>/checkpoints/job<index>-<name>.ckpt). */
export function checkpointName(index: number, name: string): string {
  return `checkpoints/job${index}-${name.replace(/[^A-Za-z0-9_-]+/g, '_')}.ckpt`;
}

const sidecar = (ckpt: string, ext: string) => ckpt.replace(/\.ckpt$/, ext);

export async function runJob(ctx: JobContext, job: Job): Promise<JobOutput> {
  const { spec, k, data } = ctx;
  const s = job.setting;
  if (s.type === 'parametric') return { runs: [], interpolation: await parametricJob(ctx, job, s) };
  if (s.type === 'stepcosts') {
    const m = Model.create(k, netSpec(spec, data.train), { seed: job.seed });
    try {
      return { runs: [], interpolation: null, stepCosts: await measureStepCosts(ctx, job, m, s.batches, () => yieldAndCheck(ctx)) };
    } finally {
      m.dispose();
    }
  }
  const trainings = jobTrainings(spec, job);
  // The initial weights are a function of the seed: SB and LB of a seed start from the same point.
  const m = Model.create(k, netSpec(spec, data.train), { seed: job.seed });
  try {
    const t0 = performance.now();
    // frontier: step cost and B_simple before training, B_simple along it and at the target.
    const fr = s.type === 'frontier' ? await startFrontierRun(ctx, job, m, s.batch, sidecar(checkpointName(job.index, trainings[0].name), '.noise.json')) : null;
    const phases: PhaseRecord[] = [];
    for (const tr of trainings) {
      phases.push(await trainPhase(ctx, job, m, tr, fr?.afterEpoch));
      if (phases[phases.length - 1].stoppedBy === 'diverged') break;
    }
    const last = phases[phases.length - 1];
    const frontier = fr ? await fr.finish(last) : undefined;
    const { final, status, note } = await measure(ctx, job, m, last);
    const setting = runSetting(job);
    const batch = trainings[trainings.length - 1].batch;
    return {
      runs: [{ job: job.index, seed: job.seed, setting, batch, k: s.type === 'warmstart' ? s.k : null, phases, final, seconds: runSeconds(t0), ...health(status, note), ...(frontier ? { frontier } : {}) }],
      interpolation: null,
    };
  } finally {
    m.dispose();
  }
}

/** The `setting` of a run job's record ('SB', 'B=512', 'k=2', a remedy arm's name). */
export function runSetting(job: Job): string {
  const s = job.setting;
  if (s.type === 'parametric') return 'parametric';
  if (s.type === 'stepcosts') return 'step costs';
  return s.type === 'run' ? s.role : s.type === 'batch' || s.type === 'frontier' ? `B=${s.batch}` : s.type === 'warmstart' ? `k=${s.k}` : s.name;
}

/** The paper's parametric plot between the SB and LB minimizers of a seed, read from their run jobs' checkpoints. */
async function parametricJob(ctx: JobContext, job: Job, s: { sb: number; lb: number }): Promise<InterpolationRecord> {
  const { spec, k, data } = ctx;
  const ip = spec.interpolation;
  const ends: Model[] = [];
  try {
    for (const [index, name] of [[s.sb, 'SB'], [s.lb, 'LB']] as const) {
      const file = checkpointName(index, name);
      if (!(await ctx.store.has(file))) throw new ExperimentError(`job ${job.index} (${job.label}): ${ctx.store.where(file)} is missing — the ${name} run (job ${index}) must finish first`);
      ends.push(modelFromCheckpoint(k, await readCheckpoint(ctx.store, file), ctx.store.where(file)));
    }
    await yieldAndCheck(ctx);
    const alphas = linspace(ip.range[0], ip.range[1], ip.points);
    const per = ctx.costs.interpolation / ip.points;
    const t0 = performance.now();
    const curve = parametricCurve(ends[1], Float32Array.from(ends[0].params.view()), Float32Array.from(ends[1].params.view()), data.train, data.test, {
      alphas, trainSample: ip.trainSample, testSample: ip.testSample, chunk: ip.chunk,
      onPoint: () => { ctx.progress.advance(per, `parametric plot, seed ${job.seed}`, 'analysis'); checkStop(ctx); },
    });
    ctx.progress.event(0, `seed ${job.seed}: parametric plot SB→LB on ${ip.points} points`, 'analysis');
    return { job: job.index, seed: job.seed, ...curve, seconds: runSeconds(t0) };
  } finally {
    for (const m of ends) m.dispose();
  }
}

/** The status fields of a run record: absent for 'ok' runs, so results of healthy runs keep their shape. */
function health(status: RunStatus, note: string | null): Pick<RunRecord, 'status' | 'note'> {
  return status === 'ok' ? {} : { status, note: note ?? undefined };
}

/**
 * Trains one phase with per-epoch checkpoints (resuming from its checkpoint if one exists)
 * and, if spec.track is on, φ after every epoch (kept in a sidecar JSON beside the checkpoint).
 * A NaN/Inf loss ends the phase as 'diverged' with the epochs finished before it.
 */
async function trainPhase(ctx: JobContext, job: Job, model: Model, tr: Training, afterEpoch?: (m: EpochMetrics) => void | Promise<void>): Promise<PhaseRecord> {
  const { spec, data } = ctx;
  const setting = runSetting(job);
  const { name, batch, epochs } = tr;
  const store = ctx.store;
  const ckpt = checkpointName(job.index, name), trackFile = sidecar(ckpt, '.track.json');
  const resume = (await store.has(ckpt)) ? ckpt : undefined;
  let track: TrackPoint[] = [];
  const trackBytes = resume ? await store.read(trackFile) : null;
  if (trackBytes) track = JSON.parse(new TextDecoder().decode(trackBytes)) as TrackPoint[];
  const stepsPerEpoch = Math.ceil(data.train.n / batch);
  const perStep = ctx.costs.epoch * stepFactor(tr.options) / stepsPerEpoch;
  const what = `${name} (batch ${batch}) seed ${job.seed}`;
  const tracked = spec.track.enabled && (spec.track.seeds === null || spec.track.seeds.includes(job.seed));
  let history: EpochMetrics[];
  try {
    history = await train(model, data, {
      ...tr.options,
      epochs, batchSize: batch, seed: job.seed + 1,
      plateau: spec.stopping.rule === 'plateau' ? { patience: spec.stopping.patience, minDelta: spec.stopping.minDelta, minEpochs: spec.stopping.minEpochs } : undefined,
      trainEvalSamples: spec.trainEvalSamples ?? undefined,
      checkpoint: { path: ckpt, every: 1 }, resume, store,
      onStep: (st) => {
        ctx.progress.live?.({ type: 'step', setting, seed: job.seed, phase: name, batch, epoch: st.epoch, epochs, step: st.step, steps: stepsPerEpoch, loss: st.loss });
        ctx.progress.advance(perStep, `${what} epoch ${st.epoch}/${epochs} step ${st.step}/${stepsPerEpoch}`, 'training');
        checkStop(ctx);
      },
      onEpoch: async (m) => {
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
          await store.write(trackFile, new TextEncoder().encode(JSON.stringify(track)));
        }
        ctx.progress.event(0, `${what}: epoch ${m.epoch}/${epochs} train loss ${m.trainLoss.toFixed(4)} acc ${(100 * m.trainAcc).toFixed(2)}%` +
          (m.testAcc === null ? '' : ` test acc ${(100 * m.testAcc).toFixed(2)}%`) + phiText, 'training');
        ctx.progress.live?.({ type: 'epoch', setting, seed: job.seed, phase: name, batch, epochs, metrics: m });
        await afterEpoch?.(m);
      },
    });
  } catch (e) {
    if (!(e instanceof NonFiniteLossError)) throw e;
    // The epochs before the divergence are those of the last epoch checkpoint.
    history = (await store.has(ckpt)) ? (await readCheckpoint(store, ckpt)).history : [];
    track = track.filter((p) => p.epoch <= history.length);
    ctx.progress.event(0, `${what}: DIVERGED — loss ${e.loss} at epoch ${e.epoch}, step ${e.step} (global step ${e.globalStep}); recorded, not measured`, 'training');
    return {
      name, batch, epochs, history, track, stoppedBy: 'diverged',
      diverged: { epoch: e.epoch, step: e.step, globalStep: e.globalStep, loss: Number.isFinite(e.loss) ? e.loss : null },
    };
  }
  const ckEpoch = history.length ? history[history.length - 1].epoch : 0;
  track = track.filter((p) => p.epoch <= ckEpoch);
  const reached = targetReachedAt(history, tr.options.target);
  const stoppedBy = reached ? 'target' : ckEpoch < epochs ? 'plateau' : 'epochs';
  if (reached) ctx.progress.event(0, `${what}: target reached after ${reached.step} steps (${reached.examples} samples, ${reached.seconds.toFixed(1)} s of steps) in epoch ${ckEpoch}`, 'training');
  if (stoppedBy === 'plateau') ctx.progress.event(0, `${what}: training loss stopped improving (by > ${spec.stopping.minDelta} for ${spec.stopping.patience} epochs): stopped after epoch ${ckEpoch}`, 'training');
  return { name, batch, epochs, history, track, stoppedBy };
}

/** ", over K workers" for a measurement that spread, "" for one in the job's thread. */
export const workersText = (o: ParallelObjective | undefined | object) => (o instanceof ParallelObjective ? `, over ${o.workers} workers` : '');

/**
 * A data-parallel loss over the idle cores `spread` lends now (the sample's chunks over that
 * many workers), or undefined when it lends none (no spread, one core, no shared memory).
 */
export async function spreadObjective(spread: JobContext['spread'], model: Model, ds: Dataset, loss: ModelObjectiveOptions): Promise<ParallelObjective | undefined> {
  if (!spread || typeof SharedArrayBuffer === 'undefined') return undefined;
  const workers = spread.workers();
  if (workers <= 1) return undefined;
  // A hang detector, not a budget: one evaluation of a deep net on a large sample can take minutes.
  return ParallelObjective.create(model, ds, { ...loss, workers, workerUrl: spread.url, timeoutMs: 600_000 });
}

/**
 * The loss a measurement evaluates: undefined (networkSharpness/networkHessian build a
 * ModelObjective in this thread) unless the runner lends idle cores (ctx.spread), then a
 * ParallelObjective over that many workers (started once per measured minimizer, kept while
 * the measurements use the same sample and chunk).
 */
class MeasurementLosses {
  private current: { sample: number; chunk: number; obj: ParallelObjective } | null = null;
  constructor(private readonly ctx: JobContext, private readonly model: Model) {}

  async get(sample: number, chunk: number): Promise<ParallelObjective | undefined> {
    const spread = this.ctx.spread;
    if (!spread) return undefined;
    if (this.current && this.current.sample === sample && this.current.chunk === chunk) return this.current.obj;
    await this.dispose();
    const obj = await spreadObjective(spread, this.model, this.ctx.data.train, { sample, chunk, seed: 0 });
    if (obj) this.current = { sample, chunk, obj };
    return obj;
  }

  async dispose(): Promise<void> {
    const c = this.current;
    this.current = null;
    await c?.obj.dispose();
  }
}

async function measure(ctx: JobContext, job: Job, model: Model, phase: PhaseRecord): Promise<{ final: MinimizerRecord; status: RunStatus; note: string | null }> {
  const { spec, data } = ctx;
  const last = phase.history[phase.history.length - 1];
  const metrics = { trainLoss: last?.trainLoss ?? NaN, trainAcc: last?.trainAcc ?? NaN, testLoss: last?.testLoss ?? null, testAcc: last?.testAcc ?? null };
  if (phase.stoppedBy === 'diverged') {
    const d = phase.diverged!;
    ctx.progress.event(ctx.costs.measure, `${phase.name} seed ${job.seed}: not measured (diverged)`, 'analysis');
    return {
      final: { ...metrics, sharpness: [], hessian: null }, status: 'diverged',
      note: `loss ${d.loss ?? 'NaN/Inf'} at epoch ${d.epoch}, step ${d.step} (global step ${d.globalStep}); final metrics are ${last ? `those of epoch ${last.epoch}` : 'unavailable (no epoch finished)'}`,
    };
  }
  ctx.progress.advance(0, `${phase.name} seed ${job.seed}: measuring the minimizer`, 'analysis');
  await yieldAndCheck(ctx);
  const sh = spec.sharpness;
  const sharpness: SharpnessRecord[] = [];
  const spaces: ('full' | 'random')[] = [];
  if (sh.fullSpace) spaces.push('full');
  if (sh.subspace > 0) spaces.push('random');
  const sample = Math.min(sh.sample, data.train.n);
  const losses = new MeasurementLosses(ctx, model);
  let hessian: HessianRecord | null = null;
  try {
    for (const space of spaces) {
      for (const eps of sh.eps) {
        const chunk = Math.min(sh.chunk, sample);
        const objective = await losses.get(sample, chunk);
        const r = networkSharpness(model, data.train, {
          eps: [eps], full: space === 'full', subspace: space === 'random' ? sh.subspace : undefined,
          seed: job.seed, maxIter: sh.maxIter, sample, chunk, sampleSeed: 0, objective,
        }).results[0];
        sharpness.push({ space, dim: r.dim, eps, phi: r.phi, f0: r.f0, fmax: r.fmax, iterations: r.iterations, evaluations: r.evaluations, seconds: r.seconds });
        ctx.progress.event(space === 'full' ? ctx.costs.phiFull : ctx.costs.phiRandom, `${phase.name} seed ${job.seed}: φ ${space === 'full' ? 'full space' : `p=${sh.subspace}`} ε=${eps}: ${r.phi.toPrecision(4)} (${r.seconds.toFixed(1)} s${workersText(objective)})`, 'analysis');
        await yieldAndCheck(ctx);
      }
    }
    if (spec.hessian.top > 0) {
      const hs = Math.min(spec.hessian.sample, data.train.n);
      const chunk = Math.min(sh.chunk, hs);
      const objective = await losses.get(hs, chunk);
      const h = networkHessian(model, data.train, { top: spec.hessian.top, maxIter: Math.min(spec.hessian.maxIter, model.numParams), sample: hs, chunk, sampleSeed: 0, seed: job.seed, objective });
      hessian = { values: h.eigen.values, iterations: h.eigen.iterations, converged: h.eigen.converged, evaluations: h.eigen.evaluations, seconds: h.eigen.seconds, hvp: h.hvp };
      const spent = sharpness.reduce((a, x) => a + (x.space === 'full' ? ctx.costs.phiFull : ctx.costs.phiRandom), 0);
      ctx.progress.event(ctx.costs.measure - spent, `${phase.name} seed ${job.seed}: top Hessian eigenvalue ${h.eigen.values[0].toPrecision(4)} (${h.eigen.seconds.toFixed(1)} s${workersText(objective)})`, 'analysis');
      await yieldAndCheck(ctx);
    }
  } finally {
    await losses.dispose();
  }
  // ln C is the loss of a uniform guess over C classes: a trained run must end below it.
  const chance = Math.log(data.train.classes);
  const improved = Number.isFinite(metrics.trainLoss) && metrics.trainLoss < chance;
  return {
    final: { ...metrics, sharpness, hessian },
    status: improved ? 'ok' : 'not-improved',
    note: improved ? null : `final training loss ${metrics.trainLoss} is not below ln ${data.train.classes} = ${chance.toFixed(4)} (a uniform guess): the run did not learn`,
  };
}
