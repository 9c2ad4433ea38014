// NPY reader and writer (numpy's .npy format, https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html):
// "\x93NUMPY", version, header length (u16 for v1.0, u32 for v2.0/3.0), a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (n, d), }, then the raw data. We read
// little-endian f4/f8/u1/i1/i4/i8 in C order — what np.save writes for features and labels
// on every common machine — and reject anything else by name.

import type { Dataset } from './dataset.js';
import { DataFormatError } from './errors.js';
import { readDataFile } from './file.js';
import { checkInt } from './validate.js';

export type NpyDtype = 'f32' | 'f64' | 'u8' | 'i8' | 'i32' | 'i64';
export type NpyData = Float32Array | Float64Array | Uint8Array | Int8Array | Int32Array | BigInt64Array;

export interface NpyArray {
  dtype: NpyDtype;
  shape: number[];
  /** The values in C order (a copy, aligned). */
  data: NpyData;
}

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

const DESCR: Record<string, NpyDtype> = {
  '<f4': 'f32', '<f8': 'f64', '|u1': 'u8', '<u1': 'u8', '|i1': 'i8', '<i1': 'i8', '<i4': 'i32', '<i8': 'i64',
};
const DESCR_OUT: Record<NpyDtype, string> = { f32: '<f4', f64: '<f8', u8: '|u1', i8: '|i1', i32: '<i4', i64: '<i8' };
const BYTES: Record<NpyDtype, number> = { f32: 4, f64: 8, u8: 1, i8: 1, i32: 4, i64: 8 };

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Parses an .npy file held in memory; `file` names it in errors. */
export function parseNpy(bytes: Uint8Array, file = '<npy buffer>'): NpyArray {
  if (!(bytes instanceof Uint8Array)) throw new DataFormatError(file, 'expected the file contents as a Uint8Array');
  if (bytes.length < 10) throw new DataFormatError(file, `truncated header: expected at least 10 bytes, got ${bytes.length}`);
  if (MAGIC.some((m, i) => bytes[i] !== m)) throw new DataFormatError(file, 'bad magic number: not an NPY file (expected \\x93NUMPY)');
  const major = bytes[6];
  const minor = bytes[7];
  if (major < 1 || major > 3) throw new DataFormatError(file, `bad header: unsupported NPY version ${major}.${minor} (expected 1.0, 2.0 or 3.0)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = major === 1 ? 10 : 12;
  if (bytes.length < start) throw new DataFormatError(file, `truncated header: expected at least ${start} bytes, got ${bytes.length}`);
  const hlen = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  const dataStart = start + hlen;
  if (bytes.length < dataStart) throw new DataFormatError(file, `truncated header: expected ${dataStart} header bytes, got ${bytes.length}`);
  const header = new TextDecoder(major === 3 ? 'utf-8' : 'latin1').decode(bytes.subarray(start, dataStart));

  const descrM = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(header);
  const fortranM = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(header);
  const shapeM = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(header);
  if (!header.trimStart().startsWith('{')) throw new DataFormatError(file, `bad header: expected a dict literal, got ${JSON.stringify(header.slice(0, 60))}`);
  if (!descrM) {
    if (/['"]descr['"]\s*:\s*\[/.test(header)) throw new DataFormatError(file, 'unsupported dtype: structured arrays (record dtypes) are not supported');
    throw new DataFormatError(file, `bad header: no 'descr' entry in ${JSON.stringify(header.trim())}`);
  }
  if (!fortranM) throw new DataFormatError(file, `bad header: no 'fortran_order' entry in ${JSON.stringify(header.trim())}`);
  if (!shapeM) throw new DataFormatError(file, `bad header: no 'shape' tuple in ${JSON.stringify(header.trim())}`);
  const descr = descrM[2];
  const dtype = DESCR[descr];
  if (dtype === undefined)
    throw new DataFormatError(file, `unsupported dtype '${descr}'${descr.startsWith('>') ? ' (big-endian)' : ''}: expected one of ${Object.keys(DESCR).join(', ')}`);
  if (fortranM[1] === 'True')
    throw new DataFormatError(file, 'fortran_order is True: only C-order arrays are supported (save with np.ascontiguousarray)');
  const shape: number[] = [];
  for (const part of shapeM[1].split(',').map((s) => s.trim()).filter((s) => s.length > 0)) {
    if (!/^\d+L?$/.test(part)) throw new DataFormatError(file, `bad header: shape entry '${part}' is not a non-negative integer`);
    shape.push(Number.parseInt(part, 10));
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const expected = dataStart + count * BYTES[dtype];
  if (bytes.length < expected) throw new DataFormatError(file, `truncated: expected ${expected} bytes for ${descr} shape (${shape.join(', ')}), got ${bytes.length}`);
  if (bytes.length > expected) throw new DataFormatError(file, `trailing data: expected ${expected} bytes for ${descr} shape (${shape.join(', ')}), got ${bytes.length}`);
  if (!LITTLE_ENDIAN_HOST && BYTES[dtype] > 1) throw new DataFormatError(file, 'little-endian data on a big-endian host is not supported');
  // Copy into a fresh, aligned buffer. (Not bytes.slice: on a Node Buffer that is a view
  // into a shared pool, whose .buffer holds other data.)
  const buf = new Uint8Array(bytes.subarray(dataStart, expected)).buffer;
  const data: NpyData =
    dtype === 'f32' ? new Float32Array(buf) : dtype === 'f64' ? new Float64Array(buf) : dtype === 'u8' ? new Uint8Array(buf)
      : dtype === 'i8' ? new Int8Array(buf) : dtype === 'i32' ? new Int32Array(buf) : new BigInt64Array(buf);
  return { dtype, shape, data };
}

function dtypeOf(data: NpyData): NpyDtype {
  if (data instanceof Float32Array) return 'f32';
  if (data instanceof Float64Array) return 'f64';
  if (data instanceof Uint8Array) return 'u8';
  if (data instanceof Int8Array) return 'i8';
  if (data instanceof Int32Array) return 'i32';
  if (data instanceof BigInt64Array) return 'i64';
  throw new DataFormatError('<npy encode>', 'unsupported data type: expected Float32Array, Float64Array, Uint8Array, Int8Array, Int32Array or BigInt64Array');
}

/** Encodes a C-order array as .npy (version 1.0, or 2.0 when the header needs it). */
export function encodeNpy(data: NpyData, shape: number[]): Uint8Array {
  const dtype = dtypeOf(data);
  if (!Array.isArray(shape) || shape.some((d) => !Number.isInteger(d) || d < 0))
    throw new DataFormatError('<npy encode>', `wrong dims: shape ${JSON.stringify(shape)} must be a list of non-negative integers`);
  const count = shape.reduce((a, b) => a * b, 1);
  if (data.length !== count) throw new DataFormatError('<npy encode>', `data length ${data.length} ≠ prod(shape) = ${count}`);
  const tuple = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${DESCR_OUT[dtype]}', 'fortran_order': False, 'shape': ${tuple}, }`;
  // Pad with spaces + '\n' so the data starts on a 64-byte boundary, as numpy does.
  // Version 1.0 stores the header length as u16; longer headers (huge rank) need 2.0's u32.
  let major = 1;
  let pre = 10;
  let total = Math.ceil((pre + dict.length + 1) / 64) * 64;
  if (total - pre > 0xffff) { major = 2; pre = 12; total = Math.ceil((pre + dict.length + 1) / 64) * 64; }
  const header = dict.padEnd(total - pre - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = major; out[7] = 0;
  const v = new DataView(out.buffer);
  if (major === 1) v.setUint16(8, header.length, true); else v.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}

/** Reads and parses an .npy file (Node; gzip'd files are decompressed). */
export async function readNpyFile(path: string): Promise<NpyArray> {
  return parseNpy(await readDataFile(path), path);
}

/** Writes an array to an .npy file (Node). */
export async function writeNpyFile(path: string, data: NpyData, shape: number[]): Promise<void> {
  const bytes = encodeNpy(data, shape);
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, bytes);
}

export interface NpyDatasetOptions {
  /** Number of classes; default max(label) + 1. Labels must lie in [0, classes). */
  classes?: number;
  /** Dataset name; default the features file name. */
  name?: string;
  featuresFile?: string;
  labelsFile?: string;
}

/**
 * A Dataset from a features array [n, ...shape] (any supported dtype, converted to f32; NaN
 * or ±Inf rejected) and a labels array [n] or [n, 1] of integer class ids (integer dtype,
 * or float holding integers). For user-provided features such as TIMIT frames (F2, shape [d]).
 */
export function npyDatasetFromArrays(features: NpyArray, labels: NpyArray, opts: NpyDatasetOptions = {}): Dataset {
  const ff = opts.featuresFile ?? '<features>';
  const lf = opts.labelsFile ?? '<labels>';
  if (features.shape.length < 2)
    throw new DataFormatError(ff, `wrong dims: features must be [n, ...sample shape] with at least 2 dimensions, got (${features.shape.join(', ')})`);
  const n = features.shape[0];
  const shape = features.shape.slice(1);
  if (n === 0) throw new DataFormatError(ff, 'no samples: features have n = 0');
  if (shape.some((d) => d === 0)) throw new DataFormatError(ff, `wrong dims: sample shape (${shape.join(', ')}) has a zero dimension`);
  const ls = labels.shape;
  if (!(ls.length === 1 || (ls.length === 2 && ls[1] === 1)))
    throw new DataFormatError(lf, `wrong dims: labels must be [n] or [n, 1], got (${ls.join(', ')})`);
  if (ls[0] !== n) throw new DataFormatError(lf, `label/feature count mismatch: ${ls[0]} labels but ${n} samples in ${ff}`);

  const src = features.data;
  const x = src instanceof Float32Array ? src.slice() : new Float32Array(src.length);
  if (src instanceof BigInt64Array) for (let i = 0; i < src.length; i++) x[i] = Number(src[i]);
  else if (!(src instanceof Float32Array)) x.set(src);
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(x[i])) {
      const s = x.length / n;
      throw new DataFormatError(ff, `non-finite value ${x[i]} at sample ${Math.floor(i / s)}, element ${i % s}${Number.isFinite(Number(src[i])) ? ' (overflows f32)' : ''}`);
    }
  }
  const y = new Int32Array(n);
  const ld = labels.data;
  let max = 0;
  for (let i = 0; i < n; i++) {
    const v = Number(ld[i]);
    if (!Number.isInteger(v) || v < 0 || v > 0x7fffffff)
      throw new DataFormatError(lf, `label out of range: label ${v} at index ${i} is not a non-negative integer class id`);
    y[i] = v;
    if (v > max) max = v;
  }
  const classes = opts.classes === undefined ? max + 1 : checkInt('classes', opts.classes, 1);
  if (max >= classes) {
    const at = y.findIndex((v) => v >= classes);
    throw new DataFormatError(lf, `label out of range: label ${y[at]} at index ${at}, expected [0, ${classes})`);
  }
  return { name: opts.name ?? ff, x, y, n, shape, classes };
}

/** Node: loads a features .npy and a labels .npy into a Dataset (see npyDatasetFromArrays). */
export async function loadNpyDataset(featuresPath: string, labelsPath: string, opts: Omit<NpyDatasetOptions, 'featuresFile' | 'labelsFile'> = {}): Promise<Dataset> {
  const [f, l] = await Promise.all([readNpyFile(featuresPath), readNpyFile(labelsPath)]);
  return npyDatasetFromArrays(f, l, { ...opts, featuresFile: featuresPath, labelsFile: labelsPath });
}
