import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cifarFromBuffers, loadCifar10, loadCifar100, loadCifarFiles, cifarRecordBytes } from '../../src/data/cifar.js';
import { DataArgumentError, DataFileError, DataFormatError } from '../../src/data/errors.js';

// Records in the published layout: label byte(s), then 1024 R, 1024 G, 1024 B (row-major).
// Pixel value of (record r, channel c, row h, col w) is a hash so any transpose mistake shows.
const pixel = (r: number, c: number, h: number, w: number) => (r * 131 + c * 71 + h * 7 + w * 3 + h * w) % 256;
function records(labels: number[][], first = 0): Uint8Array {
  const lb = labels[0]?.length ?? 1;
  const rec = lb + 3072;
  const out = new Uint8Array(labels.length * rec);
  labels.forEach((l, r) => {
    out.set(l, r * rec);
    for (let c = 0; c < 3; c++) for (let h = 0; h < 32; h++) for (let w = 0; w < 32; w++)
      out[r * rec + lb + c * 1024 + h * 32 + w] = pixel(first + r, c, h, w);
  });
  return out;
}

// f64 reference of the HWC conversion for one sample.
function expectHwc(x: Float32Array, i: number, r: number) {
  for (let h = 0; h < 32; h++) for (let w = 0; w < 32; w++) for (let c = 0; c < 3; c++) {
    const got = x[i * 3072 + (h * 32 + w) * 3 + c];
    if (got !== Math.fround(pixel(r, c, h, w) / 255)) throw new Error(`sample ${i} (h${h}, w${w}, c${c}): ${got}`);
  }
}

describe('cifarFromBuffers', () => {
  it('converts CHW planar records to HWC f32 in [0, 1] (CIFAR-10)', () => {
    expect(cifarRecordBytes('cifar10')).toBe(3073);
    const ds = cifarFromBuffers([{ file: 'a.bin', bytes: records([[3], [9], [0]]) }], 'cifar10', 'c10');
    expect(ds).toMatchObject({ name: 'c10', n: 3, shape: [32, 32, 3], classes: 10 });
    expect(Array.from(ds.y)).toEqual([3, 9, 0]);
    for (let i = 0; i < 3; i++) expectHwc(ds.x, i, i);
  });

  it('concatenates files in order and honours limit across files', () => {
    const files = [{ file: 'a', bytes: records([[1], [2]], 0) }, { file: 'b', bytes: records([[3]], 2) }];
    const ds = cifarFromBuffers(files, 'cifar10', 'c');
    expect(Array.from(ds.y)).toEqual([1, 2, 3]);
    expectHwc(ds.x, 2, 2);
    const lim = cifarFromBuffers(files, 'cifar10', 'c', { limit: 2 });
    expect(lim.n).toBe(2);
    expect(lim.x.length).toBe(2 * 3072);
  });

  it('CIFAR-100: fine labels by default, coarse on request', () => {
    expect(cifarRecordBytes('cifar100')).toBe(3074);
    const bytes = records([[19, 99], [0, 42]]);
    const fine = cifarFromBuffers([{ file: 'train.bin', bytes }], 'cifar100', 'c100');
    expect(fine.classes).toBe(100);
    expect(Array.from(fine.y)).toEqual([99, 42]);
    expectHwc(fine.x, 1, 1);
    const coarse = cifarFromBuffers([{ file: 'train.bin', bytes }], 'cifar100', 'c100', { labels: 'coarse' });
    expect(coarse.classes).toBe(20);
    expect(Array.from(coarse.y)).toEqual([19, 0]);
    expect(() => cifarFromBuffers([{ file: 'x', bytes: records([[1]]) }], 'cifar10', 'c', { labels: 'coarse' })).toThrow(DataArgumentError);
  });

  it('rejects a size that is not a multiple of the record, naming the file', () => {
    const b = records([[1], [2]]);
    const e = (() => { try { cifarFromBuffers([{ file: 'data_batch_1.bin', bytes: b.subarray(0, b.length - 5) }], 'cifar10', 'c'); } catch (x) { return x; } })() as DataFormatError;
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.file).toBe('data_batch_1.bin');
    expect(e.message).toMatch(/size 6141 bytes is not a multiple of the 3073-byte CIFAR-10 record \(1 records \+ 3068 bytes\)/);
    // A CIFAR-100 file read as CIFAR-10 (3074 × 3073 is the first common multiple) fails the same way.
    expect(() => cifarFromBuffers([{ file: 't', bytes: records([[1, 2]]) }], 'cifar10', 'c')).toThrow(/not a multiple of the 3073-byte/);
    expect(() => cifarFromBuffers([{ file: 'e', bytes: new Uint8Array(0) }], 'cifar10', 'c')).toThrow(/e: empty file/);
    expect(() => cifarFromBuffers([], 'cifar10', 'c')).toThrow(DataArgumentError);
  });

  it('rejects labels out of range with the record index', () => {
    expect(() => cifarFromBuffers([{ file: 'b', bytes: records([[1], [10]]) }], 'cifar10', 'c'))
      .toThrow(/b: label out of range: label 10 in record 1, expected \[0, 10\)/);
    expect(() => cifarFromBuffers([{ file: 'b', bytes: records([[20, 5]]) }], 'cifar100', 'c'))
      .toThrow(/coarse label 20 in record 0, expected \[0, 20\)/);
    expect(() => cifarFromBuffers([{ file: 'b', bytes: records([[2, 5], [2, 100]]) }], 'cifar100', 'c', { labels: 'coarse' }))
      .toThrow(/fine label 100 in record 1, expected \[0, 100\)/);
  });
});

describe('CIFAR files on disk', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lbgap-cifar-'));
    // CIFAR-10 as the archive extracts: <dir>/cifar-10-batches-bin/*.bin
    const c10 = join(dir, 'cifar-10-batches-bin');
    await mkdir(c10);
    for (let k = 1; k <= 5; k++) await writeFile(join(c10, `data_batch_${k}.bin`), records([[k], [k + 1]], 2 * (k - 1)));
    await writeFile(join(c10, 'test_batch.bin'), records([[7]]));
    // CIFAR-100 directly in a user dir.
    const c100 = join(dir, 'c100');
    await mkdir(c100);
    await writeFile(join(c100, 'train.bin'), records([[4, 44], [5, 55], [6, 66]]));
    await writeFile(join(c100, 'test.bin'), records([[1, 11]]));
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('loads the five CIFAR-10 training batches in order, from the dir or its parent', async () => {
    for (const d of [dir, join(dir, 'cifar-10-batches-bin')]) {
      const tr = await loadCifar10('train', { dir: d });
      expect(tr.name).toBe('cifar10/train');
      expect(tr.n).toBe(10);
      expect(Array.from(tr.y)).toEqual([1, 2, 2, 3, 3, 4, 4, 5, 5, 6]);
      expectHwc(tr.x, 9, 9);
    }
    const te = await loadCifar10('test', { dir, limit: 1 });
    expect(Array.from(te.y)).toEqual([7]);
  });

  it('loads CIFAR-100 fine and coarse', async () => {
    const d = join(dir, 'c100');
    expect(Array.from((await loadCifar100('train', { dir: d })).y)).toEqual([44, 55, 66]);
    const c = await loadCifar100('test', { dir: d, labels: 'coarse' });
    expect(c).toMatchObject({ name: 'cifar100/test', n: 1, classes: 20 });
    expect(Array.from(c.y)).toEqual([1]);
  });

  it('names missing files', async () => {
    const e = await loadCifar100('train', { dir }).catch((x) => x);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.message).toContain(join(dir, 'train.bin'));
    expect(e.message).toContain(join(dir, 'cifar-100-binary'));
    await expect(loadCifarFiles([join(dir, 'missing.bin')], 'cifar10', 'x')).rejects.toThrow(/missing\.bin: file not found/);
    await expect(loadCifar10('train', {} as { dir: string })).rejects.toThrow(/dir: must be the directory/);
  });
});
