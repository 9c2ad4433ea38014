// Seeded synthetic classification problems, for tests and the tiny network: learnable,
// reproducible bit for bit from the seeds, any size, no files.
//
// Two kinds:
// - 'clusters' (default): class c has a center μ_c with coordinates ~ N(0, separation²);
//   a sample of class c is μ_c + noise·ε, ε ~ N(0, I). Classes are balanced (n mod classes
//   spread over the first classes). Two centers are ≈ separation·√(2d) apart, so the Bayes
//   error falls quickly as d·separation²/noise² grows; a linear model can learn it.
// - 'teacher': x ~ N(0, I); the label is argmax of a random one-hidden-layer ReLU network
//   (width `hidden`, weights ~ N(0, 1/fan_in)), with per-class output biases that roughly
//   balance the classes on a reference sample. The boundary is nonlinear: a small MLP can
//   learn it, a linear model only partly. `noise` (default 0) adds N(0, noise²) to x after
//   labelling.
// `seed` fixes the problem (centers / teacher); `sampleSeed` fixes the samples drawn from it
// (default: derived from seed). Same seed + different sampleSeed = a fresh sample of the same
// problem, e.g. a test set. `labelNoise` replaces that fraction of labels by uniform classes.

import type { Dataset } from './dataset.js';
import { DataArgumentError } from './errors.js';
import { Rng } from '../util/rng.js';
import { checkFinite, checkInt } from './validate.js';

export type SyntheticKind = 'clusters' | 'teacher';

export interface SyntheticOptions {
  n: number;
  /** Feature count (shape [dim]); give either dim or shape. */
  dim?: number;
  /** Sample shape, e.g. [8, 8, 1] for a tiny image-like problem. */
  shape?: number[];
  classes: number;
  /** Seed of the problem (centers or teacher weights). */
  seed: number;
  /** Seed of the samples; default derived from `seed`. */
  sampleSeed?: number;
  kind?: SyntheticKind;
  /** Std of the Gaussian input noise: default 1 for 'clusters', 0 for 'teacher'. */
  noise?: number;
  /** 'clusters': std of the center coordinates (default 1). */
  separation?: number;
  /** 'teacher': hidden width (default 32). */
  hidden?: number;
  /** Fraction in [0, 1] of labels replaced by a uniformly drawn class (default 0). */
  labelNoise?: number;
  name?: string;
}

export function syntheticClassification(opts: SyntheticOptions): Dataset {
  if (opts === null || typeof opts !== 'object') throw new DataArgumentError('opts', 'must be an options object');
  const n = checkInt('n', opts.n, 1);
  const classes = checkInt('classes', opts.classes, 2);
  const seed = checkFinite('seed', opts.seed);
  const sampleSeed = opts.sampleSeed === undefined ? undefined : checkFinite('sampleSeed', opts.sampleSeed);
  const kind = opts.kind ?? 'clusters';
  if (kind !== 'clusters' && kind !== 'teacher') throw new DataArgumentError('kind', `must be 'clusters' or 'teacher', got ${JSON.stringify(kind)}`);
  if ((opts.dim === undefined) === (opts.shape === undefined)) throw new DataArgumentError('dim', 'give exactly one of dim and shape');
  if (opts.shape !== undefined && (!Array.isArray(opts.shape) || opts.shape.length === 0))
    throw new DataArgumentError('shape', `must be a non-empty list of positive integers, got ${JSON.stringify(opts.shape)}`);
  const shape = opts.shape === undefined ? [checkInt('dim', opts.dim, 1)] : opts.shape.slice();
  shape.forEach((d, i) => checkInt(`shape[${i}]`, d, 1));
  const d = shape.reduce((a, b) => a * b, 1);
  const noise = checkFinite('noise', opts.noise ?? (kind === 'clusters' ? 1 : 0), 0);
  const separation = checkFinite('separation', opts.separation ?? 1, 0);
  const hidden = checkInt('hidden', opts.hidden ?? 32, 1);
  const labelNoise = checkFinite('labelNoise', opts.labelNoise ?? 0, 0, 1);
  if (n * d > 2 ** 31) throw new DataArgumentError('n', `n·prod(shape) = ${n * d} is too large for one Float32Array`);

  // Two streams from the seed: the problem's never depends on whether sampleSeed is given.
  const root = new Rng(seed);
  const problem = root.fork();
  const samples = sampleSeed === undefined ? root.fork() : new Rng(sampleSeed);
  const x = new Float32Array(n * d);
  const y = new Int32Array(n);

  if (kind === 'clusters') {
    const centers = new Float64Array(classes * d);
    for (let i = 0; i < centers.length; i++) centers[i] = separation * problem.normal();
    for (let i = 0; i < n; i++) y[i] = i % classes;
    samples.shuffle(y);
    for (let i = 0; i < n; i++) {
      const c = y[i] * d;
      for (let j = 0; j < d; j++) x[i * d + j] = centers[c + j] + noise * samples.normal();
    }
  } else {
    const w1 = new Float64Array(hidden * d);
    const b1 = new Float64Array(hidden);
    const w2 = new Float64Array(classes * hidden);
    for (let i = 0; i < w1.length; i++) w1[i] = problem.normal() / Math.sqrt(d);
    for (let i = 0; i < hidden; i++) b1[i] = 0.1 * problem.normal();
    for (let i = 0; i < w2.length; i++) w2[i] = problem.normal() / Math.sqrt(hidden);
    const h = new Float64Array(hidden);
    const logits = new Float64Array(classes);
    const forward = (xi: ArrayLike<number>, off: number) => {
      for (let k = 0; k < hidden; k++) {
        let s = b1[k];
        for (let j = 0; j < d; j++) s += w1[k * d + j] * xi[off + j];
        h[k] = s > 0 ? s : 0;
      }
      for (let c = 0; c < classes; c++) {
        let s = 0;
        for (let k = 0; k < hidden; k++) s += w2[c * hidden + k] * h[k];
        logits[c] = s;
      }
    };
    // Output biases: minus each class's mean logit on a reference sample drawn from the
    // problem stream, so class frequencies are roughly even and depend on `seed` only.
    const b2 = new Float64Array(classes);
    const ref = 512;
    const xr = new Float64Array(d);
    for (let r = 0; r < ref; r++) {
      for (let j = 0; j < d; j++) xr[j] = problem.normal();
      forward(xr, 0);
      for (let c = 0; c < classes; c++) b2[c] -= logits[c] / ref;
    }
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = samples.normal();
      forward(x, i * d);
      let best = 0;
      for (let c = 1; c < classes; c++) if (logits[c] + b2[c] > logits[best] + b2[best]) best = c;
      y[i] = best;
      if (noise > 0) for (let j = 0; j < d; j++) x[i * d + j] += noise * samples.normal();
    }
  }
  if (labelNoise > 0) for (let i = 0; i < n; i++) if (samples.uniform() < labelNoise) y[i] = samples.int(classes);

  const name = opts.name ?? `synthetic/${kind}(d=${d},k=${classes},seed=${seed}${sampleSeed === undefined ? '' : `,sample=${sampleSeed}`})`;
  return { name, x, y, n, shape, classes };
}
