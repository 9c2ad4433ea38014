import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { parseIdx, readIdxFile, encodeIdx, type IdxArray } from '../../src/data/idx.js';
import { DataFileError, DataFormatError } from '../../src/data/errors.js';

function catchErr(fn: () => unknown): unknown {
  try { fn(); } catch (e) { return e; }
  throw new Error('expected an error');
}

// An IDX file written byte by byte from the spec, independent of encodeIdx.
function idxBytes(code: number, dims: number[], payload: number[]): Uint8Array {
  const out = [0, 0, code, dims.length];
  for (const d of dims) out.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255);
  return new Uint8Array([...out, ...payload]);
}

describe('parseIdx', () => {
  it('reads a ubyte rank-3 file written from the spec, zero-copy', () => {
    const b = idxBytes(0x08, [2, 1, 3], [0, 1, 2, 253, 254, 255]);
    const a = parseIdx(b, 'x');
    expect(a.dtype).toBe('u8');
    expect(a.shape).toEqual([2, 1, 3]);
    expect(Array.from(a.data)).toEqual([0, 1, 2, 253, 254, 255]);
    expect(a.data.buffer).toBe(b.buffer);
  });

  it('reads big-endian int, short, float and double', () => {
    expect(Array.from(parseIdx(idxBytes(0x0c, [2], [0xff, 0xff, 0xff, 0xfe, 0, 0, 1, 0])).data)).toEqual([-2, 256]);
    expect(Array.from(parseIdx(idxBytes(0x0b, [1], [0x80, 0x00])).data)).toEqual([-32768]);
    expect(Array.from(parseIdx(idxBytes(0x0d, [1], [0x3f, 0xc0, 0, 0])).data)).toEqual([1.5]);
    expect(Array.from(parseIdx(idxBytes(0x0e, [1], [0xc0, 0x04, 0, 0, 0, 0, 0, 0])).data)).toEqual([-2.5]);
    expect(Array.from(parseIdx(idxBytes(0x09, [2], [0xff, 0x7f])).data)).toEqual([-1, 127]);
  });

  it('round-trips every dtype through encodeIdx', () => {
    const cases: IdxArray[] = [
      { dtype: 'u8', shape: [3], data: new Uint8Array([0, 9, 255]) },
      { dtype: 'i8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      { dtype: 'i16', shape: [1, 3], data: new Int16Array([-300, 1, 32767]) },
      { dtype: 'i32', shape: [3], data: new Int32Array([-(2 ** 31), 5, 2 ** 31 - 1]) },
      { dtype: 'f32', shape: [3, 1], data: new Float32Array([-0.25, 1e-30, 3e38]) },
      { dtype: 'f64', shape: [3], data: new Float64Array([Math.PI, -1e300, 0]) },
    ];
    for (const c of cases) {
      const back = parseIdx(encodeIdx(c));
      expect(back.dtype).toBe(c.dtype);
      expect(back.shape).toEqual(c.shape);
      expect(Array.from(back.data)).toEqual(Array.from(c.data));
    }
  });

  it('honours a subarray with a non-zero byteOffset', () => {
    const inner = idxBytes(0x0c, [1], [0, 0, 0, 42]);
    const outer = new Uint8Array(inner.length + 3);
    outer.set(inner, 3);
    expect(Array.from(parseIdx(outer.subarray(3)).data)).toEqual([42]);
  });

  it('rejects a bad magic number, naming the file and the magic', () => {
    const e = catchErr(() => parseIdx(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]), 'f.idx')) as DataFormatError;
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.file).toBe('f.idx');
    expect(e.message).toMatch(/^f\.idx: bad magic number 0x1F8B0800/);
    expect(() => parseIdx(idxBytes(0x07, [1], [0]), 'f')).toThrow(/bad magic number 0x00000701/);
  });

  it('rejects truncated headers', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8]), 'f')).toThrow(/truncated header: expected at least 4 bytes, got 3/);
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1, 0, 0]), 'f')).toThrow(/truncated header: expected 16 bytes for 3 dimensions, got 10/);
  });

  it('rejects truncated and over-long data with byte counts', () => {
    const e = catchErr(() => parseIdx(idxBytes(0x08, [2, 2, 2], [1, 2, 3]), 'imgs')) as DataFormatError;
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.message).toBe('imgs: truncated: expected 24 bytes for shape [2, 2, 2], got 19');
    expect(() => parseIdx(idxBytes(0x0c, [1], [0, 0, 0, 1, 9]), 'f')).toThrow(/trailing data: expected 12 bytes .* got 13/);
    // Dims that would need gigabytes fail on the size check, before any allocation.
    expect(() => parseIdx(idxBytes(0x0e, [0xffffffff, 0xffffffff], []), 'f')).toThrow(/truncated: expected \d+ bytes/);
  });

  it('rejects a rank of 0, a wrong rank and a wrong dtype when asked', () => {
    expect(() => parseIdx(new Uint8Array([0, 0, 8, 0]), 'f')).toThrow(/wrong dims: IDX rank is 0/);
    expect(() => parseIdx(idxBytes(0x08, [3], [1, 2, 3]), 'lbl', { rank: 3 })).toThrow(/lbl: wrong dims: expected 3 dimensions, got 1/);
    expect(() => parseIdx(idxBytes(0x0d, [1], [0, 0, 0, 0]), 'f', { dtype: 'u8' })).toThrow(/unsupported dtype float \(0x0D\): expected unsigned byte \(0x08\)/);
  });
});

describe('readIdxFile', () => {
  let dir: string;
  beforeAll(async () => { dir = await mkdtemp(join(tmpdir(), 'lbgap-idx-')); });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('reads raw and gzip files', async () => {
    const b = idxBytes(0x08, [4], [4, 3, 2, 1]);
    await writeFile(join(dir, 'a'), b);
    await writeFile(join(dir, 'a.gz'), gzipSync(b));
    expect(Array.from((await readIdxFile(join(dir, 'a'))).data)).toEqual([4, 3, 2, 1]);
    expect(Array.from((await readIdxFile(join(dir, 'a.gz'))).data)).toEqual([4, 3, 2, 1]);
  });

  it('names the path of a missing file', async () => {
    const p = join(dir, 'nope-idx1-ubyte');
    const e = await readIdxFile(p).catch((x) => x);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.file).toBe(p);
    expect(e.code).toBe('ENOENT');
    expect(e.message).toBe(`${p}: file not found`);
  });

  it('rejects a directory, a corrupt gzip and a .gz that is not gzip', async () => {
    await expect(readIdxFile(dir)).rejects.toThrow(/is a directory/);
    const gz = gzipSync(idxBytes(0x08, [4], [1, 2, 3, 4]));
    await writeFile(join(dir, 'bad.gz'), gz.subarray(0, gz.length - 6));
    await expect(readIdxFile(join(dir, 'bad.gz'))).rejects.toThrow(/bad\.gz: corrupt gzip data/);
    await writeFile(join(dir, 'plain.gz'), idxBytes(0x08, [1], [1]));
    await expect(readIdxFile(join(dir, 'plain.gz'))).rejects.toThrow(/named \.gz but does not start with the gzip magic/);
  });
});
