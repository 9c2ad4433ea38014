// Dataset transforms: per-channel standardization (statistics from a training set, applied
// to any set), index subsets and seeded random splits. Channels are the last axis of the
// sample shape: RGB for HWC images, each feature for [d] vectors.

import { sampleSize, type Dataset } from './dataset.js';
import { DataArgumentError, DataFormatError } from './errors.js';
import { Rng } from '../util/rng.js';
import { checkDataset, checkFinite } from './validate.js';

export interface ChannelStats {
  /** Per-channel mean over all samples and positions. */
  mean: number[];
  /** Per-channel population standard deviation. */
  std: number[];
}

function channels(ds: Dataset): number {
  return ds.shape[ds.shape.length - 1];
}

/**
 * Per-channel mean and population std of `ds.x`, accumulated in f64 (two passes, so no
 * catastrophic cancellation). NaN or ±Inf in the data is a DataFormatError naming the sample.
 */
export function channelStats(ds: Dataset): ChannelStats {
  checkDataset(ds);
  if (ds.n === 0) throw new DataArgumentError('dataset', `${ds.name} has no samples; statistics are undefined`);
  const c = channels(ds);
  const x = ds.x;
  const sum = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) {
      const s = sampleSize(ds);
      throw new DataFormatError(ds.name, `non-finite value ${v} at sample ${Math.floor(i / s)}, element ${i % s}`);
    }
    sum[i % c] += v;
  }
  const count = x.length / c;
  const mean = Array.from(sum, (s) => s / count);
  const sq = new Float64Array(c);
  for (let i = 0; i < x.length; i++) {
    const dv = x[i] - mean[i % c];
    sq[i % c] += dv * dv;
  }
  return { mean, std: Array.from(sq, (s) => Math.sqrt(s / count)) };
}

/**
 * (x − mean) / std per channel, into a new Dataset (or in place with `inPlace`, to spare
 * memory on CIFAR-sized sets). A channel with std = 0 (constant) is only centered.
 */
export function applyNormalization(ds: Dataset, stats: ChannelStats, opts: { inPlace?: boolean } = {}): Dataset {
  checkDataset(ds);
  const c = channels(ds);
  if (!stats || !Array.isArray(stats.mean) || !Array.isArray(stats.std) || stats.mean.length !== c || stats.std.length !== c)
    throw new DataArgumentError('stats', `must hold ${c} means and ${c} stds for ${ds.name} (last axis of shape [${ds.shape.join(', ')}]), got ${stats?.mean?.length} and ${stats?.std?.length}`);
  stats.mean.forEach((m, k) => checkFinite(`stats.mean[${k}]`, m));
  stats.std.forEach((s, k) => checkFinite(`stats.std[${k}]`, s, 0));
  const scale = stats.std.map((s) => (s > 0 ? 1 / s : 1));
  const src = ds.x;
  const x = opts.inPlace ? src : new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) {
    const k = i % c;
    x[i] = (src[i] - stats.mean[k]) * scale[k];
  }
  return opts.inPlace ? ds : { ...ds, x, shape: ds.shape.slice() };
}

/** Stats of `train` applied to `train` and returned, ready to apply to the test set. */
export function normalize(train: Dataset, opts: { inPlace?: boolean } = {}): { dataset: Dataset; stats: ChannelStats } {
  const stats = channelStats(train);
  return { dataset: applyNormalization(train, stats, opts), stats };
}

/** The samples at `indices` (in that order, repeats allowed), copied. */
export function subset(ds: Dataset, indices: ArrayLike<number>, name?: string): Dataset {
  checkDataset(ds);
  if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number')
    throw new DataArgumentError('indices', 'must be an array of sample indices');
  const s = sampleSize(ds);
  const k = indices.length;
  const x = new Float32Array(k * s);
  const y = new Int32Array(k);
  for (let j = 0; j < k; j++) {
    const i = indices[j];
    if (!(Number.isInteger(i) && i >= 0 && i < ds.n))
      throw new DataArgumentError(`indices[${j}]`, `must be an integer in [0, ${ds.n}), got ${i}`);
    x.set(ds.x.subarray(i * s, i * s + s), j * s);
    y[j] = ds.y[i];
  }
  return { name: name ?? `${ds.name}[subset of ${k}]`, x, y, n: k, shape: ds.shape.slice(), classes: ds.classes };
}

/**
 * A seeded random split: the first part gets round(fraction·n) samples, the second the rest;
 * both must be non-empty. Same seed → same split.
 */
export function split(ds: Dataset, fraction: number, seed: number): [Dataset, Dataset] {
  checkDataset(ds);
  checkFinite('fraction', fraction, 0, 1);
  checkFinite('seed', seed);
  const k = Math.round(fraction * ds.n);
  if (k < 1 || k > ds.n - 1)
    throw new DataArgumentError('fraction', `${fraction} of ${ds.n} samples gives parts of ${k} and ${ds.n - k}; both must be non-empty`);
  const order = new Int32Array(ds.n);
  for (let i = 0; i < ds.n; i++) order[i] = i;
  new Rng(seed).shuffle(order);
  // Each part keeps the original sample order (sorted indices): a split, not a shuffle.
  return [
    subset(ds, order.subarray(0, k).sort(), `${ds.name}[split ${fraction} seed ${seed}: part 1]`),
    subset(ds, order.subarray(k).sort(), `${ds.name}[split ${fraction} seed ${seed}: part 2]`),
  ];
}

