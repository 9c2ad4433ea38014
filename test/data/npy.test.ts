import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  parseNpy, encodeNpy, readNpyFile, writeNpyFile, loadNpyDataset, npyDatasetFromArrays, type NpyArray,
} from '../../src/data/npy.js';
import { DataFileError, DataFormatError } from '../../src/data/errors.js';

// NpyData includes BigInt64Array; tests compare plain arrays of numbers or bigints.
const vals = (a: NpyArray): unknown[] => Array.from(a.data as ArrayLike<unknown>);

const FIX = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'npy');

function npyWithHeader(header: string, payload: Uint8Array = new Uint8Array(0), version = 1): Uint8Array {
  const pre = version === 1 ? 10 : 12;
  const out = new Uint8Array(pre + header.length + payload.length);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  const v = new DataView(out.buffer);
  if (version === 1) v.setUint16(8, header.length, true); else v.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[pre + i] = header.charCodeAt(i);
  out.set(payload, pre + header.length);
  return out;
}

describe('parseNpy on files written by numpy (test/fixtures/npy/make_fixtures.py)', () => {
  it('reads <f4, <f8, |u1, <i4, <i8 and a v2.0 header', async () => {
    const f4 = await readNpyFile(join(FIX, 'f4_2x3.npy'));
    expect(f4.dtype).toBe('f32');
    expect(f4.shape).toEqual([2, 3]);
    expect(vals(f4)).toEqual([-1, -0.5, 0, 0.5, 1, 1.5]);
    const f8 = await readNpyFile(join(FIX, 'f8_2x3.npy'));
    expect(f8.dtype).toBe('f64');
    expect(vals(f8)).toEqual([0, 1, 2, 3, 4, 5].map((v) => v / 3));
    const u1 = await readNpyFile(join(FIX, 'u1_6.npy'));
    expect(u1).toMatchObject({ dtype: 'u8', shape: [6] });
    expect(vals(u1)).toEqual([0, 1, 2, 127, 128, 255]);
    expect(vals(await readNpyFile(join(FIX, 'i4_3.npy')))).toEqual([-7, 0, 2147483647]);
    const i8 = await readNpyFile(join(FIX, 'i8_3.npy'));
    expect(i8.dtype).toBe('i64');
    expect(vals(i8)).toEqual([2n, 0n, 1n]);
    const v2 = await readNpyFile(join(FIX, 'f4_v2_2x2.npy'));
    expect(v2.shape).toEqual([2, 2]);
    expect(vals(v2)).toEqual([1, 2, 3, 4]);
    const scalar = await readNpyFile(join(FIX, 'f4_scalar.npy'));
    expect(scalar.shape).toEqual([]);
    expect(vals(scalar)).toEqual([2.5]);
  });

  it('rejects fortran order, big-endian and complex dtypes by name', async () => {
    await expect(readNpyFile(join(FIX, 'f4_fortran_2x3.npy'))).rejects.toThrow(/f4_fortran_2x3\.npy: fortran_order is True: only C-order/);
    await expect(readNpyFile(join(FIX, 'f4_bigendian_3.npy'))).rejects.toThrow(/unsupported dtype '>f4' \(big-endian\)/);
    const e = await readNpyFile(join(FIX, 'c8_2.npy')).catch((x) => x);
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.file).toBe(join(FIX, 'c8_2.npy'));
    expect(e.message).toMatch(/unsupported dtype '<c8'/);
  });
});

describe('encodeNpy', () => {
  it('round-trips every dtype with 64-byte aligned data', () => {
    const cases: NpyArray[] = [
      { dtype: 'f32', shape: [2, 2], data: new Float32Array([1.5, -2, 3e-8, 0]) },
      { dtype: 'f64', shape: [3], data: new Float64Array([Math.E, -1e300, 0]) },
      { dtype: 'u8', shape: [1, 3], data: new Uint8Array([0, 128, 255]) },
      { dtype: 'i8', shape: [2], data: new Int8Array([-128, 127]) },
      { dtype: 'i32', shape: [2, 1, 1], data: new Int32Array([-5, 2 ** 31 - 1]) },
      { dtype: 'i64', shape: [2], data: new BigInt64Array([-(2n ** 62n), 7n]) },
      { dtype: 'f32', shape: [], data: new Float32Array([4]) },
    ];
    for (const c of cases) {
      const bytes = encodeNpy(c.data, c.shape);
      const hlen = new DataView(bytes.buffer).getUint16(8, true);
      expect((10 + hlen) % 64).toBe(0);
      expect(bytes[10 + hlen - 1]).toBe(0x0a);
      const back = parseNpy(bytes);
      expect(back.dtype).toBe(c.dtype);
      expect(back.shape).toEqual(c.shape);
      expect(Array.from(back.data as ArrayLike<unknown>)).toEqual(Array.from(c.data as ArrayLike<unknown>));
    }
  });

  it('writes the header numpy writes for a 1-d array', () => {
    const bytes = encodeNpy(new Float32Array(3), [3]);
    const hlen = new DataView(bytes.buffer).getUint16(8, true);
    const header = new TextDecoder('latin1').decode(bytes.subarray(10, 10 + hlen)).trimEnd();
    expect(header).toBe("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }");
  });

  it('rejects shape/data mismatch', () => {
    expect(() => encodeNpy(new Float32Array(5), [2, 3])).toThrow(/data length 5 ≠ prod\(shape\) = 6/);
    expect(() => encodeNpy(new Float32Array(1), [-1])).toThrow(/wrong dims/);
  });
});

describe('parseNpy errors', () => {
  const header = (h: string) => h.padEnd(117, ' ') + '\n';
  const ok = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";

  it('bad magic and unknown version', () => {
    expect(() => parseNpy(new TextEncoder().encode('PK\x03\x04 this is a zip file'), 'a.npz')).toThrow(/a\.npz: bad magic number: not an NPY file/);
    expect(() => parseNpy(npyWithHeader(header(ok), new Uint8Array(8), 9), 'v')).toThrow(/unsupported NPY version 9\.0/);
  });

  it('truncated header, truncated data, trailing data', () => {
    expect(() => parseNpy(new Uint8Array([0x93, 0x4e, 0x55]), 't')).toThrow(/truncated header: expected at least 10 bytes, got 3/);
    expect(() => parseNpy(npyWithHeader(header(ok)).subarray(0, 40), 't')).toThrow(/truncated header: expected 128 header bytes, got 40/);
    expect(() => parseNpy(npyWithHeader(header(ok), new Uint8Array(7)), 't')).toThrow(/t: truncated: expected 136 bytes for <f4 shape \(2\), got 135/);
    expect(() => parseNpy(npyWithHeader(header(ok), new Uint8Array(9)), 't')).toThrow(/trailing data: expected 136 bytes/);
  });

  it('bad headers', () => {
    expect(() => parseNpy(npyWithHeader(header("{'descr': '<f4', 'fortran_order': False}")), 'h')).toThrow(/h: bad header: no 'shape' tuple/);
    expect(() => parseNpy(npyWithHeader(header("{'fortran_order': False, 'shape': (2,)}")), 'h')).toThrow(/bad header: no 'descr' entry/);
    expect(() => parseNpy(npyWithHeader(header("{'descr': '<f4', 'shape': (2,)}")), 'h')).toThrow(/bad header: no 'fortran_order' entry/);
    expect(() => parseNpy(npyWithHeader(header("{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }")), 'h')).toThrow(/shape entry 'x'/);
    expect(() => parseNpy(npyWithHeader(header("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }")), 'h')).toThrow(/structured arrays/);
    expect(() => parseNpy(npyWithHeader(header("garbage")), 'h')).toThrow(/bad header: expected a dict literal/);
  });
});

describe('loadNpyDataset', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lbgap-npy-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('builds a feature dataset of shape [d] from f32/f64 features and integer labels', async () => {
    const fx = join(dir, 'x.npy');
    const fy = join(dir, 'y.npy');
    await writeNpyFile(fx, new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5, 0.6]), [3, 2]);
    await writeNpyFile(fy, new BigInt64Array([2n, 0n, 1n]), [3]);
    expect((await readFile(fx)).subarray(0, 6).toString('latin1')).toBe('\x93NUMPY');
    const ds = await loadNpyDataset(fx, fy);
    expect(ds).toMatchObject({ name: fx, n: 3, shape: [2], classes: 3 });
    expect(Array.from(ds.x)).toEqual([0.1, 0.2, 0.3, 0.4, 0.5, 0.6].map(Math.fround));
    expect(Array.from(ds.y)).toEqual([2, 0, 1]);
    await writeNpyFile(fy, new Float32Array([1, 0, 1]), [3, 1]);
    const ds2 = await loadNpyDataset(fx, fy, { classes: 5, name: 'timit-like' });
    expect(ds2).toMatchObject({ name: 'timit-like', classes: 5 });
    expect(Array.from(ds2.y)).toEqual([1, 0, 1]);
  });

  it('rejects mismatch, bad labels, NaN features and wrong dims', () => {
    const f = (data: Float32Array, shape: number[]): NpyArray => ({ dtype: 'f32', data, shape });
    const i = (v: number[]): NpyArray => ({ dtype: 'i32', data: new Int32Array(v), shape: [v.length] });
    const o = { featuresFile: 'x.npy', labelsFile: 'y.npy' };
    expect(() => npyDatasetFromArrays(f(new Float32Array(6), [3, 2]), i([0, 1]), o)).toThrow(/y\.npy: label\/feature count mismatch: 2 labels but 3 samples in x\.npy/);
    expect(() => npyDatasetFromArrays(f(new Float32Array(4), [2, 2]), i([0, -1]), o)).toThrow(/y\.npy: label out of range: label -1 at index 1/);
    expect(() => npyDatasetFromArrays(f(new Float32Array(4), [2, 2]), i([0, 3]), { ...o, classes: 3 })).toThrow(/label 3 at index 1, expected \[0, 3\)/);
    expect(() => npyDatasetFromArrays(f(new Float32Array(4), [2, 2]), f(new Float32Array([0, 0.5]), [2]), o)).toThrow(/label 0\.5 at index 1 is not a non-negative integer/);
    expect(() => npyDatasetFromArrays(f(new Float32Array([0, 1, NaN, 2]), [2, 2]), i([0, 1]), o)).toThrow(/x\.npy: non-finite value NaN at sample 1, element 0/);
    expect(() => npyDatasetFromArrays({ dtype: 'f64', data: new Float64Array([1e39, 0]), shape: [1, 2] }, i([0]), o)).toThrow(/non-finite value Infinity .*overflows f32/);
    expect(() => npyDatasetFromArrays(f(new Float32Array(4), [4]), i([0, 1, 2, 3]), o)).toThrow(/x\.npy: wrong dims: features must be \[n, \.\.\.sample shape\]/);
    expect(() => npyDatasetFromArrays(f(new Float32Array(4), [2, 2]), { dtype: 'i32', data: new Int32Array(4), shape: [2, 2] }, o)).toThrow(/y\.npy: wrong dims: labels must be \[n\] or \[n, 1\]/);
  });

  it('names a missing features file', async () => {
    const p = join(dir, 'absent.npy');
    const e = await loadNpyDataset(p, p).catch((x) => x);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.message).toBe(`${p}: file not found`);
  });
});
