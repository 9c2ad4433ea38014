// Where an experiment keeps its files (checkpoints, their sidecars, results.json): a Store of
// named byte strings, '/'-separated names relative to the store's root ("results.json",
// "checkpoints/job0-SB.ckpt"). Every write is atomic (a reader sees the old bytes or the new,
// never a mix), so a crash or a stop mid-write leaves the last good checkpoint.
//
// Three implementations behind one interface:
//   - files (Node): a directory; temporary file, fsync, rename (file_store.ts, loaded on first
//     use so nothing here imports node: modules and the page can bundle this module);
//   - OPFS (browser): a folder of the origin private file system, shared by the page and its
//     job workers (navigator.storage.getDirectory(), in Chromium's windows and workers); a
//     writable stream writes a swap file and commits it on close, atomically — and a new file
//     is written under a temporary name and then moved to its own, so a worker ended mid-write
//     (the page's Stop without shared memory) never leaves an empty or partial file;
//   - memory: a Map, for one thread (tests, or runs that need no files).
// A store of the first two kinds has a `ref` that another thread (a job worker) opens to reach
// the same files: openStore(ref).

export interface Store {
  /** The bytes of `name`, or null if it does not exist. */
  read(name: string): Promise<Uint8Array | null>;
  /** Whether `name` exists. */
  has(name: string): Promise<boolean>;
  /** Writes `name` atomically (creating its folders). */
  write(name: string, bytes: Uint8Array): Promise<void>;
  /** Deletes every file in the folder `folder` and below; the folder itself remains, empty. */
  clear(folder: string): Promise<void>;
  /** How messages name `name` (files: its path). */
  where(name: string): string;
  /** What another thread passes to openStore to reach the same files (null: this thread only). */
  readonly ref: StoreRef | null;
}

export type StoreRef = { kind: 'files'; root: string } | { kind: 'opfs'; root: string };

/** A store cannot be read or written: `where` names the store or the item. */
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(readonly where: string, message: string, options?: { cause?: unknown }) {
    super(`${where}: ${message}`, options);
  }
}

/** This environment has no storage the runner can use (e.g. a browser without OPFS). */
export class StorageUnavailableError extends StoreError {
  override name = 'StorageUnavailableError';
}

/** The storage quota is used up: free space (or shrink the run) and resume. */
export class StorageQuotaError extends StoreError {
  override name = 'StorageQuotaError';
}

/** Checks a store name: '/'-separated, no empty, '.' or '..' parts, no backslashes. */
export function checkName(name: string, folder = false): string[] {
  const parts = name.split('/');
  if (folder && name === '') return [];
  if (typeof name !== 'string' || parts.some((p) => p === '' || p === '.' || p === '..' || p.includes('\\'))) {
    throw new StoreError(name, `not a store name: must be '/'-separated parts without empty, '.' or '..' parts (e.g. "checkpoints/job0-SB.ckpt")`);
  }
  return parts;
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Opens the store `ref` names (in any thread of the process or page that made it). */
export async function openStore(ref: StoreRef): Promise<Store> {
  if (ref.kind === 'files') {
    if (!isNode) throw new StorageUnavailableError(ref.root, 'a file store needs Node (this is a browser: use an OPFS store)');
    const { FileStore } = await import('./file_store.js');
    return new FileStore(ref.root);
  }
  return OpfsStore.open(ref.root);
}

// ---- memory ----------------------------------------------------------------------------

/** A store in this thread's memory (bytes are copied in and out). */
export class MemoryStore implements Store {
  readonly ref = null;
  private readonly files = new Map<string, Uint8Array>();
  constructor(private readonly label = 'memory') {}
  async read(name: string): Promise<Uint8Array | null> {
    checkName(name);
    const b = this.files.get(name);
    return b ? b.slice() : null;
  }
  async has(name: string): Promise<boolean> { checkName(name); return this.files.has(name); }
  async write(name: string, bytes: Uint8Array): Promise<void> { checkName(name); this.files.set(name, bytes.slice()); }
  async clear(folder: string): Promise<void> {
    checkName(folder, true);
    for (const k of [...this.files.keys()]) if (folder === '' || k.startsWith(folder + '/')) this.files.delete(k);
  }
  where(name: string): string { return `${this.label}:${name}`; }
  /** Every name held, sorted (for tests and listings). */
  names(): string[] { return [...this.files.keys()].sort(); }
}

// ---- OPFS (browser) ----------------------------------------------------------------------

type Dir = FileSystemDirectoryHandle;

function isQuota(e: unknown): boolean {
  return (e as { name?: string })?.name === 'QuotaExceededError';
}

function notFound(e: unknown): boolean {
  const n = (e as { name?: string })?.name;
  return n === 'NotFoundError' || n === 'TypeMismatchError';
}

/**
 * A folder of the origin private file system. Chromium offers it in windows and in dedicated
 * workers, so the page's runner and its job workers read and write the same files; the files
 * outlive the tab (a reloaded page can find them again).
 */
export class OpfsStore implements Store {
  readonly ref: StoreRef;
  private constructor(private readonly root: Dir, private readonly rootName: string) {
    this.ref = { kind: 'opfs', root: rootName };
  }

  /** Opens (creating) the folder `root` ('/'-separated) of this origin's private file system. */
  static async open(root: string): Promise<OpfsStore> {
    const storage = (globalThis.navigator as Navigator | undefined)?.storage;
    if (typeof storage?.getDirectory !== 'function') {
      throw new StorageUnavailableError(`opfs:${root}`, 'this browser offers no origin private file system (navigator.storage.getDirectory): the runner cannot keep its checkpoints');
    }
    let dir: Dir;
    try {
      dir = await storage.getDirectory();
      for (const part of checkName(root, true)) dir = await dir.getDirectoryHandle(part, { create: true });
    } catch (e) {
      if (e instanceof StoreError) throw e;
      throw new StorageUnavailableError(`opfs:${root}`, `cannot open the origin private file system: ${(e as Error).message}`, { cause: e });
    }
    return new OpfsStore(dir, root);
  }

  where(name: string): string { return `opfs:${this.rootName}/${name}`; }

  /** The folder holding `name` and its last part (null folder: a missing folder, when not creating). */
  private async parent(name: string, create: boolean): Promise<{ dir: Dir | null; base: string }> {
    const parts = checkName(name);
    let dir: Dir = this.root;
    for (const p of parts.slice(0, -1)) {
      try {
        dir = await dir.getDirectoryHandle(p, { create });
      } catch (e) {
        if (!create && notFound(e)) return { dir: null, base: parts[parts.length - 1] };
        throw e;
      }
    }
    return { dir, base: parts[parts.length - 1] };
  }

  private async file(name: string): Promise<File | null> {
    try {
      const { dir, base } = await this.parent(name, false);
      if (!dir) return null;
      return await (await dir.getFileHandle(base)).getFile();
    } catch (e) {
      if (notFound(e)) return null;
      throw new StoreError(this.where(name), `cannot read: ${(e as Error).message}`, { cause: e });
    }
  }

  async read(name: string): Promise<Uint8Array | null> {
    const f = await this.file(name);
    if (!f) return null;
    try {
      return new Uint8Array(await f.arrayBuffer());
    } catch (e) {
      throw new StoreError(this.where(name), `cannot read: ${(e as Error).message}`, { cause: e });
    }
  }

  async has(name: string): Promise<boolean> { return (await this.file(name)) !== null; }

  async write(name: string, bytes: Uint8Array): Promise<void> {
    // The stream writes a swap file; close() commits it in one step (or abort() drops it). A file
    // another writer is moving into place is locked for a moment: try again shortly.
    const put = async (h: FileSystemFileHandle) => {
      let w: FileSystemWritableFileStream;
      for (let attempt = 0; ; attempt++) {
        try {
          w = await h.createWritable({ keepExistingData: false });
          break;
        } catch (e) {
          if ((e as { name?: string })?.name !== 'NoModificationAllowedError' || attempt >= 50) throw e;
          await new Promise((ok) => setTimeout(ok, 10));
        }
      }
      try {
        await w.write(bytes as Uint8Array<ArrayBuffer>);
        await w.close();
      } catch (e) {
        await w.abort().catch(() => {});
        throw e;
      }
    };
    try {
      const { dir: d, base } = await this.parent(name, true);
      const dir = d!;
      let h: FileSystemFileHandle | null = null;
      try { h = await dir.getFileHandle(base); } catch (e) { if (!notFound(e)) throw e; }
      if (h) { await put(h); return; }
      // A new file: creating it under its own name would show an empty file until the commit.
      const tmpName = `${base}.tmp-${Math.random().toString(36).slice(2)}`;
      const tmp = await dir.getFileHandle(tmpName, { create: true });
      await put(tmp);
      try {
        await (tmp as FileSystemFileHandle & { move(name: string): Promise<void> }).move(base);
      } catch {
        // Another writer created it meanwhile (or move() cannot replace here): overwrite it through its swap file.
        await put(await dir.getFileHandle(base, { create: true }));
        await dir.removeEntry(tmpName).catch(() => {});
      }
    } catch (e) {
      if (isQuota(e)) throw new StorageQuotaError(this.where(name), `the browser's storage quota is used up (${bytes.length} bytes to write): free space in this site's storage, or make the run smaller`, { cause: e });
      throw new StoreError(this.where(name), `cannot write: ${(e as Error).message}`, { cause: e });
    }
  }

  async clear(folder: string): Promise<void> {
    const parts = checkName(folder, true);
    try {
      if (parts.length === 0) {
        for await (const key of (this.root as unknown as { keys(): AsyncIterable<string> }).keys()) await this.root.removeEntry(key, { recursive: true });
        return;
      }
      const { dir, base } = await this.parent(folder, false);
      if (!dir) return;
      try { await dir.removeEntry(base, { recursive: true }); } catch (e) { if (!notFound(e)) throw e; }
      await dir.getDirectoryHandle(base, { create: true });
    } catch (e) {
      throw new StoreError(this.where(folder), `cannot clear: ${(e as Error).message}`, { cause: e });
    }
  }

  /** Removes the folder `root` of the origin private file system and everything in it. */
  static async remove(root: string): Promise<void> {
    const parts = checkName(root);
    let dir = await navigator.storage.getDirectory();
    try {
      for (const p of parts.slice(0, -1)) dir = await dir.getDirectoryHandle(p);
      await dir.removeEntry(parts[parts.length - 1], { recursive: true });
    } catch (e) {
      if (!notFound(e)) throw new StoreError(`opfs:${root}`, `cannot remove: ${(e as Error).message}`, { cause: e });
    }
  }
}
