// The page's results are `lbgap reproduce`'s or `lbgap frontier`'s results.json
// (src/experiments/results.ts, version 1, kind 'reproduce' or 'frontier'), written by the same
// runner: a page download feeds `lbgap report`, and a CLI results file loads into the page. The
// browser-only facts (transport, isolation, jobs at a time, user agent, the form) ride along in
// an extra top-level `page` field the CLI ignores.
import { resolveSpec, type ExperimentSpec } from '../src/experiments/spec.js';
import { parseResults, type Environment, type ResultsFile, type RunRecord } from '../src/experiments/results.js';
import { defaultBatches, FRONTIER_BASE, type PageSpec } from './form_rules.js';

export type { PageSpec } from './form_rules.js';

export interface PageInfo {
  form: PageSpec | null;
  userAgent: string;
  crossOriginIsolated: boolean;
  /** 'shared': data and the stop flag in shared memory (cross-origin isolated); 'transfer': copies and stop messages. */
  transport: 'shared' | 'transfer';
  /** Jobs run at a time (each in its own module Worker). */
  jobs: number;
}

export type PageResults = ResultsFile & { page?: PageInfo };

/**
 * A run as the page records it: `status` 'diverged' (with `note` saying where) when its loss
 * became NaN/Inf — its history holds the epochs before that, and nothing was measured on it
 * (the same fields `lbgap reproduce` writes; older readers ignore them).
 */
export type PageRun = RunRecord & { status?: 'ok' | 'diverged' | 'not-improved'; note?: string };

/** The experiment spec of a page run: SB vs LB (reproduceSpecOf) or the batch-size frontier (frontierSpecOf). */
export function experimentSpec(p: PageSpec): ExperimentSpec {
  return p.experiment === 'frontier' ? frontierSpecOf(p) : reproduceSpecOf(p);
}

/**
 * The page's frontier: `lbgap frontier`'s spec for the same choices — its default preset
 * (quick) with the choices on top in the order the CLI applies its flags (src/cli/reproduce_command.ts
 * buildSpec: --net, --data, --limit, --epochs, --seeds, --lr, then --batch and --target-loss /
 * --target-acc), resolved by the same resolveSpec — plus the test-set size (data.testLimit,
 * which the CLI takes from a --spec file). Empty batch sizes are the powers of two from 32 up
 * to 10 % of the training samples (frontierBatches), written out as `--batch` would be.
 */
export function frontierSpecOf(p: PageSpec): ExperimentSpec {
  const s = JSON.parse(JSON.stringify(FRONTIER_BASE)) as Record<string, unknown> & { data: Record<string, unknown>; frontier: Record<string, unknown> };
  s.net = p.net;
  s.data.name = p.data;
  s.data.trainLimit = p.trainSamples;
  s.epochs = p.epochs;
  s.seeds = p.seeds.slice();
  s.lr = p.lr;
  s.frontier.batches = p.batches ? p.batches.slice() : defaultBatches(p.trainSamples);
  s.frontier.target = { metric: p.targetMetric ?? 'trainLoss', value: p.targetValue ?? 0.15 };
  s.data.testLimit = p.testSamples;
  return resolveSpec(s);
}

/** The SB-vs-LB spec of a page run: the paper's protocol shrunk to the form's sizes. */
export function reproduceSpecOf(p: PageSpec): ExperimentSpec {
  return resolveSpec({
    kind: 'reproduce', net: p.net,
    data: { name: p.data, dir: null, trainLimit: p.trainSamples, testLimit: p.testSamples },
    seeds: p.seeds, epochs: p.epochs, lr: p.lr, sb: p.sbBatch, lb: p.lbBatch, trainEvalSamples: null,
    sharpness: { eps: [1e-3, 5e-4], fullSpace: true, subspace: 100, maxIter: p.sharpnessIterations, sample: p.analysisSamples, chunk: 1000 },
    hessian: { top: 0, maxIter: 20, sample: p.analysisSamples },
    interpolation: { points: 25, range: [-1, 2], trainSample: p.analysisSamples, testSample: null, chunk: 5000 },
    track: { enabled: false, eps: 1e-3, sample: p.analysisSamples },
    build: 'auto',
  });
}

/** The machine facts results.json records for a run in this browser (the CLI's are Node's and the OS's). */
export function browserEnvironment(kernels: string): Environment {
  const nav = globalThis.navigator as Navigator | undefined;
  return {
    lbgap: 'web', node: 'none (browser)', platform: nav?.platform ?? 'unknown', cpus: nav?.hardwareConcurrency ?? 1,
    cpuModel: 'unknown (browser)', kernels,
  };
}

/** A results file the page cannot draw: names the file and the field. */
export class ResultsFormatError extends Error {
  override name = 'ResultsFormatError';
  constructor(readonly file: string, readonly field: string, message: string) {
    super(`${file}: ${field}: ${message}`);
  }
}

const finiteOrNull = (v: unknown) => v === null || (typeof v === 'number' && Number.isFinite(v));
const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

/**
 * Parses a results file (the page's or the CLI's) with the CLI's parser, then checks every
 * field the page draws, so a corrupt file fails here with its path instead of drawing nonsense.
 */
export function loadResults(text: string, file: string): PageResults {
  const r = parseResults(text, file) as PageResults;
  const bad = (field: string, msg: string): never => { throw new ResultsFormatError(file, field, msg); };
  r.runs.forEach((run, i) => {
    if (!Number.isInteger(run.seed)) bad(`runs[${i}].seed`, `must be an integer, got ${JSON.stringify(run.seed)}`);
    if (!Number.isInteger(run.batch) || run.batch < 1) bad(`runs[${i}].batch`, `must be an integer ≥ 1, got ${JSON.stringify(run.batch)}`);
    run.phases.forEach((ph, j) => {
      if (!Array.isArray(ph?.history)) bad(`runs[${i}].phases[${j}].history`, 'must be a list of epoch metrics');
      ph.history.forEach((m, e) => {
        const f = `runs[${i}].phases[${j}].history[${e}]`;
        if (!Number.isInteger(m?.epoch) || m.epoch < 1) bad(`${f}.epoch`, `must be an integer ≥ 1, got ${JSON.stringify(m?.epoch)}`);
        for (const key of ['trainLoss', 'trainAcc'] as const) if (!finite(m[key])) bad(`${f}.${key}`, `must be a finite number, got ${JSON.stringify(m[key])}`);
        for (const key of ['testLoss', 'testAcc'] as const) if (!finiteOrNull(m[key])) bad(`${f}.${key}`, `must be a finite number or null, got ${JSON.stringify(m[key])}`);
      });
    });
    if (!Array.isArray(run.final.sharpness)) bad(`runs[${i}].final.sharpness`, 'must be a list');
    run.final.sharpness.forEach((s, j) => {
      const f = `runs[${i}].final.sharpness[${j}]`;
      if (s?.space !== 'full' && s?.space !== 'random') bad(`${f}.space`, `must be "full" or "random", got ${JSON.stringify(s?.space)}`);
      if (!finite(s.eps) || !(s.eps > 0)) bad(`${f}.eps`, `must be a number > 0, got ${JSON.stringify(s.eps)}`);
      if (!finite(s.phi)) bad(`${f}.phi`, `must be a finite number, got ${JSON.stringify(s.phi)}`);
    });
  });
  r.interpolations.forEach((ip, i) => {
    const n = Array.isArray(ip?.alphas) ? ip.alphas.length : bad(`interpolations[${i}].alphas`, 'must be a list');
    for (const key of ['alphas', 'trainLoss', 'trainAcc', 'testLoss', 'testAcc'] as const) {
      const a = ip[key];
      if (!Array.isArray(a) || a.length !== n) bad(`interpolations[${i}].${key}`, `must be a list of ${n} numbers (one per α)`);
      a.forEach((v, j) => { if (!finite(v)) bad(`interpolations[${i}].${key}[${j}]`, `must be a finite number, got ${JSON.stringify(v)}`); });
    }
  });
  return r;
}
