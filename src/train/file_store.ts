// The Node Store (store.ts): a directory. Names map to paths below it ("checkpoints/job0-SB.ckpt"
// → <root>/checkpoints/job0-SB.ckpt); a write goes to a temporary file beside its target, is
// fsynced, then renamed over it. Loaded only in Node (statically by the Node runner, lazily by
// openStore), so the page never bundles a node: import at module top level.
import { mkdir, open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { checkName, StorageQuotaError, StoreError, type Store, type StoreRef } from './store.js';

const code = (e: unknown) => (e as NodeJS.ErrnoException)?.code;

export class FileStore implements Store {
  readonly ref: StoreRef;
  constructor(readonly root: string) {
    this.ref = { kind: 'files', root };
  }

  /** The file of `name`. */
  where(name: string): string {
    return join(this.root, ...checkName(name, true));
  }

  async read(name: string): Promise<Uint8Array | null> {
    const path = this.where(name);
    try {
      const b = await readFile(path);
      return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    } catch (e) {
      if (code(e) === 'ENOENT') return null;
      throw new StoreError(path, `cannot read: ${(e as Error).message}`, { cause: e });
    }
  }

  async has(name: string): Promise<boolean> {
    try { await stat(this.where(name)); return true; } catch { return false; }
  }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    const path = this.where(name);
    const tmp = `${path}.tmp-${process.pid}-${Date.now()}`;
    try {
      await mkdir(dirname(path), { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(bytes);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, path);
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => {});
      if (code(e) === 'ENOSPC' || code(e) === 'EDQUOT') throw new StorageQuotaError(path, `the disk is full: ${(e as Error).message}`, { cause: e });
      throw new StoreError(path, `cannot write: ${(e as Error).message}`, { cause: e });
    }
  }

  async clear(folder: string): Promise<void> {
    const path = this.where(folder);
    try {
      await rm(path, { recursive: true, force: true });
      await mkdir(path, { recursive: true });
    } catch (e) {
      throw new StoreError(path, `cannot clear: ${(e as Error).message}`, { cause: e });
    }
  }
}
