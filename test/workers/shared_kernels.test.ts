// The kernel-API feature the worker pool stands on: a caller-supplied (shared) memory, the
// threads builds, and arenas restricted to a byte range. Both builds.
import { describe, expect, it } from 'vitest';
import { compileKernels, loadKernels, KernelRangeError, KernelTypeError, OutOfMemoryError } from '../../src/kernels/index.js';
import { Arena } from '../../src/kernels/arena.js';
import { gemmRef } from '../ref/gemm.js';

const BUILDS = ['simd', 'relaxed-simd'] as const;
const PAGE = 65536;

describe.each(BUILDS)('shared memory, %s', (build) => {
  it('two instances over one shared memory, each in its own arena range, compute independently', async () => {
    const memory = new WebAssembly.Memory({ initial: 64, maximum: 256, shared: true });
    expect(memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    const a = await loadKernels({ build, memory, arena: { base: 16 * PAGE, limit: 40 * PAGE } });
    const b = await loadKernels({ build, memory, arena: { base: 40 * PAGE, limit: 64 * PAGE } });
    expect(a.info.build).toBe(build);
    for (const [k, M, N, K] of [[a, 17, 3, 65], [b, 1, 255, 3]] as const) {
      const A = k.f32(M * K), B = k.f32(K * N), C = k.f32(M * N);
      for (let i = 0; i < A.length; i++) A[i] = Math.sin(i + M);
      for (let i = 0; i < B.length; i++) B[i] = Math.cos(i * 0.7 + N);
      const ptrs = [k.ptr(A)!, k.ptr(B)!, k.ptr(C)!];
      const lo = k === a ? 16 * PAGE : 40 * PAGE, hi = k === a ? 40 * PAGE : 64 * PAGE;
      for (const p of ptrs) { expect(p).toBeGreaterThanOrEqual(lo); expect(p).toBeLessThan(hi); }
      k.sgemm(false, false, M, N, K, 1, A, K, B, N, 0, C, N);
      const ref = new Float64Array(M * N);
      gemmRef(false, false, M, N, K, 1, Float64Array.from(A), K, Float64Array.from(B), N, 0, ref, N);
      for (let i = 0; i < C.length; i++) expect(Math.abs(C[i] - ref[i])).toBeLessThan(1e-4 * (1 + Math.abs(ref[i])));
    }
  });

  it('an arena restricted to a range throws OutOfMemoryError instead of crossing its limit', async () => {
    const memory = new WebAssembly.Memory({ initial: 8, maximum: 64, shared: true });
    const k = await loadKernels({ build, memory, arena: { base: 2 * PAGE, limit: 3 * PAGE } });
    k.f32(PAGE / 8);
    expect(() => k.f32(PAGE / 4)).toThrow(OutOfMemoryError);
    expect(() => k.f32(PAGE / 4)).toThrow(/restricted to bytes \[131072, 196608\)/);
  });

  it('rejects a base inside the static data, a non-memory, and a build/memory mismatch', async () => {
    const memory = new WebAssembly.Memory({ initial: 4, maximum: 16, shared: true });
    await expect(loadKernels({ build, memory, arena: { base: 0 } })).rejects.toThrow(KernelRangeError);
    await expect(loadKernels({ build, memory: {} as WebAssembly.Memory })).rejects.toThrow(KernelTypeError);
    const plain = await compileKernels(build);
    await expect(loadKernels({ memory, compiled: plain })).rejects.toThrow(/non-shared build but the memory is shared/);
    const threads = await compileKernels(build, { threads: true });
    expect(threads.threads).toBe(true);
    await expect(loadKernels({ memory: new WebAssembly.Memory({ initial: 4 }), compiled: threads })).rejects.toThrow(/threads build but the memory is not shared/);
    const k = await loadKernels({ memory, compiled: threads });
    expect(k.info.build).toBe(build);
  });
});

describe('Arena range arguments', () => {
  it('validates base and limit', () => {
    const m = new WebAssembly.Memory({ initial: 1 });
    expect(() => new Arena(m, -1)).toThrow(KernelRangeError);
    expect(() => new Arena(m, 1024, 1024)).toThrow(/limit/);
    expect(() => new Arena(m, 1024, 2 ** 33)).toThrow(/limit/);
  });
});
