// The frontier's 'step costs' job (every batch's training step timed alone, in-thread and over
// the workers), and the frontier parts of a frontier job (job.ts trains and measures it like any run): before
// training, the cost of a training step at the job's batch on this machine and B_simple at the
// initial weights; after the epochs of spec.frontier.noise.epochs, B_simple again; at the
// stop, B_simple at the target and where the target was crossed. B_simple points are kept in
// a sidecar JSON beside the run's checkpoint (as φ tracking does), so a resumed run keeps the
// points measured before the stop; each is a deterministic function of the parameters.
import type { Dataset } from '../data/dataset.js';
import type { Kernels } from '../kernels/index.js';
import { networkNoiseScale } from '../landscape/network.js';
import { Model } from '../nn/model.js';
import { buildOptimizer } from '../optim/registry.js';
import type { EpochMetrics } from '../train/metrics.js';
import { Rng } from '../util/rng.js';
import { ParallelTrainer } from '../workers/trainer.js';
import type { JobContext } from './job.js';
import type { Job } from './jobs.js';
import { targetCrossing, type FrontierRunRecord, type NoisePoint, type StepCostRecord, type StepCostsRecord } from './frontier_results.js';
import type { FrontierSpec } from './frontier_spec.js';
import type { PhaseRecord } from './results.js';
import type { ExperimentSpec } from './spec.js';


/**
 * Seconds per training step (gather, forward and backward, optimizer update) at `batch`, on a
 * fresh copy of `model`'s network: one warm-up step, then steps until `seconds` have passed
 * (at least 3, at most 1000).
 */
export function measureStepCost(k: Kernels, model: Model, spec: ExperimentSpec, train: Dataset, batch: number, seconds: number, seed: number): StepCostRecord {
  const m = Model.create(k, model.toJSON(), { seed });
  const opt = buildOptimizer(k, m.numParams, spec.optimizer.name, { lr: spec.optimizer.lr ?? spec.lr }, { model: m });
  try {
    const rng = new Rng(seed);
    const d = m.inputSize, B = Math.min(batch, train.n);
    const step = () => {
      const x = m.inputView(B), y = m.labelsView(B);
      for (let j = 0; j < B; j++) {
        const i = rng.int(train.n);
        x.set(train.x.subarray(i * d, (i + 1) * d), j * d);
        y[j] = train.y[i];
      }
      m.lossAndGrad(x, y, B);
      opt.step(m.params.ptr, m.grads.ptr);
    };
    step();
    let steps = 0;
    const t0 = performance.now();
    while (steps < 3 || (performance.now() - t0 < seconds * 1000 && steps < 1000)) { step(); steps++; }
    const secondsPerStep = (performance.now() - t0) / 1000 / steps;
    return { batch: B, steps, secondsPerStep, samplesPerSecond: B / secondsPerStep };
  } finally {
    opt.dispose();
    m.dispose();
  }
}

/**
 * Seconds per training step at `batch` over a pool of `workers` data-parallel workers
 * (ParallelTrainer: the batch cut into shards, gradients reduced, the update applied per
 * slice) started from `model`'s parameters, timed as measureStepCost times a step in-thread:
 * one warm-up step, then steps until `seconds` have passed (at least 3, at most 1000), full
 * batches only. Steps run in epochs of as many steps as the time left needs (each epoch is one
 * round trip to the workers, as in training); the pool's start-up is not timed.
 */
export async function measurePoolStepCost(model: Model, spec: ExperimentSpec, train: Dataset, batch: number, seconds: number, seed: number, workers: number, workerUrl: URL | string): Promise<NonNullable<StepCostsRecord['pool']>> {
  const B = Math.min(batch, train.n);
  const t = await ParallelTrainer.create(model, { train }, {
    batchSize: B, workers, workerUrl, optimizer: spec.optimizer.name, lr: spec.optimizer.lr ?? spec.lr, seed,
    trainEvalSamples: 1, dropLast: true, barrierTimeoutMs: 600_000,
  });
  try {
    let guess = (await t.trainEpoch({ maxSteps: 1 })).seconds;
    let steps = 0, spent = 0;
    while (steps < 3 || (spent < seconds && steps < 1000)) {
      const want = Math.max(3 - steps, Math.ceil((seconds - spent) / Math.max(guess, 1e-6)));
      const e = await t.trainEpoch({ maxSteps: Math.min(Math.max(1, want), 1000 - steps) });
      steps += e.steps;
      spent += e.seconds;
      guess = spent / steps;
    }
    const secondsPerStep = spent / steps;
    return { batch: B, steps, secondsPerStep, samplesPerSecond: B / secondsPerStep, transport: t.mode };
  } finally {
    await t.close();
  }
}

/**
 * The frontier's 'step costs' job (run alone: no other job beside it): at every batch size, a
 * training step timed in this thread and over a pool of W workers, W = the runner's --jobs
 * budget. The pool is skipped, with the reason, when W = 1 or no pool can be started here (no
 * worker script, no shared memory). `model` holds the network (its weights do not matter).
 */
export async function measureStepCosts(ctx: JobContext, job: Job, model: Model, batches: number[], check: () => Promise<void>): Promise<StepCostsRecord[]> {
  const { spec, k, data } = ctx;
  const f = spec.frontier as FrontierSpec;
  const W = ctx.budget ?? 1;
  const skipped = W <= 1 ? `--jobs ${W}: the runner may use one core, so there is no pool to time`
    : !ctx.spread ? 'no pool here: the worker script (dist/workers/worker.js, built by `npm run build`) is missing or memory cannot be shared'
      : null;
  const out: StepCostsRecord[] = [];
  for (const batch of batches) {
    await check();
    const inThread = measureStepCost(k, model, spec, data.train, batch, f.stepCost.seconds, job.seed);
    await check();
    const pool = skipped === null ? await measurePoolStepCost(model, spec, data.train, batch, f.stepCost.seconds, job.seed, W, ctx.spread!.url) : null;
    out.push({ batch: inThread.batch, workers: W, inThread, pool, poolSkipped: skipped });
    const ms = (r: StepCostRecord) => `${(1000 * r.secondsPerStep).toFixed(1)} ms (${Math.round(r.samplesPerSecond)} samples/s, ${r.steps} steps)`;
    ctx.progress.event(stepCostsUnits(batch), `step costs, B=${batch}: in-thread ${ms(inThread)}; ${pool ? `over ${W} workers ${ms(pool)}, × ${(pool.samplesPerSecond / inThread.samplesPerSecond).toFixed(2)}` : `no pool (${skipped})`}`, 'training');
  }
  return out;
}

/** The step-costs job's progress units at one batch (the cost model's sample passes): the warm-up and the 3 least steps, in-thread and over the pool. */
export function stepCostsUnits(batch: number): number {
  return 2 * 4 * 3 * batch;
}

export interface FrontierRun {
  /** After each epoch (the trainer's onEpoch): B_simple if the epoch is one of noise.epochs. */
  afterEpoch(m: EpochMetrics): Promise<void>;
  /** At the stop (before the minimizer is measured): B_simple at the target and the crossing. */
  finish(phase: PhaseRecord): Promise<FrontierRunRecord>;
}

/**
 * Measures the step cost and B_simple at the initial weights (`model` must hold them) and
 * returns the hooks of the run. `sidecar` is the store name (ctx.store) the B_simple points are kept in.
 */
export async function startFrontierRun(ctx: JobContext, job: Job, model: Model, batch: number, sidecar: string): Promise<FrontierRun> {
  const { spec, k, data } = ctx;
  const f = spec.frontier as FrontierSpec;
  const what = `B=${batch} seed ${job.seed}`;
  const stepCost = measureStepCost(k, model, spec, data.train, batch, f.stepCost.seconds, job.seed);
  ctx.progress.event(0, `${what}: a training step takes ${(1000 * stepCost.secondsPerStep).toFixed(1)} ms (${Math.round(stepCost.samplesPerSecond)} samples/s, ${stepCost.steps} steps timed)`, 'training');
  let points: NoisePoint[] = [];
  const saved = await ctx.store.read(sidecar);
  try { points = saved ? JSON.parse(new TextDecoder().decode(saved)) as NoisePoint[] : []; } catch { points = []; }
  const save = () => ctx.store.write(sidecar, new TextEncoder().encode(JSON.stringify(points)));
  const noise = (epoch: number, step: number, examples: number, atTarget: boolean): NoisePoint => {
    const bBig = Math.min(f.noise.bBig, data.train.n - (data.train.n % f.noise.bSmall));
    const e = networkNoiseScale(model, data.train, { bSmall: f.noise.bSmall, bBig, draws: f.noise.draws, seed: job.seed * 1009 + epoch });
    const p = { epoch, step, examples, atTarget, bSimple: e.bSimple, bSimpleStdErr: e.bSimpleStdErr, gradSq: e.gradSq, traceSigma: e.traceSigma };
    ctx.progress.event(0, `${what}: B_simple ${atTarget ? 'at the target' : epoch === 0 ? 'at the initial weights' : `after epoch ${epoch}`} ${Number.isFinite(e.bSimple) ? `${e.bSimple.toPrecision(3)} ± ${e.bSimpleStdErr.toPrecision(2)}` : '∞ (the |G|² estimate is ≤ 0: gradient noise swamps the mean gradient at these batch sizes)'}`, 'training');
    return p;
  };
  if (!points.some((p) => p.epoch === 0 && !p.atTarget)) {
    points.push(noise(0, 0, 0, false));
    await save();
  }
  return {
    async afterEpoch(m) {
      if (!f.noise.epochs.includes(m.epoch) || (m.checks && targetCrossing([m], f.target))) return;
      const last = m.checks?.at(-1);
      // Written before the trainer's checkpoint of this epoch; on resume, points past the
      // checkpoint's epoch are dropped and measured again (identically).
      points = points.filter((p) => p.atTarget || p.epoch < m.epoch);
      points.push(noise(m.epoch, m.steps, last?.examples ?? m.epoch * data.train.n, false));
      await save();
    },
    async finish(phase) {
      const epochs = phase.history.length;
      points = points.filter((p) => !p.atTarget && p.epoch <= epochs);
      const crossing = phase.stoppedBy === 'diverged' ? null : targetCrossing(phase.history, f.target);
      if (crossing) {
        points.push(noise(epochs, crossing.hit.step, crossing.hit.examples, true));
        await save();
      }
      return { batch, target: f.target, stepCost, crossing, noise: points.sort((a, b) => a.examples - b.examples || Number(a.atTarget) - Number(b.atTarget)) };
    },
  };
}
