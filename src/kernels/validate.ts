// Argument checks run before any Wasm does. Each names the argument it rejects.
import { KernelRangeError, KernelTypeError } from './errors.js';

export function checkBool(name: string, v: unknown): boolean {
  if (typeof v !== 'boolean') throw new KernelTypeError(name, `must be a boolean, got ${describe(v)}`);
  return v;
}

/** A size: an integer ≥ min (0 by default). NaN and non-numbers are type errors. */
export function checkSize(name: string, v: unknown, min = 0): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new KernelTypeError(name, `must be a number, got ${describe(v)}`);
  if (!Number.isInteger(v)) throw new KernelRangeError(name, `must be an integer, got ${v}`);
  if (v < min) throw new KernelRangeError(name, `must be ≥ ${min}, got ${v}`);
  if (v > 0x7fffffff) throw new KernelRangeError(name, `must be < 2^31, got ${v}`);
  return v;
}

export function checkNumber(name: string, v: unknown): number {
  if (typeof v !== 'number') throw new KernelTypeError(name, `must be a number, got ${describe(v)}`);
  return v;
}

export function checkF32(name: string, v: unknown): Float32Array {
  if (!(v instanceof Float32Array)) throw new KernelTypeError(name, `must be a Float32Array, got ${describe(v)}`);
  return v;
}

/** A row-major matrix stored as `rows` x `cols` with leading dimension `ld`. */
export function checkMatrix(name: string, ldName: string, length: number, rows: number, cols: number, ld: number): void {
  if (ld < Math.max(1, cols)) throw new KernelRangeError(ldName, `must be ≥ max(1, ${cols}) (the stored row length of ${name}), got ${ld}`);
  const need = rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
  if (length < need) throw new KernelRangeError(name, `too short: a ${rows}x${cols} matrix with ${ldName}=${ld} needs ${need} elements, got ${length}`);
}

export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'Array';
  if (typeof v === 'object') return (v as object).constructor?.name ?? 'object';
  if (typeof v === 'number' || typeof v === 'boolean') return `${typeof v} ${v}`;
  return typeof v;
}

/** Sizes of a 2-D convolution (see Kernels.conv2dForward): each output window must touch the image. */
export function checkConvShape(g: unknown): void {
  if (typeof g !== 'object' || g === null) throw new KernelTypeError('g', `must be an object of conv sizes, got ${describe(g)}`);
  const s = g as Record<string, unknown>;
  for (const f of ['N', 'H', 'W', 'C', 'KH', 'KW', 'OC', 'SH', 'SW', 'OH', 'OW']) checkSize(`g.${f}`, s[f], 1);
  for (const f of ['padT', 'padL']) checkSize(`g.${f}`, s[f], 0);
  const v = s as Record<string, number>;
  if (v.padT >= v.KH) throw new KernelRangeError('g.padT', `must be < KH = ${v.KH}, got ${v.padT}`);
  if (v.padL >= v.KW) throw new KernelRangeError('g.padL', `must be < KW = ${v.KW}, got ${v.padL}`);
  if ((v.OH - 1) * v.SH - v.padT >= v.H) throw new KernelRangeError('g.OH', `${v.OH} rows: the last window starts at row ${(v.OH - 1) * v.SH - v.padT}, outside H = ${v.H}`);
  if ((v.OW - 1) * v.SW - v.padL >= v.W) throw new KernelRangeError('g.OW', `${v.OW} columns: the last window starts at column ${(v.OW - 1) * v.SW - v.padL}, outside W = ${v.W}`);
  const big = (v.N * Math.max(v.H * v.W * v.C, v.OH * v.OW * Math.max(v.OC, v.KH * v.KW * v.C)));
  if (big > 0x7fffffff) throw new KernelRangeError('g', `tensors of ${big} elements exceed 2^31`);
}
