// Output paths are checked BEFORE any computation, so a long run never ends in a lost result:
// parent folders are created, a file where a folder is expected (or the reverse) and an
// unwritable place are one-line errors, and an existing output is refused unless --force.
// Used by every command that writes (train, sharpness/hessian/interpolate, report, merge,
// and the experiment commands for their folders).
import { constants } from 'node:fs';
import { access, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';

/** An output path that cannot be written, or exists without --force. */
export class OutputError extends Error {
  override name = 'OutputError';
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const WHY: Record<string, string> = {
  EACCES: 'permission denied', EPERM: 'permission denied', EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', ENAMETOOLONG: 'name too long',
  ENOENT: 'no such file or folder', EISDIR: 'is a folder', ENOTDIR: 'a part of the path is a file, not a folder',
  EEXIST: 'already exists', ELOOP: 'too many symbolic links', EBUSY: 'busy', EMFILE: 'too many open files',
};

/** Plain words for a Node file-system error (its `code`), without the raw errno text. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  if (code && WHY[code]) return WHY[code];
  return code ? `file system error ${code}` : String((e as Error)?.message ?? e);
}

async function kind(path: string): Promise<'file' | 'dir' | 'none' | 'other'> {
  try {
    const s = await stat(path);
    return s.isDirectory() ? 'dir' : s.isFile() ? 'file' : 'other';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'none';
    if (code === 'ENOTDIR') throw new OutOfPlace(path);
    throw e;
  }
}

/** A component of the path is a file. */
class OutOfPlace extends Error {}

/** The first existing ancestor of `path` that is a file (explains ENOTDIR / EEXIST from mkdir). */
async function fileInPath(path: string): Promise<string | undefined> {
  let p = resolve(path);
  for (;;) {
    try {
      return (await stat(p)).isDirectory() ? undefined : p;
    } catch { /* missing or below a file: look further up */ }
    const up = dirname(p);
    if (up === p) return undefined;
    p = up;
  }
}

/** Creates `dir` (and parents) and proves it writable by creating and removing a probe file. */
async function ensureWritableDir(dir: string, label: string, what: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      const file = await fileInPath(dir);
      throw new OutputError(dir, `${label}: cannot create the folder ${dir} for ${what}: ${file ? `${file} is a file` : 'a part of the path is a file'}`, { cause: e });
    }
    throw new OutputError(dir, `${label}: cannot create the folder ${dir} for ${what}: ${describeFsError(e)}`, { cause: e });
  }
  const probe = join(dir, `.lbgap-write-test-${process.pid}-${Date.now()}`);
  try {
    await writeFile(probe, '');
    await rm(probe, { force: true });
  } catch (e) {
    throw new OutputError(dir, `${label}: cannot write ${what} in ${dir}: ${describeFsError(e)}`, { cause: e });
  }
}

export interface OutputFileOptions {
  /** How the path was given, for messages: `--json`, `--out`. */
  label: string;
  /** Replace an existing file. */
  force?: boolean;
  /** Allow an existing file without --force (e.g. the checkpoint a resumed run continues). */
  mayExist?: boolean;
}

/**
 * Checks that `path` can be written as a file: creates its folder, proves the folder
 * writable, refuses a folder at `path` and (without force) an existing file.
 */
export async function prepareOutputFile(path: string, o: OutputFileOptions): Promise<void> {
  let k: Awaited<ReturnType<typeof kind>>;
  try {
    k = await kind(path);
  } catch (e) {
    if (!(e instanceof OutOfPlace)) throw new OutputError(path, `${o.label}: cannot use ${path}: ${describeFsError(e)}`, { cause: e });
    const file = await fileInPath(dirname(path));
    throw new OutputError(path, `${o.label}: cannot write ${path}: ${file ? `${file} is a file, not a folder` : 'a part of the path is a file'}`);
  }
  if (k === 'dir') throw new OutputError(path, `${o.label}: ${path} is a folder; give a file name`);
  if (k === 'other') throw new OutputError(path, `${o.label}: ${path} exists and is not a regular file`);
  if (k === 'file' && !o.force && !o.mayExist) throw new OutputError(path, `${o.label}: ${path} already exists; pass --force to replace it`);
  await ensureWritableDir(dirname(path), o.label, path);
  if (k === 'file') {
    try {
      await access(path, constants.W_OK);
    } catch (e) {
      throw new OutputError(path, `${o.label}: cannot replace ${path}: ${describeFsError(e)}`, { cause: e });
    }
  }
}

export interface OutputDirOptions {
  label: string;
  force?: boolean;
  /** Files the command will write inside the folder: those that exist need --force. */
  files?: readonly string[];
}

/** Checks that `dir` can hold the outputs: creates it, proves it writable, refuses overwrites without force. */
export async function prepareOutputDir(dir: string, o: OutputDirOptions): Promise<void> {
  let k: Awaited<ReturnType<typeof kind>>;
  try {
    k = await kind(dir);
  } catch (e) {
    if (!(e instanceof OutOfPlace)) throw new OutputError(dir, `${o.label}: cannot use ${dir}: ${describeFsError(e)}`, { cause: e });
    k = 'none'; // mkdir below names the file in the way
  }
  if (k === 'file' || k === 'other') throw new OutputError(dir, `${o.label}: ${dir} is a file; give a folder`);
  await ensureWritableDir(dir, o.label, 'the outputs');
  if (!o.force && o.files?.length) {
    const present = new Set(await readdir(dir).catch(() => [] as string[]));
    const clash = o.files.filter((f) => present.has(f));
    if (clash.length) {
      const list = clash.length > 3 ? `${clash.slice(0, 3).join(', ')} and ${clash.length - 3} more` : clash.join(', ');
      throw new OutputError(dir, `${o.label}: ${dir} already holds ${list}; pass --force to replace ${clash.length === 1 ? 'it' : 'them'}`);
    }
  }
}

/** Writes a file checked by prepareOutputFile; a failure now (disk full…) is still one line. */
export async function writeOutputFile(path: string, data: string | Uint8Array, label: string): Promise<void> {
  try {
    await writeFile(path, data);
  } catch (e) {
    throw new OutputError(path, `${label}: cannot write ${path}: ${describeFsError(e)}`, { cause: e });
  }
}
