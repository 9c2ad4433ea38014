// The page's results document: what it downloads and what it loads back to re-render. It is
// shaped like `lbgap reproduce`'s results.json (version, spec, environment, seeds, runs with
// per-epoch metrics, final metrics, timings) plus the page's parametric curves and sharpness.
import type { EpochMetrics } from '../src/train/metrics.js';

export const RESULTS_VERSION = 1;

export interface PageSpec {
  net: 'tiny' | 'F1';
  data: 'mnist' | 'synthetic';
  trainSamples: number;
  testSamples: number;
  sbBatch: number;
  lbBatch: number;
  epochs: number;
  seeds: number[];
  optimizer: 'adam';
  lr: number;
  workersPerRun: number;
  /** Samples of the training set the sharpness objective and parametric train curve use. */
  analysisSamples: number;
  sharpnessIterations: number;
}

export interface RunResult {
  seed: number;
  /** 'SB' or 'LB'. */
  label: 'SB' | 'LB';
  batchSize: number;
  history: EpochMetrics[];
  final: { trainAccuracy: number; testAccuracy: number | null; trainLoss: number; testLoss: number | null } | null;
}

export interface ParametricPoint { alpha: number; trainLoss: number; trainAcc: number; testLoss: number; testAcc: number }
export interface ParametricCurve { seed: number; bn: 'batch-stats'; points: ParametricPoint[] }

export interface SharpnessRow {
  seed: number;
  label: 'SB' | 'LB';
  eps: number;
  /** 'full' (A = I) or 'random-p' (A is n×p, p columns). */
  space: 'full' | `random-${number}`;
  phi: number;
  f0: number;
  fmax: number;
  iterations: number;
  seconds: number;
}

export interface PageResults {
  version: typeof RESULTS_VERSION;
  command: 'web';
  started: string;
  finished: string | null;
  spec: PageSpec;
  environment: { userAgent: string; kernels: string; crossOriginIsolated: boolean; transport: 'shared' | 'transfer'; cores: number };
  seeds: number[];
  runs: RunResult[];
  parametric: ParametricCurve[];
  sharpness: SharpnessRow[];
  timings: { trainingSeconds: number; analysisSeconds: number };
}

/** A results file that cannot be re-rendered: names the field and what is wrong with it. */
export class ResultsFormatError extends Error {
  override name = 'ResultsFormatError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

type Obj = Record<string, unknown>;

function obj(v: unknown, field: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ResultsFormatError(field, `must be an object, got ${v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v}`);
  return v as Obj;
}
function arr(v: unknown, field: string): unknown[] {
  if (!Array.isArray(v)) throw new ResultsFormatError(field, `must be an array, got ${typeof v}`);
  return v;
}
function num(v: unknown, field: string, nullable = false): number | null {
  if (nullable && v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ResultsFormatError(field, `must be a finite number${nullable ? ' or null' : ''}, got ${JSON.stringify(v)}`);
  return v;
}
function int(v: unknown, field: string, min: number): number {
  const n = num(v, field)!;
  if (!Number.isInteger(n) || n < min) throw new ResultsFormatError(field, `must be an integer ≥ ${min}, got ${n}`);
  return n;
}
function oneOf<T extends string>(v: unknown, field: string, choices: readonly T[]): T {
  if (!choices.includes(v as T)) throw new ResultsFormatError(field, `must be one of ${choices.join(', ')}, got ${JSON.stringify(v)}`);
  return v as T;
}

/** Parses and validates a results document (text of a downloaded file). */
export function parseResults(text: string): PageResults {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ResultsFormatError('(file)', `is not JSON: ${(e as Error).message}`);
  }
  const r = obj(raw, '(root)');
  if (r.version !== RESULTS_VERSION) throw new ResultsFormatError('version', `must be ${RESULTS_VERSION}, got ${JSON.stringify(r.version)}`);
  if (r.command !== 'web') throw new ResultsFormatError('command', `must be "web" (a results file of this page), got ${JSON.stringify(r.command)}`);
  const s = obj(r.spec, 'spec');
  oneOf(s.net, 'spec.net', ['tiny', 'F1'] as const);
  int(s.epochs, 'spec.epochs', 1);
  int(s.sbBatch, 'spec.sbBatch', 1);
  int(s.lbBatch, 'spec.lbBatch', 1);
  arr(s.seeds, 'spec.seeds').forEach((v, i) => int(v, `spec.seeds[${i}]`, 0));
  obj(r.environment, 'environment');
  arr(r.runs, 'runs').forEach((run, i) => {
    const o = obj(run, `runs[${i}]`);
    oneOf(o.label, `runs[${i}].label`, ['SB', 'LB'] as const);
    int(o.seed, `runs[${i}].seed`, 0);
    int(o.batchSize, `runs[${i}].batchSize`, 1);
    arr(o.history, `runs[${i}].history`).forEach((m, j) => {
      const e = obj(m, `runs[${i}].history[${j}]`);
      const f = `runs[${i}].history[${j}]`;
      int(e.epoch, `${f}.epoch`, 1);
      num(e.trainLoss, `${f}.trainLoss`); num(e.trainAcc, `${f}.trainAcc`);
      num(e.testLoss, `${f}.testLoss`, true); num(e.testAcc, `${f}.testAcc`, true);
    });
  });
  arr(r.parametric, 'parametric').forEach((c, i) => {
    const o = obj(c, `parametric[${i}]`);
    int(o.seed, `parametric[${i}].seed`, 0);
    arr(o.points, `parametric[${i}].points`).forEach((p, j) => {
      const q = obj(p, `parametric[${i}].points[${j}]`);
      for (const k of ['alpha', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc']) num(q[k], `parametric[${i}].points[${j}].${k}`);
    });
  });
  arr(r.sharpness, 'sharpness').forEach((row, i) => {
    const o = obj(row, `sharpness[${i}]`);
    oneOf(o.label, `sharpness[${i}].label`, ['SB', 'LB'] as const);
    num(o.eps, `sharpness[${i}].eps`); num(o.phi, `sharpness[${i}].phi`);
    if (typeof o.space !== 'string' || !/^(full|random-\d+)$/.test(o.space)) throw new ResultsFormatError(`sharpness[${i}].space`, `must be "full" or "random-<p>", got ${JSON.stringify(o.space)}`);
  });
  return r as unknown as PageResults;
}
