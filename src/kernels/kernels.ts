// The embeddable kernel API: typed, validated, zero-copy calls on Float32Arrays that
// live in Wasm memory.
import { Arena } from './arena.js';
import { KernelRangeError, KernelTypeError } from './errors.js';
import type { KernelExports } from './exports.js';
import { compileKernels, instantiateKernels, type BuildChoice, type BuildName, type CompiledKernels } from './load.js';
import { checkBool, checkConvShape, checkF32, checkMatrix, checkNumber, checkSize } from './validate.js';
import { controlBytes, resolveThreads, ThreadTeam, type Call } from './threads.js';
import {
  convBackwardDataPlan, convBackwardFilterPlan, convChunkRows, convForwardPlan, convThreadBytes, gemmPlan,
  isWinograd, winogradBackwardDataPlan, winogradBackwardFilterPlan, winogradForwardPlan, winogradLayout,
  type ConvShape, type Tiles, type WinogradSizes,
} from './plans.js';

export type { ConvShape } from './plans.js';

export interface KernelInfo {
  /** The Wasm build in use. */
  build: BuildName;
  /** Whether the engine accepts relaxed SIMD (the build may still be 'simd' if forced). */
  relaxedSupported: boolean;
  /** Whether SharedArrayBuffer (and so shared Wasm memory) exists in this realm. */
  sharedMemorySupported: boolean;
  /** Threads that sgemm and the conv2d* calls run on (1 = the calling thread only). */
  threads: number;
  /** Why `threads` has its value (e.g. the fallback to 1 without SharedArrayBuffer). */
  threadsReason: string;
}

export interface LoadOptions {
  /** 'auto' (default) picks relaxed SIMD when the engine validates it, else plain SIMD. */
  build?: BuildChoice;
  /** Initial memory in 64 KiB pages (default 256 = 16 MiB); it grows on demand. */
  initialPages?: number;
  /**
   * Use this memory instead of a fresh one. A shared memory (SharedArrayBuffer-backed, made
   * with `shared: true` and a maximum) selects the threads build. Used by the worker pool:
   * several instances, one per worker, over one shared memory.
   */
  memory?: WebAssembly.Memory;
  /** Restrict this instance's arena to bytes [base, limit) of the memory (default: all after the static data). */
  arena?: { base?: number; limit?: number };
  /** An already compiled module (e.g. posted from the main thread to a worker); skips compilation. */
  compiled?: CompiledKernels;
  /**
   * Threads for sgemm and the conv2d* calls (default 1; 'auto' = the machine's cores): the
   * caller plus threads − 1 helper Workers over one shared memory (the threads build). Calls
   * stay synchronous and give the same bits for any thread count. Without SharedArrayBuffer
   * (a page that is not cross-origin isolated) it falls back to 1 and says why in
   * `info.threadsReason`. Call `close()` to stop the helpers.
   */
  threads?: number | 'auto';
}

interface Region { ptr: number; length: number }

export class Kernels {
  readonly info: KernelInfo;
  readonly exports: KernelExports;
  readonly memory: WebAssembly.Memory;
  readonly arena: Arena;
  private regions = new WeakMap<Float32Array, Region>();
  /** Views made by `view()`: used in place like the arrays they view, but not freeable. */
  private aliases = new WeakMap<Float32Array, Region>();
  private heap: Float32Array;
  private work = { ptr: 0, bytes: 0 };
  private team: ThreadTeam | null = null;
  private readonly tiles: Tiles;
  private readonly wino: WinogradSizes;

  constructor(exports: KernelExports, memory: WebAssembly.Memory, info: Omit<KernelInfo, 'threads' | 'threadsReason'> & Partial<KernelInfo>, range: { base?: number; limit?: number } = {}) {
    this.exports = exports;
    this.memory = memory;
    this.info = { threads: 1, threadsReason: 'threads: 1 (the default)', ...info };
    this.tiles = {
      mr: exports.gemm_f32_mr(), nr: exports.gemm_f32_nr(), kc: exports.gemm_f32_kc(),
      gemmBytes: (M, N, K) => exports.gemm_f32_workspace_bytes(M, N, K),
    };
    this.wino = {
      mr: this.tiles.mr,
      chunkTiles: (a, b, t) => exports.winograd_f2x3_chunk_tiles(a, b, t),
      tilesBytes: (a, b, t) => exports.winograd_f2x3_tiles_workspace_bytes(a, b, t),
      gradChunkBytes: (a, b, t) => exports.winograd_f2x3_grad_chunk_bytes(a, b, t),
      gradGemmBytes: (a, b, t) => exports.winograd_f2x3_grad_gemm_bytes(a, b, t),
      filterBytes: (a, b) => exports.winograd_f2x3_filter_bytes(a, b),
    };
    const heapBase = exports.heap_base();
    const base = range.base ?? heapBase;
    if (base < heapBase) throw new KernelRangeError('arena.base', `${base} overlaps the module's static data (which ends at ${heapBase})`);
    this.arena = new Arena(memory, base, range.limit);
    this.heap = new Float32Array(memory.buffer);
  }

  /** A Float32Array over the whole memory, re-made after growth. */
  heapF32(): Float32Array {
    if (this.heap.buffer !== this.memory.buffer) this.heap = new Float32Array(this.memory.buffer);
    return this.heap;
  }

  /**
   * Allocates n zeroed floats in Wasm memory and returns a view. Arrays from here
   * are used in place by every kernel call. If the memory later grows, the JS engine
   * detaches old views (length 0): kernel calls still accept them (they are mapped
   * back by pointer) and `view(a)` gives a live view of the same floats.
   */
  f32(n: number): Float32Array {
    checkSize('n', n);
    const ptr = this.arena.alloc(n * 4);
    const v = new Float32Array(this.memory.buffer, ptr, n);
    v.fill(0);
    this.regions.set(v, { ptr, length: n });
    return v;
  }

  /** Returns an array from `f32` to the arena. */
  free(a: Float32Array): void {
    const r = this.regions.get(checkF32('a', a));
    if (!r) throw new KernelRangeError('a', 'was not allocated by this module (k.f32)');
    this.arena.release(r.ptr);
    this.regions.delete(a);
  }

  /** Frees every allocation; all views from `f32` become invalid. */
  reset(): void {
    this.arena.reset();
    this.regions = new WeakMap();
    this.aliases = new WeakMap();
    this.work = { ptr: 0, bytes: 0 };
  }

  /**
   * A live view over the same floats as `a` (an array from `f32`, a view from here, or any
   * Float32Array over the current memory; `a` may be detached by growth). The view is itself
   * recognised by kernel calls — used in place, never copied — even after a later growth
   * detaches it.
   */
  view(a: Float32Array): Float32Array {
    const r = this.region(a);
    if (!r) throw new KernelRangeError('a', 'was not allocated by this module (k.f32)');
    if (a.buffer === this.memory.buffer) return a;
    const v = new Float32Array(this.memory.buffer, r.ptr, r.length);
    this.aliases.set(v, r);
    return v;
  }

  /**
   * Where `a` lives in Wasm memory: arrays from `f32` and views from `view` by their recorded
   * pointer (they survive detachment), any other Float32Array over the current memory by its
   * byte offset; undefined for a foreign array (which calls copy in and out).
   */
  private region(a: Float32Array): Region | undefined {
    const r = this.regions.get(a) ?? this.aliases.get(a);
    if (r) return r;
    if (a.buffer === this.memory.buffer) return { ptr: a.byteOffset, length: a.length };
    return undefined;
  }

  /** Byte offset of an array in Wasm memory (see `view`), or undefined for a foreign array. */
  ptr(a: Float32Array): number | undefined {
    return this.region(a)?.ptr;
  }

  /** Length of `a` in floats, also for a view that growth detached. */
  lengthOf(a: Float32Array): number {
    return this.region(a)?.length ?? a.length;
  }

  /** Scratch shared by calls on this instance (GEMM packing). Grows, never shrinks. */
  workspace(bytes: number): number {
    if (bytes <= this.work.bytes) return this.work.ptr;
    if (this.work.bytes) this.arena.release(this.work.ptr);
    this.work = { ptr: this.arena.alloc(bytes), bytes };
    return this.work.ptr;
  }

  /**
   * C = alpha·op(A)·op(B) + beta·C, row-major, op(X) = transX ? Xᵀ : X.
   * op(A) is M×K, op(B) is K×N, C is M×N. With beta = 0, C is write-only.
   * Arrays from `f32`, views from `view` and any Float32Array over this memory are used
   * in place (even if the call grows the memory); any other Float32Array is copied in
   * (and C copied back). C must not overlap A or B.
   */
  sgemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: Float32Array, lda: number, B: Float32Array, ldb: number,
    beta: number, C: Float32Array, ldc: number,
  ): void {
    checkBool('transA', transA); checkBool('transB', transB);
    checkSize('M', M); checkSize('N', N); checkSize('K', K);
    checkNumber('alpha', alpha); checkNumber('beta', beta);
    checkF32('A', A); checkF32('B', B); checkF32('C', C);
    checkSize('lda', lda, 1); checkSize('ldb', ldb, 1); checkSize('ldc', ldc, 1);
    checkMatrix('A', 'lda', this.lengthOf(A), transA ? K : M, transA ? M : K, lda);
    checkMatrix('B', 'ldb', this.lengthOf(B), transB ? N : K, transB ? K : N, ldb);
    checkMatrix('C', 'ldc', this.lengthOf(C), M, N, ldc);
    if (M === 0 || N === 0) return;
    this.withArgs([A, B, C], [false, false, true], (pA, pB, pC) => {
      if (pC.overlaps(pA) || pC.overlaps(pB)) throw new KernelRangeError('C', 'must not overlap A or B');
      if (this.threads === 1) {
        const work = this.workspace(this.exports.gemm_f32_workspace_bytes(M, N, K));
        this.exports.gemm_f32(+transA, +transB, M, N, K, alpha, pA.ptr, lda, pB.ptr, ldb, beta, pC.ptr, ldc, work);
        return;
      }
      const work = this.threadWork(this.exports.gemm_f32_workspace_bytes(M, N, K));
      this.run([gemmPlan({ tA: transA, tB: transB, M, N, K, alpha, A: pA.ptr, lda, B: pB.ptr, ldb, beta, C: pC.ptr, ldc }, this.threads, this.tiles, work)]);
    });
  }

  /** Threads that sgemm and conv2d* run on (info.threads). */
  get threads(): number {
    return this.team?.size ?? 1;
  }

  /** Scratch for each thread: thread t's block starts at the returned function's value for t. */
  private threadWork(bytesPerThread: number): (t: number) => number {
    const each = Math.ceil(bytesPerThread / 64) * 64;
    const base = this.workspace(each * this.threads);
    return (t) => base + t * each;
  }

  private run(rounds: Call[][][]): void {
    const ex = this.exports as unknown as Record<string, (...a: number[]) => void>;
    for (const round of rounds) {
      if (this.team) this.team.run(round);
      else for (const calls of round) for (const [name, ...args] of calls) ex[name](...args);
    }
  }

  /**
   * y = conv2d(x, w) + bias, NHWC activations x [N][H][W][C], HWIO weights w [KH][KW][C][OC],
   * y [N][OH][OW][OC], bias [OC] or null; g gives the sizes, strides and top/left padding
   * (the output size OH×OW fixes the bottom/right padding). By im2col + GEMM, or by Winograd
   * F(2×2, 3×3) for a stride-1 3×3 conv where it is faster (`winograd(g)`: C, OC ≥ 16 and ≥ 32
   * output tiles, as the raw conv2d_*_nhwc exports), over `threads`.
   * Same in-place / copy rules as sgemm; y must not overlap x, w or bias.
   */
  conv2dForward(x: Float32Array, w: Float32Array, bias: Float32Array | null, y: Float32Array, g: ConvShape): void {
    checkConvShape(g);
    const { N, H, W, C, KH, KW, OC, OH, OW } = g;
    this.checkLen('x', checkF32('x', x), N * H * W * C);
    this.checkLen('w', checkF32('w', w), KH * KW * C * OC);
    this.checkLen('y', checkF32('y', y), N * OH * OW * OC);
    if (bias !== null) this.checkLen('bias', checkF32('bias', bias), OC);
    const arrays = bias === null ? [x, w, y] : [x, w, y, bias];
    this.withArgs(arrays, [false, false, true, false], (px, pw, py, pb) => {
      for (const [p, name] of [[px, 'x'], [pw, 'w'], [pb, 'bias']] as const) if (p && py.overlaps(p)) throw new KernelRangeError('y', `must not overlap ${name}`);
      if (this.winograd(g)) { this.run(winogradForwardPlan(g, px.ptr, pw.ptr, pb?.ptr ?? 0, py.ptr, this.threads, this.wino, this.winoWork(g))); return; }
      const colBytes = this.colBytes(g), work = this.threadWork(convThreadBytes(g, this.tiles));
      this.run([convForwardPlan(g, px.ptr, pw.ptr, pb?.ptr ?? 0, py.ptr, this.threads, this.tiles, { work, colBytes })]);
    });
  }

  /** dx = ∂(Σ dy·y)/∂x of conv2dForward (overwritten); dx [N][H][W][C], dy [N][OH][OW][OC]. */
  conv2dBackwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, g: ConvShape): void {
    checkConvShape(g);
    const { N, H, W, C, KH, KW, OC, OH, OW } = g;
    this.checkLen('dy', checkF32('dy', dy), N * OH * OW * OC);
    this.checkLen('w', checkF32('w', w), KH * KW * C * OC);
    this.checkLen('dx', checkF32('dx', dx), N * H * W * C);
    this.withArgs([dy, w, dx], [false, false, true], (pdy, pw, pdx) => {
      if (pdx.overlaps(pdy) || pdx.overlaps(pw)) throw new KernelRangeError('dx', 'must not overlap dy or w');
      if (this.winograd(g)) { this.run(winogradBackwardDataPlan(g, pdy.ptr, pw.ptr, pdx.ptr, this.threads, this.wino, this.winoWork(g))); return; }
      const colBytes = this.colBytes(g), work = this.threadWork(convThreadBytes(g, this.tiles));
      this.run([convBackwardDataPlan(g, pdy.ptr, pw.ptr, pdx.ptr, this.threads, this.tiles, { work, colBytes })]);
    });
  }

  /** dw = ∂(Σ dy·y)/∂w of conv2dForward (overwritten); dw is HWIO [KH][KW][C][OC]. */
  conv2dBackwardFilter(x: Float32Array, dy: Float32Array, dw: Float32Array, g: ConvShape): void {
    checkConvShape(g);
    const { N, H, W, C, KH, KW, OC, OH, OW } = g;
    this.checkLen('x', checkF32('x', x), N * H * W * C);
    this.checkLen('dy', checkF32('dy', dy), N * OH * OW * OC);
    this.checkLen('dw', checkF32('dw', dw), KH * KW * C * OC);
    this.withArgs([x, dy, dw], [false, false, true], (px, pdy, pdw) => {
      if (pdw.overlaps(px) || pdw.overlaps(pdy)) throw new KernelRangeError('dw', 'must not overlap x or dy');
      if (this.winograd(g)) { this.run(winogradBackwardFilterPlan(g, px.ptr, pdy.ptr, pdw.ptr, this.threads, this.wino, this.winoWork(g))); return; }
      const colBytes = this.colBytes(g), work = this.threadWork(convThreadBytes(g, this.tiles));
      this.run(convBackwardFilterPlan(g, px.ptr, pdy.ptr, pdw.ptr, this.threads, this.tiles, { work, colBytes }));
    });
  }

  /** Whether conv2d* run this shape by Winograd F(2×2, 3×3) (the rule of the raw conv2d_*_nhwc exports). */
  winograd(g: ConvShape): boolean {
    return isWinograd(g, this.exports.conv2d_winograd_f2x3_pays);
  }

  /** Scratch of the Winograd plans: the filter (U or dU), the shared chunk, each thread's block. */
  private winoWork(g: ConvShape): { U: number; chunk: number; work: (t: number) => number } {
    const l = winogradLayout(g, this.wino);
    const base = this.workspace(l.filterBytes + l.chunkBytes + l.perThread * this.threads);
    return { U: base, chunk: base + l.filterBytes, work: (t) => base + l.filterBytes + l.chunkBytes + t * l.perThread };
  }

  private colBytes(g: ConvShape): number {
    const K = g.KH * g.KW * g.C;
    return Math.ceil((convChunkRows(K, g.N * g.OH * g.OW, this.tiles.mr) * K * 4) / 64) * 64;
  }

  private checkLen(name: string, a: Float32Array, need: number): void {
    const have = this.lengthOf(a);
    if (have < need) throw new KernelRangeError(name, `too short: needs ${need} elements for this shape, got ${have}`);
  }

  /** Stops the helper threads (a no-op with one thread). Later sgemm/conv2d* calls throw. */
  close(): void {
    this.team?.close();
  }

  /** @internal Used by loadKernels: starts threads − 1 helpers over this (shared) memory. */
  async startThreads(module: WebAssembly.Module, threads: number): Promise<void> {
    const ctl = this.arena.alloc(controlBytes(threads - 1));
    this.team = await ThreadTeam.start(module, this.memory, this.exports, ctl, threads);
  }

  /**
   * Resolves arrays to pointers: ours in place, foreign ones copied into temporaries
   * (all allocated before any copy, so a growth cannot detach a view mid-copy) and,
   * where `out` is set, copied back afterwards.
   */
  withArgs(arrays: Float32Array[], out: boolean[], fn: (...p: Ptr[]) => void): void {
    const temps: number[] = [];
    const ptrs: Ptr[] = arrays.map((a) => {
      const r = this.region(a);
      if (r) return new Ptr(r.ptr, r.length);
      const p = this.arena.alloc(a.length * 4);
      temps.push(p);
      return new Ptr(p, a.length, a);
    });
    try {
      const heap = this.heapF32();
      for (const p of ptrs) if (p.foreign) heap.set(p.foreign, p.ptr >>> 2);
      fn(...ptrs);
      const after = this.heapF32();
      ptrs.forEach((p, i) => {
        if (p.foreign && out[i]) p.foreign.set(after.subarray(p.ptr >>> 2, (p.ptr >>> 2) + p.length));
      });
    } finally {
      for (const t of temps) this.arena.release(t);
    }
  }
}

export class Ptr {
  constructor(readonly ptr: number, readonly length: number, readonly foreign?: Float32Array) {}
  overlaps(o: Ptr): boolean {
    return this.ptr < o.ptr + o.length * 4 && o.ptr < this.ptr + this.length * 4;
  }
}

/** Loads and instantiates the kernels with a fresh memory (shared when threads > 1). */
export async function loadKernels(options: LoadOptions = {}): Promise<Kernels> {
  const initial = checkSize('initialPages', options.initialPages ?? 256, 1);
  let memory = options.memory;
  if (memory !== undefined && !(memory instanceof WebAssembly.Memory)) throw new KernelTypeError('memory', 'must be a WebAssembly.Memory');
  const plan = await resolveThreads(options.threads);
  let shared = memory !== undefined && typeof SharedArrayBuffer !== 'undefined' && memory.buffer instanceof SharedArrayBuffer;
  if (plan.threads > 1 && memory !== undefined && !shared) {
    throw new KernelRangeError('memory', `threads: ${plan.threads} needs a shared memory (new WebAssembly.Memory({ initial, maximum: 65536, shared: true })); this one is not shared`);
  }
  if (plan.threads > 1 && memory === undefined) {
    memory = new WebAssembly.Memory({ initial, maximum: 65536, shared: true });
    shared = true;
  }
  let compiled = options.compiled;
  if (compiled !== undefined) {
    if (!(compiled.module instanceof WebAssembly.Module)) throw new KernelTypeError('compiled.module', 'must be a WebAssembly.Module');
    if (compiled.threads !== shared) {
      throw new KernelRangeError('compiled', `is the ${compiled.threads ? 'threads' : 'non-shared'} build but the memory is ${shared ? 'shared' : 'not shared'}`);
    }
  } else {
    compiled = await compileKernels(options.build ?? 'auto', { threads: shared });
  }
  memory ??= new WebAssembly.Memory({ initial });
  let exports: KernelExports;
  try {
    exports = instantiateKernels(compiled.module, memory);
  } catch (e) {
    // The module declares a minimum memory (its static data); a smaller one fails to link.
    if (!(e instanceof WebAssembly.LinkError)) throw e;
    const need = /initial (\d+)/.exec(String(e.message))?.[1];
    const have = memory.buffer.byteLength / 65536;
    throw new KernelRangeError(options.memory ? 'memory' : 'initialPages', `${have} page${have === 1 ? '' : 's'} is below the module's minimum${need ? ` of ${need} pages` : ''}`);
  }
  const k = new Kernels(exports, memory, {
    build: compiled.build,
    relaxedSupported: compiled.relaxedSupported,
    sharedMemorySupported: typeof SharedArrayBuffer !== 'undefined',
    threads: plan.threads,
    threadsReason: plan.reason,
  }, options.arena);
  if (plan.threads > 1) await k.startThreads(compiled.module, plan.threads);
  return k;
}
