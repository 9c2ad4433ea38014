// Finding, validating and instantiating the Wasm kernels, in Node and in browsers.
// We use plain WebAssembly.instantiate rather than @assemblyscript/loader (deprecated
// since AssemblyScript 0.20): the kernels export only numbers and pointers, so there
// is nothing for a loader's string/array marshalling to do.
import { KernelLoadError } from './errors.js';
import type { KernelExports } from './exports.js';

export type BuildName = 'simd' | 'relaxed-simd';
export type BuildChoice = BuildName | 'auto';

const FILES: Record<BuildName, string> = {
  'simd': 'lbgap.simd.wasm',
  'relaxed-simd': 'lbgap.relaxed.wasm',
};
// The threads builds are the same kernels compiled for an imported SHARED memory (a module
// declares whether its memory is shared, so one binary cannot serve both kinds).
const THREADS_FILES: Record<BuildName, string> = {
  'simd': 'lbgap.simd-threads.wasm',
  'relaxed-simd': 'lbgap.relaxed-threads.wasm',
};

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** Where the .wasm files live: `build/` at the package root (src/kernels → ../../build). */
export function wasmUrl(build: BuildName, threads = false): URL {
  return new URL(`../../build/${(threads ? THREADS_FILES : FILES)[build]}`, import.meta.url);
}

async function readBytes(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  try {
    if (isNode && url.protocol === 'file:') {
      const fsName = 'node:fs/promises';
      const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs/promises');
      const b = await fs.readFile(url);
      return new Uint8Array(b.buffer as ArrayBuffer, b.byteOffset, b.byteLength);
    }
    const res = await fetch(url);
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return new Uint8Array(await res.arrayBuffer());
  } catch (e) {
    throw new KernelLoadError(`cannot read kernel module ${url.href}: ${(e as Error).message}` +
      (isNode ? ' (run `npm run build:wasm` to build it)' : ''), { cause: e });
  }
}

export interface CompiledKernels {
  build: BuildName;
  module: WebAssembly.Module;
  /** Whether this engine accepts the relaxed-SIMD build at all. */
  relaxedSupported: boolean;
  /** Compiled for an imported shared memory (the threads build). */
  threads: boolean;
}

export interface CompileOptions {
  /** The threads build, for a shared WebAssembly.Memory (needs SharedArrayBuffer). */
  threads?: boolean;
}

const cache = new Map<string, Promise<CompiledKernels>>();

/**
 * Compiles the chosen build. `auto` validates the relaxed-SIMD module with
 * WebAssembly.validate and falls back to plain SIMD when the engine rejects it
 * (Node 20 without --experimental-wasm-relaxed-simd, older browsers).
 */
export function compileKernels(choice: BuildChoice = 'auto', opts: CompileOptions = {}): Promise<CompiledKernels> {
  const threads = opts.threads === true;
  const key = `${choice}/${threads}`;
  let p = cache.get(key);
  if (!p) {
    p = compileUncached(choice, threads);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function compileUncached(choice: BuildChoice, threads: boolean): Promise<CompiledKernels> {
  if (choice !== 'auto' && choice !== 'simd' && choice !== 'relaxed-simd') {
    throw new KernelLoadError(`unknown build ${JSON.stringify(choice)}; expected 'auto', 'simd' or 'relaxed-simd'`);
  }
  let relaxedSupported = false;
  if (choice !== 'simd') {
    const bytes = await readBytes(wasmUrl('relaxed-simd', threads));
    relaxedSupported = WebAssembly.validate(bytes);
    if (relaxedSupported) {
      return { build: 'relaxed-simd', module: await WebAssembly.compile(bytes), relaxedSupported, threads };
    }
    if (choice === 'relaxed-simd') {
      throw new KernelLoadError('this engine does not support relaxed SIMD' +
        (isNode ? ' (Node 20 needs --experimental-wasm-relaxed-simd)' : ''));
    }
  }
  const url = wasmUrl('simd', threads);
  let module: WebAssembly.Module;
  if (!isNode && typeof WebAssembly.compileStreaming === 'function') {
    try {
      module = await WebAssembly.compileStreaming(fetch(url));
    } catch (e) {
      throw new KernelLoadError(`cannot compile ${url.href}: ${(e as Error).message}`, { cause: e });
    }
  } else {
    const bytes = await readBytes(url);
    if (!WebAssembly.validate(bytes)) {
      throw new KernelLoadError(`${url.href} does not validate: this engine lacks Wasm SIMD${threads ? ' or threads' : ''} (needs Node 16.4+, Chrome 91+, Firefox 89+, Safari 16.4+)`);
    }
    module = await WebAssembly.compile(bytes);
  }
  return { build: 'simd', module, relaxedSupported, threads };
}

export class KernelAbortError extends Error {
  override name = 'KernelAbortError';
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): KernelExports {
  const imports = {
    env: {
      memory,
      kernel_abort_host(line: number, column: number) {
        throw new KernelAbortError(`kernel aborted at assembly line ${line}:${column}`);
      },
    },
  };
  const instance = new WebAssembly.Instance(module, imports);
  return instance.exports as unknown as KernelExports;
}
