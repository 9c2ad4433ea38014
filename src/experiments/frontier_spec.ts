// The `frontier` section of an experiment spec (kind 'frontier', issue 15): which batch size
// reaches a target fastest on this machine, and at what price in generalization. Per batch
// size a job trains until the target (training loss ≤ x or test accuracy ≥ y, the train loop's
// target rule) or the epoch cap, and measures the step cost at that batch, the gradient noise
// scale B_simple along the way, and at the target test accuracy, φ and the top Hessian
// eigenvalue. The rest of the spec (net, data, seeds, epochs = the cap, optimizer, sharpness,
// hessian, trainEvalSamples) keeps its meaning. Validated with errors naming the field's path,
// through the spec module's error factory (as spec_training.ts does).
import type { TargetRule } from '../train/loop.js';
import type { SpecErrorFactory } from './spec_training.js';

export const FRONTIER_METRICS = ['trainLoss', 'testAcc'] as const;

export interface FrontierSpec {
  /** Batch sizes; null: powers of two from 32 up to 10 % of the training set. */
  batches: number[] | null;
  /** Training loss (evaluation mode, on the first trainEvalSamples) ≤ value, or test accuracy ≥ value. */
  target: { metric: (typeof FRONTIER_METRICS)[number]; value: number };
  /**
   * Evaluations for the target: first once `from` training samples have been seen, then each
   * time the samples seen have grown by `growth` (and at epoch ends); the crossing is
   * interpolated between the last miss and the hit.
   */
  checks: { growth: number; from: number };
  /** Step cost at the job's batch: training steps timed for at least `seconds` (and 3 steps), after one warm-up step. */
  stepCost: { seconds: number };
  /**
   * Gradient noise scale B_simple (McCandlish et al. 2018, src/landscape/noise_scale.ts): from
   * `draws` sets of bBig samples split into small batches of bSmall, at the initial weights,
   * after each epoch in `epochs`, and at the target.
   */
  noise: { bSmall: number; bBig: number; draws: number; epochs: number[] };
}

export function defaultFrontier(): FrontierSpec {
  return {
    batches: null,
    target: { metric: 'trainLoss', value: 0.1 },
    checks: { growth: 1.1, from: 1000 },
    stepCost: { seconds: 1 },
    noise: { bSmall: 64, bBig: 1024, draws: 8, epochs: [1, 2, 4, 8] },
  };
}

/** The batch sizes of a frontier spec on `trainSamples` training samples. */
export function frontierBatches(f: FrontierSpec, trainSamples: number): number[] {
  if (f.batches !== null) return f.batches.slice();
  const out: number[] = [];
  for (let b = 32; b <= trainSamples / 10; b *= 2) out.push(b);
  // Too little data for two powers of two up to 10 %: the two smallest that fit at all.
  return out.length >= 2 ? out : [32, 64].filter((b) => b <= trainSamples);
}

/** The train loop's target rule of a frontier spec. */
export function frontierTargetRule(f: FrontierSpec): TargetRule {
  return { metric: f.target.metric, value: f.target.value, growth: f.checks.growth, from: f.checks.from };
}

type Obj = Record<string, unknown>;
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Validates a frontier section (already overlaid on the defaults: every field present, no unknown ones). */
export function resolveFrontier(path: string, v: unknown, fail: SpecErrorFactory): FrontierSpec {
  const o = v as Obj & { target: Obj; checks: Obj; stepCost: Obj; noise: Obj };
  const int = (p: string, x: unknown, min: number): number => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min) throw fail(`${path}.${p}`, `must be an integer ≥ ${min}, got ${show(x)}`);
    return x;
  };
  const num = (p: string, x: unknown, ok: (n: number) => boolean, what: string): number => {
    if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) throw fail(`${path}.${p}`, `must be ${what}, got ${show(x)}`);
    return x;
  };
  const ints = (p: string, x: unknown, min: number, nonEmpty: boolean): number[] => {
    if (!Array.isArray(x) || (nonEmpty && x.length === 0)) throw fail(`${path}.${p}`, `must be a ${nonEmpty ? 'non-empty ' : ''}list of integers ≥ ${min}, got ${show(x)}`);
    const out = x.map((e, i) => int(`${p}[${i}]`, e, min));
    out.forEach((e, i) => { if (out.indexOf(e) !== i) throw fail(`${path}.${p}[${i}]`, `${e} appears twice`); });
    return out;
  };
  const metric = o.target.metric;
  if (typeof metric !== 'string' || !(FRONTIER_METRICS as readonly string[]).includes(metric))
    throw fail(`${path}.target.metric`, `must be one of ${FRONTIER_METRICS.map((m) => JSON.stringify(m)).join(', ')}, got ${show(metric)}`);
  const value = metric === 'trainLoss'
    ? num('target.value', o.target.value, (x) => x > 0, 'a training loss > 0')
    : num('target.value', o.target.value, (x) => x > 0 && x <= 1, 'a test accuracy in (0, 1] (e.g. 0.98)');
  const bSmall = int('noise.bSmall', o.noise.bSmall, 1);
  const bBig = int('noise.bBig', o.noise.bBig, 2);
  if (bBig < 2 * bSmall || bBig % bSmall !== 0) throw fail(`${path}.noise.bBig`, `must be a multiple of noise.bSmall = ${bSmall} and at least twice it, got ${bBig}`);
  return {
    batches: o.batches === null ? null : ints('batches', o.batches, 1, true),
    target: { metric: metric as FrontierSpec['target']['metric'], value },
    checks: {
      growth: num('checks.growth', o.checks.growth, (x) => x > 1 && x <= 4, 'a factor in (1, 4]'),
      from: num('checks.from', o.checks.from, (x) => x >= 0, 'a number of samples ≥ 0'),
    },
    stepCost: { seconds: num('stepCost.seconds', o.stepCost.seconds, (x) => x > 0 && x <= 600, 'a time in seconds in (0, 600]') },
    noise: { bSmall, bBig, draws: int('noise.draws', o.noise.draws, 1), epochs: ints('noise.epochs', o.noise.epochs, 1, false) },
  };
}
