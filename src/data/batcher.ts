// Seeded shuffling and batching. One Batcher per (dataset, batch size); each epoch draws a
// fresh permutation from the caller's Rng, so a seed reproduces the whole sequence of
// batches and a checkpoint of the Rng state resumes it. `gather` copies a batch's rows into
// caller-owned arrays (views into Wasm memory in the trainer) with one typed-array copy per
// row, no per-element JS loop.

import { sampleSize, type Dataset } from './dataset.js';
import { DataArgumentError, DataTypeError } from './errors.js';
import { Rng } from '../util/rng.js';
import { checkDataset, checkInt } from './validate.js';

export interface BatcherOptions {
  /** Drop the last partial batch of an epoch (default false: keep it). */
  dropLast?: boolean;
  /** Shuffle each epoch (default true); false gives 0, 1, …, n−1 every epoch. */
  shuffle?: boolean;
}

export class Batcher {
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly shuffle: boolean;
  /** Floats per sample (prod of the dataset's shape). */
  readonly sampleSize: number;

  constructor(readonly ds: Dataset, batchSize: number, readonly rng: Rng, opts: BatcherOptions = {}) {
    checkDataset(ds);
    if (!(rng instanceof Rng)) throw new DataTypeError('rng', 'must be an Rng (src/util/rng.ts)');
    if (ds.n === 0) throw new DataArgumentError('dataset', `${ds.name} has no samples to batch`);
    this.batchSize = checkInt('batchSize', batchSize, 1);
    if (batchSize > ds.n)
      throw new DataArgumentError('batchSize', `${batchSize} is larger than the ${ds.n} samples of ${ds.name}`);
    this.dropLast = opts.dropLast ?? false;
    this.shuffle = opts.shuffle ?? true;
    this.sampleSize = sampleSize(ds);
  }

  /** Batches per epoch: ceil(n / batchSize), or floor with dropLast. */
  get batchesPerEpoch(): number {
    const n = this.ds.n;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** A fresh permutation of 0..n−1 (drawn from rng when shuffling), one per call. */
  epochOrder(): Int32Array {
    const order = new Int32Array(this.ds.n);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return this.shuffle ? this.rng.shuffle(order) : order;
  }

  /** The indices of batch `b` of an epoch order (a view, no copy); the last may be short. */
  batch(order: Int32Array, b: number): Int32Array {
    if (!(order instanceof Int32Array) || order.length !== this.ds.n)
      throw new DataArgumentError('order', `must be an Int32Array of length ${this.ds.n} from epochOrder()`);
    checkInt('b', b, 0, this.batchesPerEpoch - 1);
    return order.subarray(b * this.batchSize, Math.min((b + 1) * this.batchSize, order.length));
  }

  /** Every batch of one fresh epoch, in order. */
  *epoch(): Generator<Int32Array> {
    const order = this.epochOrder();
    for (let b = 0; b < this.batchesPerEpoch; b++) yield this.batch(order, b);
  }

  /**
   * Copies the samples at `indices` into xOut (row j at j·sampleSize) and their labels into
   * yOut. The outputs may be longer than needed (a buffer sized for a full batch, used for
   * the short last one); they must not be shorter.
   */
  gather(indices: ArrayLike<number>, xOut: Float32Array, yOut: Int32Array): void {
    if (!(xOut instanceof Float32Array)) throw new DataTypeError('xOut', 'must be a Float32Array');
    if (!(yOut instanceof Int32Array)) throw new DataTypeError('yOut', 'must be an Int32Array');
    if (indices === null || typeof indices !== 'object' || typeof indices.length !== 'number')
      throw new DataTypeError('indices', 'must be an array of sample indices');
    const k = indices.length;
    const s = this.sampleSize;
    if (xOut.length < k * s) throw new DataArgumentError('xOut', `length ${xOut.length} is too short for ${k} samples of ${s} floats (${k * s})`);
    if (yOut.length < k) throw new DataArgumentError('yOut', `length ${yOut.length} is too short for ${k} labels`);
    const { x, y, n } = this.ds;
    for (let j = 0; j < k; j++) {
      const i = indices[j];
      if (!(Number.isInteger(i) && i >= 0 && i < n)) throw new DataArgumentError(`indices[${j}]`, `must be an integer in [0, ${n}), got ${i}`);
      xOut.set(x.subarray(i * s, i * s + s), j * s);
      yOut[j] = y[i];
    }
  }
}
