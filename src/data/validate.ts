// Argument and dataset checks shared by the data modules, so every reader and transform
// rejects the same bad inputs with the same wording.

import { sampleSize, type Dataset } from './dataset.js';
import { DataArgumentError, DataTypeError } from './errors.js';

/** An integer in [min, max]; `argument` names it in the error. */
export function checkInt(argument: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number') throw new DataTypeError(argument, `must be a number, got ${typeof v}`);
  if (!Number.isInteger(v) || v < min || v > max)
    throw new DataArgumentError(argument, `must be an integer in [${min}, ${max}], got ${v}`);
  return v;
}

/** A finite number in [min, max]. */
export function checkFinite(argument: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number') throw new DataTypeError(argument, `must be a number, got ${typeof v}`);
  if (!Number.isFinite(v) || v < min || v > max)
    throw new DataArgumentError(argument, `must be a finite number in [${min}, ${max}], got ${v}`);
  return v;
}

/**
 * Checks a Dataset's internal consistency (types, x.length = n·prod(shape), y.length = n,
 * labels in [0, classes)). Readers build consistent sets; this guards hand-made ones.
 */
export function checkDataset(ds: Dataset, argument = 'dataset'): void {
  if (ds === null || typeof ds !== 'object') throw new DataTypeError(argument, 'must be a Dataset object');
  if (!(ds.x instanceof Float32Array)) throw new DataTypeError(`${argument}.x`, 'must be a Float32Array');
  if (!(ds.y instanceof Int32Array)) throw new DataTypeError(`${argument}.y`, 'must be an Int32Array');
  if (!Array.isArray(ds.shape) || ds.shape.length === 0 || ds.shape.some((d) => !Number.isInteger(d) || d < 1))
    throw new DataArgumentError(`${argument}.shape`, `must be a non-empty list of positive integers, got ${JSON.stringify(ds.shape)}`);
  checkInt(`${argument}.n`, ds.n, 0);
  checkInt(`${argument}.classes`, ds.classes, 1);
  const s = sampleSize(ds);
  if (ds.x.length !== ds.n * s)
    throw new DataArgumentError(`${argument}.x`, `length ${ds.x.length} ≠ n·prod(shape) = ${ds.n}·${s} = ${ds.n * s}`);
  if (ds.y.length !== ds.n) throw new DataArgumentError(`${argument}.y`, `length ${ds.y.length} ≠ n = ${ds.n}`);
}

/** Index of the first label outside [0, classes) (or not an integer), or -1 when all are valid. */
export function findBadLabel(y: ArrayLike<number>, classes: number): number {
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (!(v >= 0 && v < classes && Number.isInteger(v))) return i;
  }
  return -1;
}
