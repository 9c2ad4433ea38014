// CIFAR-10 / CIFAR-100 binary format (https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size
// records, no header. CIFAR-10: 1 label byte + 3072 pixel bytes; CIFAR-100: coarse label byte,
// fine label byte, 3072 pixel bytes. Pixels are planar CHW (1024 R, 1024 G, 1024 B, rows
// top to bottom); we convert to HWC f32 in [0, 1], shape [32, 32, 3].

import type { Dataset } from './dataset.js';
import { DataArgumentError, DataFileError, DataFormatError, DataTypeError } from './errors.js';
import { pathExists, readDataFile } from './file.js';
import { checkInt } from './validate.js';

export type CifarVariant = 'cifar10' | 'cifar100';
export type CifarLabels = 'fine' | 'coarse';

const PIXELS = 32 * 32;
const IMAGE_BYTES = 3 * PIXELS;

interface Layout { labelBytes: number; labelOffset: number; classes: number; title: string }

function layout(variant: CifarVariant, labels: CifarLabels): Layout {
  if (variant === 'cifar10') {
    if (labels !== 'fine') throw new DataArgumentError('labels', "CIFAR-10 has one label per image; 'coarse' applies to CIFAR-100 only");
    return { labelBytes: 1, labelOffset: 0, classes: 10, title: 'CIFAR-10' };
  }
  if (variant === 'cifar100')
    return labels === 'coarse'
      ? { labelBytes: 2, labelOffset: 0, classes: 20, title: 'CIFAR-100' }
      : { labelBytes: 2, labelOffset: 1, classes: 100, title: 'CIFAR-100' };
  throw new DataArgumentError('variant', `must be 'cifar10' or 'cifar100', got ${JSON.stringify(variant)}`);
}

/** Bytes per record: 3073 for CIFAR-10, 3074 for CIFAR-100. */
export function cifarRecordBytes(variant: CifarVariant): number {
  return layout(variant, 'fine').labelBytes + IMAGE_BYTES;
}

export interface CifarOptions {
  /** CIFAR-100 only: 'fine' (100 classes, default) or 'coarse' (20 superclasses). */
  labels?: CifarLabels;
  /** Keep only the first `limit` samples (over all files, in order). */
  limit?: number;
}

export interface CifarBuffer {
  /** The file's bytes. */
  bytes: Uint8Array;
  /** Its name in error messages (a path, or e.g. "data_batch_1.bin"). */
  file: string;
}

/**
 * Builds one Dataset from one or more CIFAR binary files in order (browser-friendly). Each
 * file's size must be a positive multiple of the record size; every label must be in range.
 */
export function cifarFromBuffers(files: CifarBuffer[], variant: CifarVariant, name: string, opts: CifarOptions = {}): Dataset {
  const lay = layout(variant, opts.labels ?? 'fine');
  if (typeof name !== 'string' || name.length === 0) throw new DataTypeError('name', 'must be a non-empty string naming the dataset');
  if (!Array.isArray(files) || files.length === 0) throw new DataArgumentError('files', 'must be a non-empty list of CIFAR binary files');
  const rec = lay.labelBytes + IMAGE_BYTES;
  let total = 0;
  for (const f of files) {
    if (!(f?.bytes instanceof Uint8Array)) throw new DataFormatError(String(f?.file), 'expected the file contents as a Uint8Array');
    if (f.bytes.length === 0) throw new DataFormatError(f.file, `empty file: expected ${lay.title} records of ${rec} bytes`);
    if (f.bytes.length % rec !== 0)
      throw new DataFormatError(f.file, `size ${f.bytes.length} bytes is not a multiple of the ${rec}-byte ${lay.title} record `
        + `(${Math.floor(f.bytes.length / rec)} records + ${f.bytes.length % rec} bytes); truncated, or not ${lay.title}?`);
    total += f.bytes.length / rec;
  }
  const n = opts.limit === undefined ? total : Math.min(total, checkInt('limit', opts.limit, 1));
  const x = new Float32Array(n * IMAGE_BYTES);
  const y = new Int32Array(n);
  let i = 0;
  for (const f of files) {
    const b = f.bytes;
    for (let r = 0; r < b.length / rec && i < n; r++, i++) {
      const base = r * rec;
      // CIFAR-100: check both label bytes, a bad one means a corrupt or misaligned record.
      if (lay.labelBytes === 2) {
        if (b[base] >= 20) throw new DataFormatError(f.file, `label out of range: coarse label ${b[base]} in record ${r}, expected [0, 20)`);
        if (b[base + 1] >= 100) throw new DataFormatError(f.file, `label out of range: fine label ${b[base + 1]} in record ${r}, expected [0, 100)`);
      } else if (b[base] >= 10) {
        throw new DataFormatError(f.file, `label out of range: label ${b[base]} in record ${r}, expected [0, 10)`);
      }
      y[i] = b[base + lay.labelOffset];
      // CHW planar → HWC interleaved.
      const src = base + lay.labelBytes;
      const dst = i * IMAGE_BYTES;
      for (let p = 0; p < PIXELS; p++) {
        const o = dst + 3 * p;
        x[o] = b[src + p] / 255;
        x[o + 1] = b[src + PIXELS + p] / 255;
        x[o + 2] = b[src + 2 * PIXELS + p] / 255;
      }
    }
    if (i >= n) break;
  }
  return { name, x, y, n, shape: [32, 32, 3], classes: lay.classes };
}

/** Reads CIFAR binary files (raw or gzip'd) from paths and concatenates them in order (Node). */
export async function loadCifarFiles(paths: string[], variant: CifarVariant, name: string, opts: CifarOptions = {}): Promise<Dataset> {
  layout(variant, opts.labels ?? 'fine');
  if (!Array.isArray(paths) || paths.length === 0) throw new DataArgumentError('paths', 'must be a non-empty list of file paths');
  const files = await Promise.all(paths.map(async (file) => ({ file, bytes: await readDataFile(file) })));
  return cifarFromBuffers(files, variant, name, opts);
}

export type CifarSplit = 'train' | 'test';

const FILES: Record<CifarVariant, { subdir: string; train: string[]; test: string[] }> = {
  cifar10: {
    subdir: 'cifar-10-batches-bin',
    train: [1, 2, 3, 4, 5].map((k) => `data_batch_${k}.bin`),
    test: ['test_batch.bin'],
  },
  cifar100: { subdir: 'cifar-100-binary', train: ['train.bin'], test: ['test.bin'] },
};

async function resolveFiles(dir: string, variant: CifarVariant, split: CifarSplit): Promise<string[]> {
  if (split !== 'train' && split !== 'test') throw new DataArgumentError('split', `must be 'train' or 'test', got ${JSON.stringify(split)}`);
  if (typeof dir !== 'string' || dir.length === 0) throw new DataArgumentError('dir', 'must be the directory holding the CIFAR binary files');
  const { join } = await import('node:path');
  const spec = FILES[variant];
  // Accept the directory the archive extracts to, or its parent.
  for (const d of [dir, join(dir, spec.subdir)]) {
    const paths = spec[split].map((f) => join(d, f));
    if (await pathExists(paths[0])) return paths;
  }
  throw new DataFileError(join(dir, spec[split][0]), `file not found (also looked in ${join(dir, spec.subdir)})`, 'ENOENT');
}

/** CIFAR-10 from `dir` (data_batch_1..5.bin or test_batch.bin), named 'cifar10/train|test'. */
export async function loadCifar10(split: CifarSplit, opts: { dir: string; limit?: number }): Promise<Dataset> {
  const paths = await resolveFiles(opts?.dir, 'cifar10', split);
  return loadCifarFiles(paths, 'cifar10', `cifar10/${split}`, { limit: opts.limit });
}

/** CIFAR-100 from `dir` (train.bin or test.bin), fine labels unless `labels: 'coarse'`, named 'cifar100/train|test'. */
export async function loadCifar100(split: CifarSplit, opts: { dir: string; labels?: CifarLabels; limit?: number }): Promise<Dataset> {
  const paths = await resolveFiles(opts?.dir, 'cifar100', split);
  return loadCifarFiles(paths, 'cifar100', `cifar100/${split}`, { labels: opts.labels, limit: opts.limit });
}
