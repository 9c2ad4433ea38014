// The versioned results file every experiment writes (results.json) and everything the
// report renders from it. Plain data: `lbgap report` re-renders REPORT.md and the figures
// from this JSON alone, and `lbgap merge` joins shards of it.
import type { EpochMetrics } from '../train/metrics.js';
import type { FrontierRunRecord, StepCostsRecord } from './frontier_results.js';
import type { Shard } from './jobs.js';
import { resolveSpec, type ExperimentKind, type ExperimentSpec } from './spec.js';

export const RESULTS_VERSION = 1;

export interface SharpnessRecord {
  space: 'full' | 'random';
  /** n (full space) or p (random manifold). */
  dim: number;
  eps: number;
  phi: number;
  f0: number;
  fmax: number;
  iterations: number;
  evaluations: number;
  seconds: number;
}

export interface HessianRecord {
  values: number[]; iterations: number; converged: boolean; evaluations: number; seconds: number;
  /** How H·v was computed (absent in files written before exact products were recorded). */
  hvp?: 'exact' | 'central-differences';
}

/** φ measured after an epoch, beside the training loss at that point (the paper's Figure 6). */
export interface TrackPoint { epoch: number; trainLoss: number; batchLoss: number; phi: number }

export interface PhaseRecord {
  /** 'SB', 'LB' or 'B=…'. */
  name: string;
  batch: number;
  /** The epoch budget (the cap under the plateau rule); history.length epochs ran. */
  epochs: number;
  history: EpochMetrics[];
  track: TrackPoint[];
  /** Why training stopped: the epoch budget, the plateau rule, or a non-finite loss (absent in older files). */
  stoppedBy?: 'epochs' | 'plateau' | 'diverged' | 'target';
  /** Where the loss became NaN/Inf (stoppedBy 'diverged'); `history` holds the epochs before it. */
  diverged?: DivergenceRecord;
}

export interface DivergenceRecord { epoch: number; step: number; globalStep: number; loss: number | null }

/**
 * How a run ended: 'ok'; 'diverged' (the loss became NaN/Inf: its final metrics are those of
 * the last finished epoch, if any, and nothing was measured); 'not-improved' (trained to the
 * end, but the final training loss is not below ln C, the loss of a uniform guess over the C
 * classes — the run learned nothing).
 */
export type RunStatus = 'ok' | 'diverged' | 'not-improved';

/**
 * The eigenvalue density of the loss Hessian at a run's minimizer by stochastic Lanczos
 * quadrature (landscape/hvp_density.ts): the quadrature itself, per start vector, from which
 * the report draws the smoothed curve (densityCurve) — so `lbgap report` re-renders it.
 */
export interface HessianDensityRecord {
  /** Per Rademacher start vector: Ritz values (ascending), their weights (sum 1), Lanczos steps. */
  runs: { nodes: number[]; weights: number[]; steps: number }[];
  hvp: 'exact' | 'central-differences';
  /** The loss: mean cross-entropy over `sample` training samples (drawn with `sampleSeed`), BN per `chunk`-sample chunk or running statistics, dropout off. */
  sample: number; chunk: number; sampleSeed: number; bn: 'batch' | 'running';
  /** Seed of the start vectors (null: not recorded by the measurement it was taken from). */
  seed: number | null;
  /** Hessian-vector products spent, and their seconds. */
  products: number; seconds: number;
  /** What computed it, e.g. "lbgap hessian --density --into" and the checkpoint. */
  source: string;
}

export interface MinimizerRecord {
  trainLoss: number; trainAcc: number; testLoss: number | null; testAcc: number | null;
  sharpness: SharpnessRecord[];
  hessian: HessianRecord | null;
  /** Absent unless measured (`lbgap hessian --density --into`). */
  hessianDensity?: HessianDensityRecord;
}

export interface RunRecord {
  job: number;
  seed: number;
  /** Row of the report this run belongs to: 'SB'/'LB' (reproduce), 'B=256' (sweep), 'k=2' (warm start). */
  setting: string;
  /** Batch of the (last) phase, and k for warm starts. */
  batch: number;
  k: number | null;
  phases: PhaseRecord[];
  final: MinimizerRecord;
  seconds: number;
  /** Absent in older files: 'ok'. */
  status?: RunStatus;
  /** Why the status is not 'ok', in words. */
  note?: string;
  /** frontier runs: step cost, steps and time to the target, noise scale (frontier_results.ts). */
  frontier?: FrontierRunRecord;
}

export interface InterpolationRecord {
  job: number;
  seed: number;
  /** α: weights α·x_LB + (1 − α)·x_SB. */
  alphas: number[];
  trainLoss: number[]; trainAcc: number[]; testLoss: number[]; testAcc: number[];
  trainSamples: number; testSamples: number;
  batchNorm: string;
  seconds: number;
}

export interface Environment {
  lbgap: string; node: string; platform: string; cpus: number; cpuModel: string; kernels: string;
  /** 1/5/15-minute load averages when the run started (timings on a shared machine need it). */
  loadAverage?: number[];
}

export interface ResultsFile {
  version: 1;
  kind: ExperimentKind;
  /** 'failed': every job ran, but some threw (see `failures`); --resume runs those again. */
  status: 'running' | 'interrupted' | 'complete' | 'failed';
  spec: ExperimentSpec;
  environment: Environment;
  seeds: number[];
  data: { train: string; trainSamples: number; test: string; testSamples: number };
  /** Jobs of the whole experiment, and which of them this file holds (its shard's, when sharded). */
  totalJobs: number;
  shard: Shard | null;
  jobs: number[];
  done: number[];
  runs: RunRecord[];
  interpolations: InterpolationRecord[];
  final: SummaryRow[];
  timings: { started: string; finished: string | null; seconds: number; jobs: { job: number; seconds: number }[] };
  /** Jobs that threw (absent in older files); they are not in `done`. */
  failures?: JobFailure[];
  /**
   * frontier: a training step at every batch size timed alone, in-thread and over the workers
   * (the 'step costs' job; absent until it ran, and in files written before it existed).
   */
  frontierStepCosts?: StepCostsRecord[];
}

export interface JobFailure { job: number; label: string; error: string }

export class ResultsError extends Error {
  override name = 'ResultsError';
  constructor(readonly file: string, message: string) {
    super(`${file}: ${message}`);
  }
}

export interface Stat { mean: number; std: number; n: number }

/** Mean and sample standard deviation (n − 1; 0 for one value). */
export function stat(values: number[]): Stat | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, n: v.length };
}

/** One row of the summary: a setting's final metrics over its seeds. */
export interface SummaryRow {
  setting: string;
  batch: number;
  k: number | null;
  seeds: number;
  trainAcc: Stat | null;
  testAcc: Stat | null;
  trainLoss: Stat | null;
  /** Keyed `full@0.001`, `random@0.0005`… */
  sharpness: Record<string, Stat | null>;
  hessianTop: Stat | null;
  /** Runs of this setting that diverged (left out of every statistic) or did not improve (kept). */
  diverged?: number;
  notImproved?: number;
}

export const sharpnessKey = (space: 'full' | 'random', eps: number) => `${space}@${eps}`;

/** Summaries per setting, in the order settings first appear among the runs (sorted by job). */
export function summarize(runs: RunRecord[]): SummaryRow[] {
  const order: string[] = [];
  const by = new Map<string, RunRecord[]>();
  for (const r of [...runs].sort((a, b) => a.job - b.job)) {
    if (!by.has(r.setting)) { by.set(r.setting, []); order.push(r.setting); }
    by.get(r.setting)!.push(r);
  }
  return order.map((setting) => {
    const all = by.get(setting)!;
    const rs = all.filter((r) => r.status !== 'diverged');
    const keys = new Set<string>();
    for (const r of rs) for (const s of r.final.sharpness) keys.add(sharpnessKey(s.space, s.eps));
    const sharpness: Record<string, Stat | null> = {};
    for (const key of keys) sharpness[key] = stat(rs.flatMap((r) => r.final.sharpness.filter((s) => sharpnessKey(s.space, s.eps) === key).map((s) => s.phi)));
    const flags: Pick<SummaryRow, 'diverged' | 'notImproved'> = {};
    if (rs.length < all.length) flags.diverged = all.length - rs.length;
    const notImproved = all.filter((r) => r.status === 'not-improved').length;
    if (notImproved) flags.notImproved = notImproved;
    return {
      setting, batch: all[0].batch, k: all[0].k, seeds: rs.length,
      trainAcc: stat(rs.map((r) => r.final.trainAcc)),
      testAcc: stat(rs.map((r) => r.final.testAcc ?? NaN)),
      trainLoss: stat(rs.map((r) => r.final.trainLoss)),
      sharpness,
      hessianTop: stat(rs.map((r) => r.final.hessian?.values[0] ?? NaN)),
      ...flags,
    };
  });
}

const KINDS: readonly string[] = ['reproduce', 'sweep', 'warmstart', 'remedies', 'frontier'];

/** Parses and checks a results file (version, kind, spec, the lists the report needs). */
export function parseResults(text: string, file: string): ResultsFile {
  let r: ResultsFile;
  try {
    r = JSON.parse(text) as ResultsFile;
  } catch (e) {
    throw new ResultsError(file, `is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof r !== 'object' || r === null || Array.isArray(r)) throw new ResultsError(file, 'must hold a JSON object');
  if (r.version !== RESULTS_VERSION) throw new ResultsError(file, `version: must be ${RESULTS_VERSION}, got ${JSON.stringify(r.version)} (not an lbgap results file, or from another release)`);
  if (!KINDS.includes(r.kind)) throw new ResultsError(file, `kind: must be one of ${KINDS.join(', ')}, got ${JSON.stringify(r.kind)}`);
  try {
    r.spec = resolveSpec(r.spec);
  } catch (e) {
    throw new ResultsError(file, `spec.${(e as Error).message}`);
  }
  for (const key of ['runs', 'interpolations', 'jobs', 'done', 'seeds'] as const) {
    if (!Array.isArray(r[key])) throw new ResultsError(file, `${key}: must be a list`);
  }
  if (!Number.isInteger(r.totalJobs) || r.totalJobs < 1) throw new ResultsError(file, `totalJobs: must be an integer ≥ 1, got ${JSON.stringify(r.totalJobs)}`);
  r.runs.forEach((run, i) => {
    if (!run || typeof run !== 'object' || !Number.isInteger(run.job) || typeof run.setting !== 'string' || !run.final || !Array.isArray(run.phases))
      throw new ResultsError(file, `runs[${i}]: must be a run record { job, setting, phases, final, … }`);
  });
  if (r.frontierStepCosts !== undefined) {
    if (!Array.isArray(r.frontierStepCosts)) throw new ResultsError(file, 'frontierStepCosts: must be a list');
    r.frontierStepCosts.forEach((c, i) => {
      const timed = (t: unknown) => !!t && typeof t === 'object' && typeof (t as { secondsPerStep?: unknown }).secondsPerStep === 'number' && typeof (t as { samplesPerSecond?: unknown }).samplesPerSecond === 'number';
      if (!c || typeof c !== 'object' || !Number.isInteger(c.batch) || !Number.isInteger(c.workers) || !timed(c.inThread) || (c.pool !== null && !timed(c.pool)))
        throw new ResultsError(file, `frontierStepCosts[${i}]: must be a step-costs record { batch, workers, inThread, pool, poolSkipped }`);
    });
  }
  return r;
}

/**
 * The run a checkpoint of this experiment belongs to, by the runner's store names
 * (`checkpoints/job<J>-<phase>.ckpt`, phase = the run's last phase name with characters other
 * than letters, digits, _ and - replaced by _): the run of job J whose last phase is that one.
 */
export function runOfCheckpoint(res: ResultsFile, checkpoint: string, file = 'results'): RunRecord {
  const m = /(?:^|[/\\])job(\d+)-([A-Za-z0-9_-]+)\.ckpt$/.exec(checkpoint);
  if (!m) throw new ResultsError(file, `${checkpoint} is not named like an experiment's checkpoint (checkpoints/job<J>-<phase>.ckpt), so it cannot be matched to a run`);
  const job = Number(m[1]), phase = m[2];
  const run = res.runs.find((r) => r.job === job && r.phases.length > 0 && r.phases[r.phases.length - 1].name.replace(/[^A-Za-z0-9_-]+/g, '_') === phase);
  if (!run) {
    const have = res.runs.map((r) => `job${r.job}-${r.phases[r.phases.length - 1]?.name ?? '?'}`).join(', ');
    throw new ResultsError(file, `holds no run of job ${job} ending in phase ${phase} (${checkpoint}); its runs: ${have || 'none'}`);
  }
  return run;
}

/**
 * Throws unless a checkpoint of `epoch` epochs can be `run`'s minimizer: the epochs its last
 * phase trained (or all its phases together).
 */
export function checkRunEpoch(run: RunRecord, epoch: number, what: string, file = 'results'): void {
  const last = run.phases[run.phases.length - 1]?.history.length ?? 0;
  const total = run.phases.reduce((a, ph) => a + ph.history.length, 0);
  if (epoch !== last && epoch !== total)
    throw new ResultsError(file, `${what} is of epoch ${epoch}, but run ${run.setting} seed ${run.seed} (job ${run.job}) trained ${last} epochs: it is not that run's minimizer`);
}
