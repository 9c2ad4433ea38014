// Seeded batch augmentation for image batches (HWC rows): random shifts — zero padding by
// `shift` pixels then a random crop back to H×W, i.e. a translation by (dy, dx) uniform in
// [−shift, shift]² with zeros entering — and random horizontal flips. Applied in place to a
// batch already in the trainer's input buffer. Shifts suit MNIST digits and CIFAR alike; flips
// suit CIFAR's natural images but not digits (a mirrored 2 or 7 is not a digit), so they are off
// unless asked for. Each row of the output is one typed-array copy (no per-pixel JS loop) except
// for flipped samples, which are reversed pixel by pixel.
import { DataArgumentError, DataTypeError } from './errors.js';
import type { Rng } from '../util/rng.js';
import { checkInt } from './validate.js';

export interface AugmentOptions {
  /** Maximum shift in pixels, both axes (pad + random crop); 0 = none. */
  shift?: number;
  /** Random horizontal flips with probability 1/2 (default false). */
  flip?: boolean;
}

/** What augmentBatch did to one sample (dy, dx: content moved down/right by that many pixels). */
export interface SampleTransform { dy: number; dx: number; flip: boolean }

/** Checks augmentation options against an image shape [H, W, C]; `argument` names the field in errors. */
export function checkAugment(opts: unknown, shape: readonly number[], argument = 'augment'): Required<AugmentOptions> {
  if (opts === null || typeof opts !== 'object' || Array.isArray(opts)) throw new DataTypeError(argument, 'must be an object like { shift: 2, flip: false }');
  const o = opts as AugmentOptions;
  for (const key of Object.keys(o)) if (key !== 'shift' && key !== 'flip') throw new DataArgumentError(`${argument}.${key}`, 'is not an augmentation option (shift, flip)');
  if (shape.length !== 3) throw new DataArgumentError(argument, `needs image samples [H, W, C]; the data has shape [${shape.join(', ')}]`);
  const shift = o.shift === undefined ? 0 : checkInt(`${argument}.shift`, o.shift, 0, Math.min(shape[0], shape[1]) - 1);
  if (o.flip !== undefined && typeof o.flip !== 'boolean') throw new DataTypeError(`${argument}.flip`, `must be a boolean, got ${JSON.stringify(o.flip)}`);
  const flip = o.flip ?? false;
  if (shift === 0 && !flip) throw new DataArgumentError(argument, 'does nothing: give shift ≥ 1 and/or flip: true');
  return { shift, flip };
}

/**
 * Augments `batch` samples of shape [H, W, C] in x (row-major, in place) with draws from `rng`
 * (per sample: dy, dx, then the flip coin if flips are on). Returns what was done to each.
 */
export function augmentBatch(x: Float32Array, batch: number, shape: readonly number[], opts: AugmentOptions, rng: Rng): SampleTransform[] {
  const { shift, flip } = checkAugment(opts, shape);
  if (!(x instanceof Float32Array)) throw new DataTypeError('x', 'must be a Float32Array');
  const [H, W, C] = shape;
  const size = H * W * C, row = W * C;
  checkInt('batch', batch, 1);
  if (x.length < batch * size) throw new DataArgumentError('x', `holds ${x.length} floats, need ${batch} × ${size}`);
  const tmp = new Float32Array(size);
  const done: SampleTransform[] = [];
  for (let s = 0; s < batch; s++) {
    const dy = shift ? rng.int(2 * shift + 1) - shift : 0;
    const dx = shift ? rng.int(2 * shift + 1) - shift : 0;
    const f = flip ? rng.int(2) === 1 : false;
    done.push({ dy, dx, flip: f });
    if (dy === 0 && dx === 0 && !f) continue;
    const sample = x.subarray(s * size, (s + 1) * size);
    tmp.set(sample);
    sample.fill(0);
    // out(i, j) = in(i − dy, j − dx) where inside the image; zero otherwise.
    const j0 = Math.max(0, dx), j1 = Math.min(W, W + dx); // output columns with a source
    if (j1 > j0) {
      for (let i = Math.max(0, dy); i < Math.min(H, H + dy); i++) {
        const src = (i - dy) * row + (j0 - dx) * C;
        sample.set(tmp.subarray(src, src + (j1 - j0) * C), i * row + j0 * C);
      }
    }
    if (f) {
      for (let i = 0; i < H; i++) {
        const r = sample.subarray(i * row, (i + 1) * row);
        for (let a = 0, b = W - 1; a < b; a++, b--) {
          for (let c = 0; c < C; c++) { const t = r[a * C + c]; r[a * C + c] = r[b * C + c]; r[b * C + c] = t; }
        }
      }
    }
  }
  return done;
}
