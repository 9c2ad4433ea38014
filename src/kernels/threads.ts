// A team of helper threads (Node worker_threads or browser Workers) that run kernel calls on
// the SAME shared WebAssembly.Memory as the calling thread, for `loadKernels({ threads })`.
//
// Protocol: a control block in the shared memory (allocated from the caller's arena) holds
// [generation, done, failedRank, shutdown] and, per helper, a slot of calls
// (export id + 16 numeric arguments each). The caller writes every helper's slot, bumps the
// generation and notifies; each helper runs its slot in order and counts itself done. The
// caller runs its own share (thread 0) meanwhile, then waits for the count: Atomics.wait in
// Node and in workers; a spin on Atomics.load on a browser main thread, where Atomics.wait is
// forbidden (the wait is the tail of a call the caller shares in, so the spin is short).
// Calls therefore stay synchronous. Work is split so that every output element is computed
// by one thread with the same arithmetic as with one thread (see plans.ts).
import { KernelLoadError, KernelRangeError } from './errors.js';
import type { KernelExports } from './exports.js';

/** Exports a plan may call (the ids are indices into this list). */
export const THREAD_CALLS = [
  'gemm_f32', 'im2col_nhwc', 'col2im_nhwc', 'bias_add_f32', 'fill_f32',
  'winograd_f2x3_filter_fwd', 'conv2d_winograd_f2x3_fwd_tiles_nhwc', 'conv2d_winograd_f2x3_bwd_data_tiles_nhwc',
  'winograd_f2x3_input_nhwc', 'winograd_f2x3_grad_output_nhwc', 'conv2d_winograd_f2x3_filter_grad_gemm', 'winograd_f2x3_filter_grad',
] as const;
export type ThreadCallName = typeof THREAD_CALLS[number];
/** One kernel call: [export name, ...arguments] (at most MAX_ARGS numbers). */
export type Call = [ThreadCallName, ...number[]];

const MAX_ARGS = 16;
const CALL_F64 = 1 + MAX_ARGS;
/** Calls per helper slot; a longer per-thread list is dispatched in several rounds. */
const SLOT_CALLS = 64;
const SLOT_BYTES = 8 + SLOT_CALLS * CALL_F64 * 8;
const CTL_INTS = 4;
const ERR_BYTES = 512;
/** Control block bytes for `helpers` helper threads. */
export function controlBytes(helpers: number): number {
  return CTL_INTS * 4 + ERR_BYTES + helpers * SLOT_BYTES + 64;
}

export class KernelThreadError extends Error {
  override name = 'KernelThreadError';
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node;
/** Whether this thread may block in Atomics.wait (not a browser window's main thread). */
const canBlock = isNode || (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined');

// The helper's code, as plain JS text: Node runs it with `eval: true` (CommonJS, so `require`
// exists), a browser from a Blob URL. No imports, so no file has to be found or bundled.
const HELPER_SOURCE = `
'use strict';
function start(init, post) {
  const { module, memory, ctlPtr, slotPtr, rank, names, slotCalls, callF64, errBytes } = init;
  const inst = new WebAssembly.Instance(module, { env: { memory, kernel_abort_host(l, c) { throw new Error('kernel aborted at assembly line ' + l + ':' + c); } } });
  const fns = names.map((n) => inst.exports[n]);
  const ctl = new Int32Array(memory.buffer, ctlPtr, 4);
  const err = new Uint8Array(memory.buffer, ctlPtr + 16, errBytes);
  const slot = new Float64Array(memory.buffer, slotPtr, 1 + slotCalls * callF64);
  post('ready');
  let gen = 0;
  for (;;) {
    Atomics.wait(ctl, 0, gen);
    gen = Atomics.load(ctl, 0);
    if (Atomics.load(ctl, 3) !== 0) break;
    try {
      const n = slot[0];
      for (let i = 0; i < n; i++) {
        const o = 1 + i * callF64, f = fns[slot[o]];
        const a = slot.subarray(o + 1, o + callF64);
        f(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13], a[14], a[15]);
      }
    } catch (e) {
      if (Atomics.compareExchange(ctl, 2, 0, rank) === 0) {
        const b = new TextEncoder().encode(String(e && e.message || e)).slice(0, errBytes - 4);
        new DataView(memory.buffer, ctlPtr + 16, 4).setUint32(0, b.length, true);
        err.set(b, 4);
      }
    }
    Atomics.add(ctl, 1, 1);
    Atomics.notify(ctl, 1);
  }
}
if (typeof require === 'function') {
  const { parentPort, workerData } = require('node:worker_threads');
  start(workerData, (m) => parentPort.postMessage(m));
} else {
  self.onmessage = (ev) => { self.onmessage = null; start(ev.data, (m) => self.postMessage(m)); };
}
`;

interface Helper { terminate(): void }

/**
 * The thread count for `loadKernels({ threads })`: an integer in [1, 256] or 'auto' (the
 * machine's cores); 1 with the reason where shared memory is missing.
 */
export async function resolveThreads(threads: unknown): Promise<{ threads: number; reason: string }> {
  if (threads === undefined || threads === 1) return { threads: 1, reason: 'threads: 1 (the default)' };
  let n: number;
  if (threads === 'auto') {
    if (isNode) {
      const osName = 'node:os';
      const os = (await import(/* @vite-ignore */ osName)) as typeof import('node:os');
      n = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
    } else {
      n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
    }
    n = Math.max(1, Math.min(256, n));
  } else if (typeof threads === 'number' && Number.isInteger(threads) && threads >= 1 && threads <= 256) {
    n = threads;
  } else {
    throw new KernelRangeError('threads', `must be an integer in [1, 256] or 'auto', got ${typeof threads === 'string' ? JSON.stringify(threads) : String(threads)}`);
  }
  const what = threads === 'auto' ? `threads: 'auto' (${n} cores)` : `threads: ${n}`;
  if (typeof SharedArrayBuffer === 'undefined' || (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === false) {
    return { threads: 1, reason: `${what} requested, running on 1: SharedArrayBuffer is unavailable (a page must be cross-origin isolated: COOP same-origin + COEP require-corp)` };
  }
  return { threads: n, reason: what };
}

export class ThreadTeam {
  private readonly ctl: Int32Array;
  private readonly helpers: Helper[] = [];
  private closed = false;

  private constructor(
    private readonly exports: KernelExports,
    private readonly memory: WebAssembly.Memory,
    private readonly ctlPtr: number,
    readonly size: number,
    private readonly timeoutMs: number,
  ) {
    this.ctl = new Int32Array(memory.buffer, ctlPtr, CTL_INTS);
  }

  /**
   * Starts size − 1 helpers over `memory` (which must be shared), each with its own instance of
   * `module`; the caller is thread 0. `ctlPtr` is controlBytes(size − 1) bytes of that memory.
   */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, exports: KernelExports, ctlPtr: number, size: number, timeoutMs = 600_000): Promise<ThreadTeam> {
    const team = new ThreadTeam(exports, memory, ctlPtr, size, timeoutMs);
    new Uint8Array(memory.buffer, ctlPtr, controlBytes(size - 1)).fill(0);
    try {
      await Promise.all(Array.from({ length: size - 1 }, (_, i) => team.spawn(module, i + 1)));
    } catch (e) {
      team.close();
      throw e;
    }
    return team;
  }

  private async spawn(module: WebAssembly.Module, rank: number): Promise<void> {
    const init = {
      module, memory: this.memory, ctlPtr: this.ctlPtr, slotPtr: this.slotPtr(rank), rank,
      names: THREAD_CALLS.filter((n) => typeof (this.exports as unknown as Record<string, unknown>)[n] === 'function'),
      slotCalls: SLOT_CALLS, callF64: CALL_F64, errBytes: ERR_BYTES,
    };
    // Ids index THREAD_CALLS; every listed export must exist in the module.
    if (init.names.length !== THREAD_CALLS.length) {
      throw new KernelLoadError(`the kernel module lacks ${THREAD_CALLS.filter((n) => !init.names.includes(n)).join(', ')} (rebuild with npm run build:wasm)`);
    }
    const ready = (on: (fn: (m: unknown) => void) => void, onError: (fn: (e: unknown) => void) => void) => new Promise<void>((resolve, reject) => {
      on((m) => { if (m === 'ready') resolve(); });
      onError((e) => reject(new KernelLoadError(`kernel thread ${rank} failed to start: ${(e as Error)?.message ?? e}`, { cause: e })));
    });
    if (isNode) {
      const wt = 'node:worker_threads';
      const { Worker } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
      const w = new Worker(HELPER_SOURCE, { eval: true, workerData: init, name: `lbgap-kernels-${rank}` } as ConstructorParameters<typeof Worker>[1]);
      w.unref(); // an idle team never keeps the process alive
      this.helpers.push({ terminate: () => { void w.terminate(); } });
      await ready((fn) => w.once('message', fn), (fn) => w.once('error', fn));
      return;
    }
    const url = URL.createObjectURL(new Blob([HELPER_SOURCE], { type: 'text/javascript' }));
    const w = new Worker(url, { name: `lbgap-kernels-${rank}` });
    this.helpers.push({ terminate: () => w.terminate() });
    try {
      const p = ready((fn) => w.addEventListener('message', (ev) => fn(ev.data), { once: true }),
        (fn) => w.addEventListener('error', (ev) => { ev.preventDefault(); fn(new Error(ev.message || 'the worker script failed to load')); }, { once: true }));
      w.postMessage(init);
      await p;
    } finally {
      URL.revokeObjectURL(url);
    }
  }

  private slotPtr(rank: number): number {
    return this.ctlPtr + CTL_INTS * 4 + ERR_BYTES + (rank - 1) * SLOT_BYTES;
  }

  /**
   * Runs one round: thread t runs perThread[t] in order (thread 0 is the caller); returns when
   * all are done. Lists in one round must not write what another list reads or writes.
   */
  run(perThread: Call[][]): void {
    if (this.closed) throw new KernelThreadError('the kernel threads were closed (k.close())');
    if (perThread.length > this.size) throw new KernelThreadError(`a plan for ${perThread.length} threads on a team of ${this.size}`);
    const longest = Math.max(0, ...perThread.map((l) => l.length));
    for (let first = 0; first < longest; first += SLOT_CALLS) {
      const part = perThread.map((l) => l.slice(first, first + SLOT_CALLS));
      if (part.slice(1).every((l) => l.length === 0)) { this.runHere(part[0] ?? []); continue; }
      this.dispatch(part);
    }
  }

  private runHere(calls: Call[]): void {
    const ex = this.exports as unknown as Record<string, (...a: number[]) => void>;
    for (const [name, ...args] of calls) ex[name](...args);
  }

  private dispatch(part: Call[][]): void {
    const buf = this.memory.buffer;
    for (let rank = 1; rank < this.size; rank++) {
      const calls = part[rank] ?? [];
      const slot = new Float64Array(buf, this.slotPtr(rank), 1 + SLOT_CALLS * CALL_F64);
      slot[0] = calls.length;
      calls.forEach(([name, ...args], i) => {
        if (args.length > MAX_ARGS) throw new KernelThreadError(`${name}: ${args.length} arguments (at most ${MAX_ARGS})`);
        const o = 1 + i * CALL_F64;
        slot[o] = THREAD_CALLS.indexOf(name);
        slot.fill(0, o + 1, o + CALL_F64);
        slot.set(args, o + 1);
      });
    }
    const ctl = this.ctl;
    Atomics.store(ctl, 1, 0);
    Atomics.store(ctl, 2, 0);
    Atomics.add(ctl, 0, 1);
    Atomics.notify(ctl, 0);
    let mine: unknown;
    try { this.runHere(part[0] ?? []); } catch (e) { mine = e; }
    this.waitDone();
    const failed = Atomics.load(ctl, 2);
    if (mine) throw mine;
    if (failed) {
      const len = new DataView(this.memory.buffer, this.ctlPtr + 16, 4).getUint32(0, true);
      const text = new TextDecoder().decode(new Uint8Array(this.memory.buffer, this.ctlPtr + 20, len).slice());
      throw new KernelThreadError(`kernel thread ${failed}: ${text}`);
    }
  }

  private waitDone(): void {
    const ctl = this.ctl, want = this.size - 1, deadline = performance.now() + this.timeoutMs;
    for (;;) {
      const done = Atomics.load(ctl, 1);
      if (done >= want) return;
      if (canBlock) Atomics.wait(ctl, 1, done, 50);
      if (performance.now() > deadline) {
        this.close();
        throw new KernelThreadError(`kernel threads did not finish within ${this.timeoutMs} ms (a thread died?); the team is closed, calls now fail`);
      }
    }
  }

  /** Stops the helpers. Later calls on this team throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, 3, 1);
    Atomics.add(this.ctl, 0, 1);
    Atomics.notify(this.ctl, 0);
    for (const h of this.helpers) h.terminate();
  }
}
