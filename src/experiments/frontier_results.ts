// What a frontier run records beside the usual run record (results.json, RunRecord.frontier),
// the steps timed alone by the experiment's 'step costs' job (results.frontierStepCosts), where
// a run's target was crossed, and the per-batch summary the report renders: steps, samples
// and wall time to the target, the step cost, the fitted McCandlish et al. model, the
// predicted time (also with the faster of in-thread and the pool), and the generalization at the target. Plain data, from results.json alone.
import type { EpochMetrics, TargetCheck } from '../train/metrics.js';
import { fitFrontier, interpolateStepSeconds, predictedExamples, predictedSteps, type FrontierFit } from './frontier_fit.js';
import type { FrontierSpec } from './frontier_spec.js';
import { stat, type ResultsFile, type RunRecord, type Stat } from './results.js';

/** Training steps at the job's batch, timed in the job's thread after one warm-up step. */
export interface StepCostRecord { batch: number; steps: number; secondsPerStep: number; samplesPerSecond: number }

/**
 * A training step at one batch size timed alone (the frontier's exclusive 'step costs' job:
 * no other job runs meanwhile), in the job's thread and over a pool of `workers` data-parallel
 * workers (ParallelTrainer), each by the same method: one warm-up step, then steps for
 * frontier.stepCost.seconds (at least 3, at most 1000).
 */
export interface StepCostsRecord {
  batch: number;
  /** The runner's --jobs budget: the cores it may use, all of them this job's while it runs. */
  workers: number;
  inThread: StepCostRecord;
  /** Over the workers (transport: shared memory, or the transfer fallback); null: not timed, `poolSkipped` says why. */
  pool: (StepCostRecord & { transport: 'shared' | 'transfer' }) | null;
  poolSkipped: string | null;
}

/** B_simple at one point of a run: at the initial weights (epoch 0), after an epoch, or at the target. */
export interface NoisePoint {
  epoch: number;
  step: number;
  examples: number;
  atTarget: boolean;
  bSimple: number;
  bSimpleStdErr: number;
  gradSq: number;
  traceSigma: number;
}

/**
 * Where the target was crossed. `hit` is the first evaluation that met it; steps, examples and
 * seconds are interpolated between the evaluation before it (a miss) and the hit — in log loss
 * against log samples for a loss target, linearly for an accuracy — so they do not depend on
 * where the evaluations fell. Without an earlier miss they are the hit's.
 */
export interface TargetCrossing {
  hit: TargetCheck;
  bracketed: boolean;
  steps: number;
  examples: number;
  seconds: number;
}

export interface FrontierRunRecord {
  batch: number;
  target: FrontierSpec['target'];
  stepCost: StepCostRecord;
  /** null: the cap came first (or the run diverged). */
  crossing: TargetCrossing | null;
  noise: NoisePoint[];
}

/** The crossing of the target in a phase's evaluations (null: never met). */
export function targetCrossing(history: readonly EpochMetrics[], target: FrontierSpec['target']): TargetCrossing | null {
  const checks = history.flatMap((m) => m.checks ?? []);
  const value = (c: TargetCheck) => (target.metric === 'trainLoss' ? c.trainLoss : c.testAcc);
  const met = (c: TargetCheck) => { const v = value(c); return v !== null && (target.metric === 'trainLoss' ? v <= target.value : v >= target.value); };
  const h = checks.findIndex(met);
  if (h < 0) return null;
  const hit = checks[h];
  const prev = h > 0 ? checks[h - 1] : null;
  if (!prev || value(prev) === null) return { hit, bracketed: false, steps: hit.step, examples: hit.examples, seconds: hit.seconds };
  const a = value(prev)!, b = value(hit)!;
  let f = target.metric === 'trainLoss' ? Math.log(a / target.value) / Math.log(a / b) : (target.value - a) / (b - a);
  if (!Number.isFinite(f)) f = 1;
  f = Math.min(1, Math.max(0, f));
  // The evaluations are geometric in samples: interpolate log samples, and steps and time linearly in samples.
  const examples = Math.exp(Math.log(prev.examples) + f * Math.log(hit.examples / prev.examples));
  const t = hit.examples > prev.examples ? (examples - prev.examples) / (hit.examples - prev.examples) : 1;
  return { hit, bracketed: true, steps: prev.step + t * (hit.step - prev.step), examples, seconds: prev.seconds + t * (hit.seconds - prev.seconds) };
}

/** One batch size over its seeds. */
export interface FrontierRow {
  batch: number;
  runs: number;
  /** Runs that reached the target (the statistics of steps, examples and seconds are over these). */
  reached: number;
  steps: Stat | null;
  examples: Stat | null;
  /** Wall time of the training steps to the target in the real (concurrent) runs. */
  seconds: Stat | null;
  stepSeconds: Stat | null;
  samplesPerSecond: Stat | null;
  /** The model: steps, and steps × the measured step time at this batch; relative error of the steps. */
  predictedSteps: number | null;
  predictedSeconds: number | null;
  error: number | null;
  testAcc: Stat | null;
  /** φ (full space) at the first ε measured; top Hessian eigenvalue; B_simple at the target. */
  phi: Stat | null;
  hessianTop: Stat | null;
  bSimple: Stat | null;
}

/** One batch size's step timed alone (results.frontierStepCosts), and what it predicts with the faster step. */
export interface AloneRow {
  batch: number;
  workers: number;
  inThread: StepCostRecord;
  pool: StepCostsRecord['pool'];
  poolSkipped: string | null;
  /** pool samples/s ÷ in-thread samples/s (null: no pool). */
  ratio: number | null;
  /** The faster of the two: 'pool' or 'thread'. */
  faster: 'pool' | 'thread';
  /** Seconds per step of the faster. */
  stepSeconds: number;
  /** Measured steps to the target (mean over the seeds that reached it) × the faster step time. */
  seconds: number | null;
  /** The model's steps S(B) × the faster step time. */
  predictedSeconds: number | null;
}

export interface FrontierSummary {
  rows: FrontierRow[];
  fit: FrontierFit | null;
  /** The least-squares fit of the same points, for comparison (the report's model section). */
  leastSquares: FrontierFit | null;
  /** Why there is no fit (fewer than two batch sizes reached the target). */
  noFit: string | null;
  eps: number | null;
  /** The batch with the least measured wall time to the target, and the least predicted. */
  fastestMeasured: FrontierRow | null;
  fastestPredicted: FrontierRow | null;
  /** The model on a log grid of B over the measured range: steps, samples, predicted wall time. */
  curve: { batch: number; steps: number; examples: number; seconds: number | null }[];
  /**
   * The steps timed alone (absent in results written before the 'step costs' job: null), and
   * the batches with the least time to the target when every step takes the faster of the two
   * (by the measured steps, and by the model's).
   */
  alone: { rows: AloneRow[]; fastest: AloneRow | null; fastestPredicted: AloneRow | null } | null;
}

const frontierRuns = (res: ResultsFile): (RunRecord & { frontier: FrontierRunRecord })[] =>
  res.runs.filter((r): r is RunRecord & { frontier: FrontierRunRecord } => r.frontier !== undefined);

export function summarizeFrontier(res: ResultsFile): FrontierSummary {
  const runs = frontierRuns(res);
  const eps = res.spec.sharpness.fullSpace ? res.spec.sharpness.eps[0] ?? null : null;
  const batches = [...new Set(runs.map((r) => r.batch))].sort((a, b) => a - b);
  const rows: FrontierRow[] = batches.map((batch) => {
    const all = runs.filter((r) => r.batch === batch);
    const hit = all.filter((r) => r.frontier.crossing !== null);
    const ok = all.filter((r) => r.status !== 'diverged');
    return {
      batch, runs: all.length, reached: hit.length,
      steps: stat(hit.map((r) => r.frontier.crossing!.steps)),
      examples: stat(hit.map((r) => r.frontier.crossing!.examples)),
      seconds: stat(hit.map((r) => r.frontier.crossing!.seconds)),
      stepSeconds: stat(all.map((r) => r.frontier.stepCost.secondsPerStep)),
      samplesPerSecond: stat(all.map((r) => r.frontier.stepCost.samplesPerSecond)),
      predictedSteps: null, predictedSeconds: null, error: null,
      testAcc: stat(ok.map((r) => r.final.testAcc ?? NaN)),
      phi: stat(ok.map((r) => r.final.sharpness.find((s) => s.space === 'full' && s.eps === eps)?.phi ?? NaN)),
      hessianTop: stat(ok.map((r) => r.final.hessian?.values[0] ?? NaN)),
      bSimple: stat(hit.map((r) => r.frontier.noise.find((p) => p.atTarget)?.bSimple ?? NaN)),
    };
  });
  const measured = rows.filter((r) => r.steps !== null);
  let fit: FrontierFit | null = null, leastSquares: FrontierFit | null = null, noFit: string | null = null;
  if (measured.length >= 2) {
    const points = measured.map((r) => ({ batch: r.batch, steps: r.steps!.mean }));
    fit = fitFrontier(points, 'minimax');
    leastSquares = fitFrontier(points, 'least-squares');
    for (const r of measured) {
      r.predictedSteps = predictedSteps(fit, r.batch);
      r.error = (r.predictedSteps - r.steps!.mean) / r.steps!.mean;
    }
  } else {
    noFit = `only ${measured.length} batch size${measured.length === 1 ? '' : 's'} reached the target (the model needs 2 or more)`;
  }
  const costs = rows.filter((r) => r.stepSeconds !== null).map((r) => ({ batch: r.batch, seconds: r.stepSeconds!.mean }));
  if (fit) for (const r of rows) if (r.stepSeconds) r.predictedSeconds = predictedSteps(fit, r.batch) * r.stepSeconds.mean;
  const curve: FrontierSummary['curve'] = [];
  if (fit && batches.length >= 2) {
    const lo = Math.log(batches[0]), hi = Math.log(batches[batches.length - 1]), n = 48;
    for (let i = 0; i <= n; i++) {
      const batch = i === n ? batches[batches.length - 1] : Math.exp(lo + ((hi - lo) * i) / n);
      const t = interpolateStepSeconds(costs, batch);
      curve.push({ batch, steps: predictedSteps(fit, batch), examples: predictedExamples(fit, batch), seconds: t === null ? null : predictedSteps(fit, batch) * t });
    }
  }
  const least = <K extends 'seconds' | 'predictedSeconds'>(key: K) => rows.reduce<FrontierRow | null>((best, r) => {
    const v = key === 'seconds' ? r.seconds?.mean ?? null : r.predictedSeconds;
    const b = best === null ? null : key === 'seconds' ? best.seconds?.mean ?? null : best.predictedSeconds;
    return v !== null && (b === null || v < b) ? r : best;
  }, null);
  return { rows, fit, leastSquares, noFit, eps, fastestMeasured: least('seconds'), fastestPredicted: least('predictedSeconds'), curve, alone: aloneSummary(res, rows, fit) };
}

/** The steps timed alone, per batch, with the time to the target at the faster of in-thread and the pool. */
function aloneSummary(res: ResultsFile, rows: FrontierRow[], fit: FrontierFit | null): FrontierSummary['alone'] {
  if (!res.frontierStepCosts) return null;
  const out: AloneRow[] = [...res.frontierStepCosts].sort((a, b) => a.batch - b.batch).map((c) => {
    const pool = c.pool !== null && c.pool.secondsPerStep < c.inThread.secondsPerStep;
    const stepSeconds = pool ? c.pool!.secondsPerStep : c.inThread.secondsPerStep;
    const steps = rows.find((r) => r.batch === c.batch)?.steps ?? null;
    return {
      batch: c.batch, workers: c.workers, inThread: c.inThread, pool: c.pool, poolSkipped: c.poolSkipped,
      ratio: c.pool ? c.pool.samplesPerSecond / c.inThread.samplesPerSecond : null,
      faster: pool ? 'pool' : 'thread', stepSeconds,
      seconds: steps ? steps.mean * stepSeconds : null,
      predictedSeconds: fit ? predictedSteps(fit, c.batch) * stepSeconds : null,
    };
  });
  const least = (key: 'seconds' | 'predictedSeconds') => out.reduce<AloneRow | null>((best, r) => (r[key] !== null && (best === null || r[key]! < best[key]!) ? r : best), null);
  return { rows: out, fastest: least('seconds'), fastestPredicted: least('predictedSeconds') };
}
