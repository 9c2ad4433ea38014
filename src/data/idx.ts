// IDX reader (the MNIST file format, http://yann.lecun.com/exdb/mnist/): a 4-byte magic
// 00 00 <dtype> <rank>, then `rank` big-endian uint32 dimensions, then the data big-endian,
// C order. Parsing works on a Uint8Array (browser); readIdxFile adds Node file access and gzip.

import { DataFormatError } from './errors.js';
import { readDataFile } from './file.js';

export type IdxDtype = 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array;

export interface IdxArray {
  dtype: IdxDtype;
  shape: number[];
  /** The values in C order. For 'u8' a zero-copy view into the input bytes. */
  data: IdxData;
}

const DTYPES: Record<number, { dtype: IdxDtype; bytes: number; label: string }> = {
  0x08: { dtype: 'u8', bytes: 1, label: 'unsigned byte (0x08)' },
  0x09: { dtype: 'i8', bytes: 1, label: 'signed byte (0x09)' },
  0x0b: { dtype: 'i16', bytes: 2, label: 'short (0x0B)' },
  0x0c: { dtype: 'i32', bytes: 4, label: 'int (0x0C)' },
  0x0d: { dtype: 'f32', bytes: 4, label: 'float (0x0D)' },
  0x0e: { dtype: 'f64', bytes: 8, label: 'double (0x0E)' },
};
const DTYPE_LABEL = Object.fromEntries(Object.values(DTYPES).map((d) => [d.dtype, d.label])) as Record<IdxDtype, string>;

export interface IdxExpect {
  /** Required element type; anything else is a DataFormatError ("unsupported dtype"). */
  dtype?: IdxDtype;
  /** Required number of dimensions ("wrong dims" otherwise). */
  rank?: number;
}

const hex = (v: number, digits: number) => `0x${v.toString(16).toUpperCase().padStart(digits, '0')}`;

/**
 * Parses an IDX file held in memory. `file` names it in errors. Every inconsistency is a
 * DataFormatError: bad magic, unknown dtype, truncated header or data, trailing bytes, a
 * dtype or rank other than `expect` asks for.
 */
export function parseIdx(bytes: Uint8Array, file = '<idx buffer>', expect: IdxExpect = {}): IdxArray {
  if (!(bytes instanceof Uint8Array)) throw new DataFormatError(file, 'expected the file contents as a Uint8Array');
  if (bytes.length < 4) throw new DataFormatError(file, `truncated header: expected at least 4 bytes, got ${bytes.length}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const code = bytes[2];
  const rank = bytes[3];
  const dt = DTYPES[code];
  if (bytes[0] !== 0 || bytes[1] !== 0 || dt === undefined)
    throw new DataFormatError(file, `bad magic number ${hex(magic, 8)}: not an IDX file (expected 0x0000TTNN with dtype TT in 08,09,0B,0C,0D,0E)`);
  if (rank === 0) throw new DataFormatError(file, 'wrong dims: IDX rank is 0, expected at least 1 dimension');
  if (expect.dtype !== undefined && dt.dtype !== expect.dtype)
    throw new DataFormatError(file, `unsupported dtype ${dt.label}: expected ${DTYPE_LABEL[expect.dtype]}`);
  if (expect.rank !== undefined && rank !== expect.rank)
    throw new DataFormatError(file, `wrong dims: expected ${expect.rank} dimensions, got ${rank} (magic ${hex(magic, 8)})`);
  const headerBytes = 4 + 4 * rank;
  if (bytes.length < headerBytes)
    throw new DataFormatError(file, `truncated header: expected ${headerBytes} bytes for ${rank} dimensions, got ${bytes.length}`);
  const shape: number[] = [];
  let count = 1;
  for (let i = 0; i < rank; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    shape.push(d);
    count *= d;
  }
  const expected = headerBytes + count * dt.bytes;
  if (bytes.length < expected)
    throw new DataFormatError(file, `truncated: expected ${expected} bytes for shape [${shape.join(', ')}], got ${bytes.length}`);
  if (bytes.length > expected)
    throw new DataFormatError(file, `trailing data: expected ${expected} bytes for shape [${shape.join(', ')}], got ${bytes.length}`);
  return { dtype: dt.dtype, shape, data: decode(dt.dtype, view, headerBytes, count, bytes) };
}

function decode(dtype: IdxDtype, view: DataView, off: number, n: number, bytes: Uint8Array): IdxData {
  switch (dtype) {
    case 'u8': return bytes.subarray(off, off + n);
    case 'i8': return new Int8Array(bytes.buffer, bytes.byteOffset + off, n);
    case 'i16': { const a = new Int16Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt16(off + 2 * i, false); return a; }
    case 'i32': { const a = new Int32Array(n); for (let i = 0; i < n; i++) a[i] = view.getInt32(off + 4 * i, false); return a; }
    case 'f32': { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat32(off + 4 * i, false); return a; }
    case 'f64': { const a = new Float64Array(n); for (let i = 0; i < n; i++) a[i] = view.getFloat64(off + 8 * i, false); return a; }
  }
}

/** Reads and parses an IDX file (Node). Gzip'd files (`.gz`) are decompressed first. */
export async function readIdxFile(path: string, expect: IdxExpect = {}): Promise<IdxArray> {
  return parseIdx(await readDataFile(path), path, expect);
}

/** Encodes an array as IDX (big-endian), e.g. to write test fixtures or export a subset. */
export function encodeIdx(arr: IdxArray): Uint8Array {
  const entry = Object.entries(DTYPES).find(([, d]) => d.dtype === arr.dtype);
  if (!entry) throw new DataFormatError('<idx encode>', `unsupported dtype ${String(arr.dtype)}`);
  const [code, dt] = [Number(entry[0]), entry[1]];
  const count = arr.shape.reduce((a, b) => a * b, 1);
  if (arr.shape.length < 1 || arr.shape.length > 255 || arr.shape.some((d) => !Number.isInteger(d) || d < 0 || d > 0xffffffff))
    throw new DataFormatError('<idx encode>', `wrong dims: shape [${arr.shape.join(', ')}] must have 1..255 dimensions of uint32 sizes`);
  if (arr.data.length !== count)
    throw new DataFormatError('<idx encode>', `data length ${arr.data.length} ≠ prod(shape) = ${count}`);
  const header = 4 + 4 * arr.shape.length;
  const out = new Uint8Array(header + count * dt.bytes);
  const v = new DataView(out.buffer);
  out[2] = code; out[3] = arr.shape.length;
  arr.shape.forEach((d, i) => v.setUint32(4 + 4 * i, d, false));
  const src = arr.data;
  switch (arr.dtype) {
    case 'u8': case 'i8': for (let i = 0; i < count; i++) v.setUint8(header + i, src[i] & 0xff); break;
    case 'i16': for (let i = 0; i < count; i++) v.setInt16(header + 2 * i, src[i], false); break;
    case 'i32': for (let i = 0; i < count; i++) v.setInt32(header + 4 * i, src[i], false); break;
    case 'f32': for (let i = 0; i < count; i++) v.setFloat32(header + 4 * i, src[i], false); break;
    case 'f64': for (let i = 0; i < count; i++) v.setFloat64(header + 8 * i, src[i], false); break;
  }
  return out;
}
