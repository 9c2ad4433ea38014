// The spec of a `phi-study` (issue 16): how much the paper's sharpness φ — and the Hessian's
// top eigenvalue and trace — depend on the choices the paper leaves unstated. Given trained
// checkpoints (the SB and LB of a seed), every grid point changes ONE setting of a baseline
// (lbgap's reproduce defaults) and measures again:
//
//   columns      A's entries uniform(−√3, √3) / Gaussian / Rademacher, as drawn or with unit
//                columns, and the uniform A orthonormalized (random-subspace φ only);
//   bn           batch statistics per chunk of 256 / 1000 / 6000 samples, or running statistics;
//   sample       6000 training samples vs all 60000 (the paper's f);
//   iterations   L-BFGS-B iterations 10 / 50 / 200 (φ only);
//   start        y = 0 vs a random corner of the box (φ only);
//   coordinates  the paper's box ε(|x_i| + 1) vs filter-normalized coordinates (full-space φ and
//                the Hessian in them).
// Missing fields take the defaults; unknown fields and bad values are SpecErrors naming the field.
import { COLUMN_DISTRIBUTIONS, COLUMN_SCALINGS, type ColumnDistribution, type ColumnScaling } from '../landscape/subspace_basis.js';
import { DATA_NAMES, SpecError, type DataSpec } from './spec.js';

export const PHI_STUDY_KIND = 'phi-study';
export const PHI_CHOICES = ['baseline', 'columns', 'bn', 'sample', 'iterations', 'start', 'coordinates'] as const;
export type PhiChoice = (typeof PHI_CHOICES)[number];
export const PHI_MEASURES = ['full', 'random', 'hessian'] as const;
export type PhiMeasure = (typeof PHI_MEASURES)[number];

/** Everything one measurement depends on. */
export interface PhiSettings {
  /** Box radii ε (the paper: 1e-3 and 5e-4). */
  eps: number[];
  /** Dimension p of the random subspace (the paper: 100). */
  subspace: number;
  /** Seed of A (reproduce: the run's seed). */
  subspaceSeed: number;
  columns: ColumnDistribution;
  scaling: ColumnScaling;
  /** L-BFGS-B iterations (the paper: 10). */
  maxIter: number;
  /** Training samples f averages over (a seeded draw; null: all of them, the paper's f). */
  sample: number | null;
  /** Samples per chunk: BN batch statistics are per chunk ('batch'); only splits the work ('running'). */
  chunk: number;
  bn: 'batch' | 'running';
  /** Start of the maximization: y = 0 or a random corner of the box (seeded by subspaceSeed). */
  start: 'zero' | 'corner';
  /** The paper's box ε(|x_i| + 1) or filter-normalized coordinates (src/landscape/filter_coordinates.ts). */
  coordinates: 'paper' | 'filter';
}

/** One grid point: the baseline with `change` applied, measuring what the change can affect (or `only`). */
export interface PhiVariation {
  choice: PhiChoice;
  label: string;
  change: Partial<PhiSettings>;
  /** Restrict the measurements (null: every one the change affects). */
  only: PhiMeasure[] | null;
}

export interface PhiStudySpec {
  version: 1;
  kind: typeof PHI_STUDY_KIND;
  data: DataSpec;
  /** The trained networks, e.g. [{ label: 'SB', path }, { label: 'LB', path }]. */
  checkpoints: { label: string; path: string }[];
  baseline: PhiSettings;
  hessian: {
    /** Lanczos steps at most for the top eigenvalue. */
    maxIter: number;
    /** Hutchinson samples at most, and the relative standard error that stops earlier. */
    traceSamples: number;
    traceRtol: number;
    seed: number;
  };
  variations: PhiVariation[];
  build: 'auto' | 'simd' | 'relaxed-simd';
}

/** lbgap's reproduce defaults (spec.ts: sharpness and hessian of the paper preset). */
export function phiBaseline(): PhiSettings {
  return {
    eps: [1e-3, 5e-4], subspace: 100, subspaceSeed: 0, columns: 'uniform', scaling: 'none', maxIter: 10,
    sample: 6000, chunk: 1000, bn: 'batch', start: 'zero', coordinates: 'paper',
  };
}

/** The grid of issue 16, each point one change from the baseline. */
export function defaultVariations(): PhiVariation[] {
  const v = (choice: PhiChoice, label: string, change: Partial<PhiSettings>, only: PhiMeasure[] | null = null): PhiVariation => ({ choice, label, change, only });
  return [
    v('baseline', 'baseline', {}),
    v('columns', 'uniform, unit columns', { scaling: 'unit' }),
    v('columns', 'uniform, orthonormal', { scaling: 'orthonormal' }),
    v('columns', 'Gaussian', { columns: 'gaussian' }),
    v('columns', 'Gaussian, unit columns', { columns: 'gaussian', scaling: 'unit' }),
    v('columns', 'Rademacher', { columns: 'rademacher' }),
    v('columns', 'Rademacher, unit columns', { columns: 'rademacher', scaling: 'unit' }),
    v('start', 'random corner', { start: 'corner' }),
    v('bn', 'running statistics', { bn: 'running' }),
    v('coordinates', 'filter-normalized', { coordinates: 'filter' }),
    v('bn', 'chunk 256', { chunk: 256 }),
    v('bn', 'chunk 6000', { chunk: 6000 }),
    v('iterations', '50 iterations', { maxIter: 50 }),
    v('iterations', '200 iterations', { maxIter: 200 }),
    v('sample', 'all 60000', { sample: null }),
  ];
}

export function defaultPhiStudySpec(): PhiStudySpec {
  return {
    version: 1, kind: PHI_STUDY_KIND,
    data: { name: 'mnist', dir: null, trainLimit: null, testLimit: null },
    checkpoints: [{ label: 'SB', path: 'checkpoints/job0-SB.ckpt' }, { label: 'LB', path: 'checkpoints/job0-LB.ckpt' }],
    baseline: phiBaseline(),
    hessian: { maxIter: 20, traceSamples: 20, traceRtol: 0.05, seed: 0 },
    variations: defaultVariations(),
    build: 'auto',
  };
}

/** The settings of a grid point. */
export function pointSettings(spec: PhiStudySpec, v: PhiVariation): PhiSettings {
  return { ...spec.baseline, ...v.change };
}

/** What a grid point measures: the measures its change can affect (the baseline: all), less those `only` leaves out. */
export function pointMeasures(v: PhiVariation): PhiMeasure[] {
  const keys = Object.keys(v.change) as (keyof PhiSettings)[];
  const affects = (m: PhiMeasure) => {
    if (v.choice === 'baseline' || keys.length === 0) return true;
    return keys.some((key) => {
      switch (key) {
        case 'columns': case 'scaling': case 'subspace': case 'subspaceSeed': return m === 'random';
        case 'maxIter': case 'start': case 'eps': return m !== 'hessian';
        // Filter-normalized φ is a full-space box; the random subspace keeps the paper's box.
        case 'coordinates': return m !== 'random';
        default: return true;
      }
    });
  };
  return PHI_MEASURES.filter((m) => affects(m) && (v.only === null || v.only.includes(m)));
}

// ---- validation -------------------------------------------------------------------------

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

function fields(path: string, v: unknown, allowed: readonly string[]): Obj {
  if (!isObj(v)) throw new SpecError(path, `must be an object, got ${show(v)}`);
  for (const key of Object.keys(v)) if (!allowed.includes(key)) throw new SpecError(`${path}.${key}`, `unknown field (expected one of ${allowed.join(', ')})`);
  return v;
}
function int(path: string, v: unknown, min: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new SpecError(path, `must be an integer ≥ ${min}, got ${show(v)}`);
  return v;
}
function positive(path: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) throw new SpecError(path, `must be a finite number > 0, got ${show(v)}`);
  return v;
}
function choice<T extends string>(path: string, v: unknown, options: readonly T[]): T {
  if (typeof v !== 'string' || !options.includes(v as T)) throw new SpecError(path, `must be one of ${options.map((o) => JSON.stringify(o)).join(', ')}, got ${show(v)}`);
  return v as T;
}
function text(path: string, v: unknown): string {
  if (typeof v !== 'string' || v === '') throw new SpecError(path, `must be a non-empty string, got ${show(v)}`);
  return v;
}

const SETTING_KEYS = Object.keys(phiBaseline()) as (keyof PhiSettings)[];

/** Validates one settings field. */
function setting(path: string, key: keyof PhiSettings, v: unknown): PhiSettings[keyof PhiSettings] {
  switch (key) {
    case 'eps': {
      if (!Array.isArray(v) || v.length === 0) throw new SpecError(path, `must be a non-empty list of radii, got ${show(v)}`);
      return v.map((e, i) => positive(`${path}[${i}]`, e));
    }
    case 'subspace': return int(path, v, 1);
    case 'subspaceSeed': {
      const s = int(path, v, 0);
      if (s > 0xffffffff) throw new SpecError(path, `must be < 2^32, got ${s}`);
      return s;
    }
    case 'columns': return choice(path, v, COLUMN_DISTRIBUTIONS);
    case 'scaling': return choice(path, v, COLUMN_SCALINGS);
    case 'maxIter': return int(path, v, 1);
    case 'sample': return v === null ? null : int(path, v, 1);
    case 'chunk': return int(path, v, 1);
    case 'bn': return choice(path, v, ['batch', 'running'] as const);
    case 'start': return choice(path, v, ['zero', 'corner'] as const);
    case 'coordinates': return choice(path, v, ['paper', 'filter'] as const);
  }
}

function settings(path: string, v: unknown, base: PhiSettings): PhiSettings {
  const o = fields(path, v, SETTING_KEYS);
  const out = { ...base } as Record<string, unknown>;
  for (const key of Object.keys(o) as (keyof PhiSettings)[]) out[key] = setting(`${path}.${key}`, key, o[key]);
  return out as unknown as PhiSettings;
}

function checkChunk(path: string, s: PhiSettings): void {
  if (s.sample !== null && s.chunk > s.sample) throw new SpecError(`${path}.chunk`, `must be ≤ the sample (${s.sample}), got ${s.chunk}`);
}

/** Fills defaults into a partial phi-study spec (parsed JSON) and validates every field. */
export function resolvePhiStudySpec(input: unknown): PhiStudySpec {
  const d = defaultPhiStudySpec();
  const o = fields('(spec)', input, Object.keys(d));
  if (o.kind !== PHI_STUDY_KIND) throw new SpecError('kind', `must be ${JSON.stringify(PHI_STUDY_KIND)}, got ${show(o.kind)}`);
  if ((o.version ?? 1) !== 1) throw new SpecError('version', `must be 1, got ${show(o.version)}`);
  const data = fields('data', o.data ?? {}, Object.keys(d.data));
  const dataSpec: DataSpec = {
    name: choice('data.name', data.name ?? d.data.name, DATA_NAMES),
    dir: data.dir === undefined || data.dir === null ? null : text('data.dir', data.dir),
    trainLimit: data.trainLimit === undefined || data.trainLimit === null ? null : int('data.trainLimit', data.trainLimit, 1),
    testLimit: data.testLimit === undefined || data.testLimit === null ? null : int('data.testLimit', data.testLimit, 1),
  };
  const ck = o.checkpoints ?? d.checkpoints;
  if (!Array.isArray(ck) || ck.length === 0) throw new SpecError('checkpoints', `must be a non-empty list of { label, path }, got ${show(ck)}`);
  const checkpoints = ck.map((c, i) => {
    const f = fields(`checkpoints[${i}]`, c, ['label', 'path']);
    return { label: text(`checkpoints[${i}].label`, f.label), path: text(`checkpoints[${i}].path`, f.path) };
  });
  checkpoints.forEach((c, i) => { if (checkpoints.findIndex((x) => x.label === c.label) !== i) throw new SpecError(`checkpoints[${i}].label`, `${JSON.stringify(c.label)} appears twice`); });
  const baseline = settings('baseline', o.baseline ?? {}, d.baseline);
  checkChunk('baseline', baseline);
  const h = fields('hessian', o.hessian ?? {}, Object.keys(d.hessian));
  const hessian = {
    maxIter: int('hessian.maxIter', h.maxIter ?? d.hessian.maxIter, 1),
    traceSamples: int('hessian.traceSamples', h.traceSamples ?? d.hessian.traceSamples, 1),
    traceRtol: (() => { const v = h.traceRtol ?? d.hessian.traceRtol; if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new SpecError('hessian.traceRtol', `must be a finite number ≥ 0, got ${show(v)}`); return v; })(),
    seed: int('hessian.seed', h.seed ?? d.hessian.seed, 0),
  };
  const vs = o.variations ?? d.variations;
  if (!Array.isArray(vs) || vs.length === 0) throw new SpecError('variations', `must be a non-empty list, got ${show(vs)}`);
  const variations = vs.map((v, i): PhiVariation => {
    const p = `variations[${i}]`;
    const f = fields(p, v, ['choice', 'label', 'change', 'only']);
    const change = fields(`${p}.change`, f.change ?? {}, SETTING_KEYS);
    const resolved: Partial<PhiSettings> = {};
    for (const key of Object.keys(change) as (keyof PhiSettings)[]) (resolved as Record<string, unknown>)[key] = setting(`${p}.change.${key}`, key, change[key]);
    const only = f.only === undefined || f.only === null ? null : (() => {
      if (!Array.isArray(f.only) || f.only.length === 0) throw new SpecError(`${p}.only`, `must be null or a non-empty list of ${PHI_MEASURES.join(', ')}, got ${show(f.only)}`);
      return f.only.map((m, j) => choice(`${p}.only[${j}]`, m, PHI_MEASURES));
    })();
    const out: PhiVariation = { choice: choice(`${p}.choice`, f.choice, PHI_CHOICES), label: text(`${p}.label`, f.label), change: resolved, only };
    checkChunk(`${p}.change`, { ...baseline, ...resolved });
    if (pointMeasures(out).length === 0) throw new SpecError(p, 'measures nothing (its change affects none of the measures left in `only`)');
    return out;
  });
  variations.forEach((v, i) => { if (variations.findIndex((x) => x.label === v.label) !== i) throw new SpecError(`variations[${i}].label`, `${JSON.stringify(v.label)} appears twice`); });
  return {
    version: 1, kind: PHI_STUDY_KIND, data: dataSpec, checkpoints, baseline, hessian, variations,
    build: choice('build', o.build ?? d.build, ['auto', 'simd', 'relaxed-simd'] as const),
  };
}

export function parsePhiStudySpec(textIn: string, where = '<spec>'): PhiStudySpec {
  let json: unknown;
  try {
    json = JSON.parse(textIn);
  } catch (e) {
    throw new SpecError('(spec)', `${where} is not valid JSON: ${(e as Error).message}`);
  }
  return resolvePhiStudySpec(json);
}
