// The landscape numerics applied to a network: the paper's sharpness φ, the Hessian's top
// eigenvalues and trace, and the gradient noise scale, each of a Model at its current
// parameters on (a sample of) a data set. The loss is ModelObjective's (batch-norm batch
// statistics per fixed chunk by default — or the running statistics with bn: 'running' in
// networkSharpness — dropout off: deterministic; see model_objective.ts).
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';
import type { LabeledSet, Model } from '../nn/model.js';
import { Rng } from '../util/rng.js';
import { hessianTopEigenvalues, hessianTrace, type EigenResult, type HvpMethod, type TraceResult } from './hessian.js';
import { ModelObjective, type ModelObjectiveInfo } from './model_objective.js';
import type { Objective } from './objective.js';
import { measureNoiseScale, type NoiseScaleEstimate } from './noise_scale.js';
import { checkFiniteParams } from '../nn/param_table.js';
import { sharpness, type SharpnessResult } from './sharpness.js';
import type { LbfgsbStopReason } from './lbfgsb.js';

export interface NetworkSharpnessOptions {
  /** Box radii (default [1e-3, 5e-4], the paper's). */
  eps?: number[];
  /** Measure in the full space A = I (default true). */
  full?: boolean;
  /** Also measure in a random subspace of this dimension p (the paper: 100); omitted → no subspace. */
  subspace?: number;
  /** Seed of the random subspace (default 0). */
  seed?: number;
  /** L-BFGS-B iterations (default 10). */
  maxIter?: number;
  /** Training samples the loss is averaged over (default all). */
  sample?: number;
  /** Samples per BN chunk (default min(sample, 1000)). */
  chunk?: number;
  /** Seed of the sample (default 0). */
  sampleSeed?: number;
  /** Batch-norm statistics of the loss: 'batch' per chunk (default) or the 'running' ones (see model_objective.ts). */
  bn?: 'batch' | 'running';
  /** Called after each L-BFGS-B iteration of each measurement (for progress). */
  onIteration?: (at: { space: 'full' | 'random'; eps: number }, iteration: number, phi: number) => void;
  /**
   * The loss to measure, already built over the model (e.g. the workers' ParallelObjective:
   * the same f, data-parallel). It carries its sample, chunk, seed and BN mode: any of those
   * options given too must agree with it. Not disposed here.
   */
  objective?: NetworkObjective;
}

/** A network loss built elsewhere: an Objective with exact H·v that says what f is (ModelObjective, ParallelObjective). */
export interface NetworkObjective extends Objective {
  readonly info: ModelObjectiveInfo;
}

export interface SharpnessEntry {
  eps: number;
  space: 'full' | 'random';
  /** Dimension of y: n (full) or p. */
  dim: number;
  /** φ in percent. */
  phi: number;
  f0: number;
  fmax: number;
  iterations: number;
  evaluations: number;
  reason: LbfgsbStopReason;
  seconds: number;
}

export interface NetworkSharpnessResult {
  n: number;
  loss: ModelObjectiveInfo;
  maxIter: number;
  subspaceSeed: number | null;
  results: SharpnessEntry[];
}

function checkModel(model: unknown): Model {
  const m = model as Model;
  if (typeof m !== 'object' || m === null || typeof m.lossAndGrad !== 'function' || !m.params) throw new KernelTypeError('model', 'must be a Model');
  return m;
}

/**
 * The measurement's loss: `options.objective` (checked against the loss options also given,
 * so a mismatch is an error, not a different f) or a new ModelObjective; `owned` says whether
 * the caller disposes it.
 */
function lossOf(model: Model, ds: LabeledSet, o: { sample?: number; chunk?: number; sampleSeed?: number; bn?: 'batch' | 'running'; objective?: NetworkObjective }): { obj: NetworkObjective; owned: boolean } {
  if (o.objective === undefined) return { obj: new ModelObjective(model, ds, { sample: o.sample, chunk: o.chunk, seed: o.sampleSeed, bn: o.bn }), owned: true };
  const obj = o.objective, info = obj.info;
  if (typeof obj.evalGrad !== 'function' || !info) throw new KernelTypeError('objective', 'must be a network objective (ModelObjective or ParallelObjective)');
  if (obj.n !== model.numParams) throw new KernelRangeError('objective', `has ${obj.n} parameters, the model ${model.numParams}`);
  const given: [string, unknown, unknown][] = [['sample', o.sample, info.sample], ['chunk', o.chunk, info.chunk], ['sampleSeed', o.sampleSeed, info.seed], ['bn', o.bn, info.bn]];
  for (const [name, mine, theirs] of given) {
    if (mine !== undefined && mine !== theirs) throw new KernelRangeError(name, `is ${JSON.stringify(mine)} but the objective given was built with ${JSON.stringify(theirs)}`);
  }
  if (info.dataset !== ds.name || info.datasetSize !== ds.n) throw new KernelRangeError('objective', `was built on ${info.dataset} (${info.datasetSize} samples), not ${ds.name} (${ds.n})`);
  return { obj, owned: false };
}

/** φ(ε, A) of the model at its current parameters, for each ε, full space and/or a random subspace. */
export function networkSharpness(model: Model, ds: LabeledSet, options: NetworkSharpnessOptions = {}): NetworkSharpnessResult {
  checkModel(model);
  const epsList = options.eps ?? [1e-3, 5e-4];
  if (!Array.isArray(epsList) || epsList.length === 0) throw new KernelRangeError('eps', 'must be a non-empty array of radii');
  epsList.forEach((e, i) => {
    if (typeof e !== 'number' || !Number.isFinite(e) || !(e > 0)) throw new KernelRangeError(`eps[${i}]`, `must be a finite number > 0, got ${e}`);
  });
  const n = model.numParams;
  const full = options.full ?? true;
  const p = options.subspace;
  if (p !== undefined) {
    if (!Number.isInteger(p) || p < 1) throw new KernelRangeError('subspace', `must be an integer ≥ 1, got ${p}`);
    if (p > n) throw new KernelRangeError('subspace', `p = ${p} exceeds the parameter count n = ${n} (A⁺ needs p ≤ n)`);
  }
  if (!full && p === undefined) throw new KernelRangeError('full', 'nothing to measure: full space off and no subspace given');
  const maxIter = options.maxIter ?? 10;
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new KernelRangeError('maxIter', `must be an integer ≥ 1, got ${maxIter}`);
  const seed = options.seed ?? 0;
  const x = Float32Array.from(model.params.view());
  checkFiniteParams(model, x);
  const { obj, owned } = lossOf(model, ds, options);
  try {
    const results: SharpnessEntry[] = [];
    const spaces: ('full' | 'random')[] = [];
    if (full) spaces.push('full');
    if (p !== undefined) spaces.push('random');
    for (const space of spaces) {
      for (const eps of epsList) {
        const t0 = performance.now();
        const onIteration = options.onIteration;
        const r: SharpnessResult = sharpness(model.k, obj, x, {
          eps, maxIter, subspace: space === 'random' ? { p, seed } : undefined,
          onIteration: onIteration && ((it, phi) => onIteration({ space, eps }, it, phi)),
        });
        results.push({
          eps, space, dim: space === 'full' ? n : p!, phi: r.phi, f0: r.f0, fmax: r.fmax,
          iterations: r.iterations, evaluations: r.evaluations, reason: r.reason, seconds: (performance.now() - t0) / 1000,
        });
      }
    }
    return { n, loss: obj.info, maxIter, subspaceSeed: p !== undefined ? seed : null, results };
  } finally {
    if (owned) (obj as ModelObjective).dispose();
  }
}

export interface NetworkHessianOptions {
  /** Top eigenvalues wanted (default 1). */
  top?: number;
  /** Also estimate the trace by Hutchinson (default false). */
  trace?: boolean;
  /** Lanczos steps at most (default min(n, max(30, 4·top))). */
  maxIter?: number;
  /** Lanczos residual tolerance (default 1e-3). */
  tol?: number;
  /** Hutchinson samples at most (default 50) and relative standard-error target (default 0.05). */
  traceSamples?: number;
  traceRtol?: number;
  seed?: number;
  sample?: number;
  chunk?: number;
  sampleSeed?: number;
  /** Batch-norm statistics of the loss: 'batch' per chunk (default) or the 'running' ones (see model_objective.ts). */
  bn?: 'batch' | 'running';
  /** The loss to measure, already built (see NetworkSharpnessOptions.objective). Not disposed here. */
  objective?: NetworkObjective;
  /** Lanczos target: the largest λ ('algebraic', default) or the largest |λ| ('magnitude'). */
  which?: 'algebraic' | 'magnitude';
  /**
   * Hessian-vector products: 'exact' (default; the R-operator, model_objective.ts) or
   * 'central-differences' of gradients (the old method; see HVP_ERROR for its error).
   */
  hvp?: HvpMethod;
  /** Central-difference step (absolute, along the unit direction); default networkHvpStep(x). Only with hvp: 'central-differences'. */
  step?: number;
  /** Called after each Lanczos step (for progress). */
  onStep?: (step: number, top: number) => void;
  /** Called after each Hutchinson sample of the trace (for progress). */
  onSample?: (sample: number, estimate: number) => void;
}

/** What each product method's error is, for results and printed output. */
export const HVP_ERROR: Record<HvpMethod, string> = {
  exact: 'exact up to f32 rounding (≤ 1e-6 relative per product against f64 references in the tests); ReLU and max-pool use the forward\'s masks, so H is the Hessian of the linear piece the parameters lie on',
  'central-differences': 'central differences of gradients at step h: ReLU/max-pool kinks crossed between x ± h·v̂ bias each product (12–28 % off the exact product on F1 checkpoints at h = 1e-4·‖x‖, top eigenvalue 6–19 % too high, issue 17), plus f32 rounding ≈ √n·ulp(|x_i|)/h',
};

/** The name of a product method as printed. */
export const HVP_NAME: Record<HvpMethod, string> = {
  exact: 'exact (R-operator, forward-over-reverse)',
  'central-differences': 'central differences of gradients',
};

/**
 * The default step of network Hessian-vector products by central differences (hvp:
 * 'central-differences'; the default is exact): 1e-4·max(1, ‖x‖₂).
 * Smaller than hessian.ts's generic ε^{1/3}·max(1, ‖x‖) on purpose: a ReLU network's loss is
 * piecewise smooth, and a step that moves pre-activations across zero turns a kink into a
 * spurious O(1/h) curvature. On the tiny test MLP the generic step (≈ 0.06) is off by ~90%
 * against an explicit Hessian, 1e-4·‖x‖ agrees to ~0.5%; the f32 rounding of x + h·v̂ adds
 * a relative error ≈ √n·ulp(|x_i|)/h (≈ 1e-3 for F1).
 */
export function networkHvpStep(x: Float32Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i] * x[i];
  return 1e-4 * Math.max(1, Math.sqrt(s));
}

export interface NetworkHessianResult {
  n: number;
  loss: ModelObjectiveInfo;
  /** How the Hessian-vector products were computed, and their expected error. */
  hvp: HvpMethod;
  hvpMethod: string;
  hvpError: string;
  /** The central-difference step used (null with exact products). */
  step: number | null;
  eigen: Omit<EigenResult, 'vectors'> & { seconds: number };
  trace: (TraceResult & { seconds: number }) | null;
}

/** The product method of a network measurement: 'exact' unless asked otherwise. */
export function checkHvpMethod(m: unknown): HvpMethod {
  const method = m ?? 'exact';
  if (method !== 'exact' && method !== 'central-differences') throw new KernelRangeError('hvp', `must be 'exact' or 'central-differences', got ${String(m)}`);
  return method;
}

/** Top eigenvalues (Lanczos) and optionally the trace (Hutchinson) of the loss Hessian at the model's parameters; exact products by default. */
export function networkHessian(model: Model, ds: LabeledSet, options: NetworkHessianOptions = {}): NetworkHessianResult {
  checkModel(model);
  const n = model.numParams;
  const top = options.top ?? 1;
  if (!Number.isInteger(top) || top < 1 || top > n) throw new KernelRangeError('top', `must be an integer in [1, n = ${n}], got ${top}`);
  const x = Float32Array.from(model.params.view());
  checkFiniteParams(model, x);
  const method = checkHvpMethod(options.hvp);
  const { obj, owned } = lossOf(model, ds, options);
  try {
    const maxIter = options.maxIter ?? Math.min(n, Math.max(30, 4 * top));
    const step = method === 'exact' ? null : options.step ?? networkHvpStep(x);
    if (step !== null && !(typeof step === 'number' && step > 0 && Number.isFinite(step))) throw new KernelRangeError('step', `must be a finite number > 0, got ${step}`);
    const hvpOpts = { method, step: step ?? undefined };
    let t0 = performance.now();
    const eig = hessianTopEigenvalues(model.k, obj, x, { count: top, maxIter, tol: options.tol ?? 1e-3, seed: options.seed ?? 0, vectors: false, which: options.which, onStep: options.onStep, ...hvpOpts });
    const eigen = { ...eig, seconds: (performance.now() - t0) / 1000 };
    let trace: NetworkHessianResult['trace'] = null;
    if (options.trace) {
      t0 = performance.now();
      const tr = hessianTrace(model.k, obj, x, { maxSamples: options.traceSamples ?? 50, rtol: options.traceRtol ?? 0.05, seed: options.seed ?? 0, onSample: options.onSample, ...hvpOpts });
      trace = { ...tr, seconds: (performance.now() - t0) / 1000 };
    }
    return { n, loss: obj.info, hvp: method, hvpMethod: HVP_NAME[method], hvpError: HVP_ERROR[method], step, eigen, trace };
  } finally {
    if (owned) (obj as ModelObjective).dispose();
  }
}

export interface NetworkNoiseScaleOptions {
  /** Small and big batch sizes (bBig a multiple of bSmall, ≥ 2×). */
  bSmall: number;
  bBig: number;
  /** Independent big batches (default 8). */
  draws?: number;
  seed?: number;
}

/**
 * Gradient noise scale B_simple (McCandlish et al. 2018) of the model at its parameters:
 * per draw, bBig distinct random training samples split into bBig/bSmall small batches;
 * each small batch's gradient comes from lossAndGrad (BN batch statistics of that small
 * batch, dropout off, running statistics untouched).
 */
export function networkNoiseScale(model: Model, ds: LabeledSet, options: NetworkNoiseScaleOptions): NoiseScaleEstimate & { n: number; dataset: string } {
  checkModel(model);
  model.checkDataset(ds);
  if (typeof options !== 'object' || options === null) throw new KernelTypeError('options', 'must be { bSmall, bBig, draws?, seed? }');
  const { bSmall, bBig } = options;
  if (!Number.isInteger(bSmall) || bSmall < 1) throw new KernelRangeError('bSmall', `must be an integer ≥ 1, got ${bSmall}`);
  if (Number.isInteger(bBig) && bBig > ds.n) throw new KernelRangeError('bBig', `must be ≤ the data set size ${ds.n}, got ${bBig}`);
  checkFiniteParams(model, Float32Array.from(model.params.view()));
  const rng = new Rng(options.seed ?? 0);
  const d = model.inputSize;
  let batchIdx: Int32Array | null = null, drawOf = -1;
  const xb = new Float32Array(Math.max(1, bSmall) * d), yb = new Int32Array(Math.max(1, bSmall));
  const est = measureNoiseScale(model.k, (draw, part, g) => {
    if (draw !== drawOf) {
      // bBig distinct indices for this draw (partial Fisher–Yates on a fresh permutation).
      const perm = new Int32Array(ds.n);
      for (let i = 0; i < ds.n; i++) perm[i] = i;
      for (let i = 0; i < bBig; i++) { const j = i + rng.int(ds.n - i); const t = perm[i]; perm[i] = perm[j]; perm[j] = t; }
      batchIdx = perm.subarray(0, bBig); drawOf = draw;
    }
    for (let s = 0; s < bSmall; s++) {
      const i = batchIdx![part * bSmall + s];
      xb.set(ds.x.subarray(i * d, (i + 1) * d), s * d);
      yb[s] = ds.y[i];
    }
    const gOff = g.byteOffset, inWasm = g.buffer === model.k.memory.buffer;
    model.lossAndGrad(xb, yb, bSmall, { dropout: false, updateStats: false });
    const src = model.grads.view();
    if (inWasm) new Float32Array(model.k.memory.buffer, gOff, g.length).set(src); else g.set(src);
  }, { n: model.numParams, bSmall, bBig, draws: options.draws ?? 8 });
  return { ...est, n: model.numParams, dataset: ds.name };
}
