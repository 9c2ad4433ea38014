import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  KernelLoadError, KernelRangeError, KernelTypeError, OutOfMemoryError, loadKernels, type Kernels,
} from '../../src/kernels/index.js';

describe('kernel API', () => {
  let k: Kernels;
  beforeAll(async () => { k = await loadKernels(); });

  it('auto picks relaxed SIMD where the engine validates it (tests run with the flag)', () => {
    expect(k.info.relaxedSupported).toBe(true);
    expect(k.info.build).toBe('relaxed-simd');
    expect(k.exports.relaxed_build()).toBe(1);
  });

  it('falls back to plain SIMD on an engine without relaxed SIMD (Node 20, no flag)', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const script = `import('./dist/kernels/index.js').then(async (m) => {
      const k = await m.loadKernels();
      let forced = 'none';
      try { await m.loadKernels({ build: 'relaxed-simd' }); } catch (e) { forced = e.name; }
      console.log(JSON.stringify({ build: k.info.build, relaxed: k.info.relaxedSupported, forced }));
    })`;
    const out = execFileSync(process.execPath, ['--no-experimental-wasm-relaxed-simd', '-e', script], { cwd: root, encoding: 'utf8' });
    expect(JSON.parse(out.trim())).toEqual({ build: 'simd', relaxed: false, forced: 'KernelLoadError' });
  });

  it('rejects an unknown build with a typed error', async () => {
    await expect(loadKernels({ build: 'avx' as never })).rejects.toBeInstanceOf(KernelLoadError);
  });

  it('f32 returns a zeroed view into Wasm memory, used in place', () => {
    const A = k.f32(4), B = k.f32(4), C = k.f32(4);
    expect(A.buffer).toBe(k.memory.buffer);
    expect(Array.from(A)).toEqual([0, 0, 0, 0]);
    A.set([1, 2, 3, 4]); B.set([5, 6, 7, 8]);
    k.sgemm(false, false, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2);
    expect(Array.from(C)).toEqual([19, 22, 43, 50]);
    k.free(A); k.free(B); k.free(C);
  });

  it('copies foreign Float32Arrays in and C back out', () => {
    const A = new Float32Array([1, 2, 3, 4]), B = new Float32Array([5, 6, 7, 8]), C = new Float32Array([1, 1, 1, 1]);
    const used = k.arena.bytesInUse;
    k.sgemm(true, false, 2, 2, 2, 1, A, 2, B, 2, 1, C, 2);
    expect(Array.from(C)).toEqual([27, 31, 39, 45]); // AᵀB + C
    expect(Array.from(A)).toEqual([1, 2, 3, 4]);
    expect(k.arena.bytesInUse).toBe(used); // temporaries freed
  });

  it('views stay usable after memory grows: kernels accept detached views, view() re-derives', () => {
    const A = k.f32(4), B = k.f32(4), C = k.f32(4);
    A.set([1, 2, 3, 4]); B.set([1, 0, 0, 1]);
    const before = k.memory.buffer.byteLength;
    const big = k.f32((before / 4) * 2); // forces memory.grow
    expect(k.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(A.length).toBe(0); // the engine detached the old view
    k.sgemm(false, false, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2);
    expect(Array.from(k.view(C))).toEqual([1, 2, 3, 4]);
    expect(Array.from(k.view(A))).toEqual([1, 2, 3, 4]);
    k.free(big); k.free(A); k.free(B); k.free(C);
  });

  it('free returns memory for reuse and rejects double free; reset frees everything', () => {
    const a = k.f32(1000);
    const p = k.ptr(a)!;
    k.free(a);
    const b = k.f32(1000);
    expect(k.ptr(b)).toBe(p);
    expect(() => k.free(a)).toThrow(KernelRangeError);
    expect(() => k.free(new Float32Array(3))).toThrow(/not allocated by this module/);
    k.free(b);
  });

  it('reset frees all allocations', async () => {
    const k2 = await loadKernels();
    k2.f32(100); k2.f32(200);
    expect(k2.arena.bytesInUse).toBeGreaterThan(0);
    k2.reset();
    expect(k2.arena.bytesInUse).toBe(0);
  });

  it('out of memory is a typed error, not a crash', () => {
    expect(() => k.f32(2 ** 30 + 1)).toThrow(OutOfMemoryError);
    const a = k.f32(8); // still usable afterwards
    expect(a.length).toBe(8);
    k.free(a);
  });
});

describe('sgemm argument errors (thrown before any Wasm runs)', () => {
  let k: Kernels;
  let A: Float32Array, B: Float32Array, C: Float32Array;
  beforeAll(async () => {
    k = await loadKernels();
    A = k.f32(6); B = k.f32(6); C = k.f32(4);
  });
  // A valid call: 2x3 · 3x2 → 2x2.
  const call = (o: Record<string, unknown> = {}) => () => {
    const a = { tA: false, tB: false, M: 2, N: 2, K: 3, alpha: 1, A, lda: 3, B, ldb: 2, beta: 0, C, ldc: 2, ...o };
    k.sgemm(a.tA as boolean, a.tB as boolean, a.M as number, a.N as number, a.K as number, a.alpha as number,
      a.A as Float32Array, a.lda as number, a.B as Float32Array, a.ldb as number, a.beta as number, a.C as Float32Array, a.ldc as number);
  };
  const cases: [string, Record<string, unknown>, new (...a: never[]) => Error, RegExp][] = [
    ['lda < K', { lda: 2 }, KernelRangeError, /^lda: must be ≥ max\(1, 3\)/],
    ['lda < M when A is transposed', { tA: true, lda: 1 }, KernelRangeError, /^lda:/],
    ['ldb < N', { ldb: 1 }, KernelRangeError, /^ldb:/],
    ['ldc < N', { ldc: 1 }, KernelRangeError, /^ldc:/],
    ['A too short', { M: 3 }, KernelRangeError, /^A: too short/],
    ['B too short', { K: 4, lda: 4, M: 1 }, KernelRangeError, /^B: too short/],
    ['C too short', { C: new Float32Array(3) }, KernelRangeError, /^C: too short/],
    ['NaN M', { M: NaN }, KernelTypeError, /^M: must be a number/],
    ['negative N', { N: -1 }, KernelRangeError, /^N: must be ≥ 0/],
    ['fractional K', { K: 1.5 }, KernelRangeError, /^K: must be an integer/],
    ['string K', { K: '3' }, KernelTypeError, /^K: must be a number, got string/],
    ['transA not boolean', { tA: 1 }, KernelTypeError, /^transA: must be a boolean/],
    ['A not a Float32Array', { A: [1, 2, 3, 4, 5, 6] }, KernelTypeError, /^A: must be a Float32Array, got Array/],
    ['B a Float64Array', { B: new Float64Array(6) }, KernelTypeError, /^B: must be a Float32Array, got Float64Array/],
    ['alpha not a number', { alpha: null }, KernelTypeError, /^alpha:/],
    ['lda zero', { lda: 0 }, KernelRangeError, /^lda: must be ≥ 1/],
  ];
  for (const [name, over, type, msg] of cases) {
    it(name, () => {
      const before = Array.from(C);
      C.fill(7);
      expect(call(over)).toThrow(type);
      expect(call(over)).toThrow(msg);
      expect(Array.from(C)).toEqual([7, 7, 7, 7]); // nothing ran
      C.set(before);
    });
  }
  it('C overlapping A is rejected', () => {
    const buf = k.f32(16);
    expect(() => k.sgemm(false, false, 2, 2, 2, 1, buf, 2, B, 2, 0, buf, 2)).toThrow(/^C: must not overlap/);
  });
  it('the error carries the argument name', () => {
    try { call({ ldb: 1 })(); } catch (e) { expect((e as KernelRangeError).argument).toBe('ldb'); return; }
    throw new Error('did not throw');
  });
  it('M = 0 or N = 0 is a no-op; K = 0 scales C by beta', () => {
    C.set([1, 2, 3, 4]);
    k.sgemm(false, false, 0, 2, 3, 1, A, 3, B, 2, 0, C, 2);
    expect(Array.from(C)).toEqual([1, 2, 3, 4]);
    k.sgemm(false, false, 2, 2, 0, 1, A, 1, B, 2, 2, C, 2);
    expect(Array.from(C)).toEqual([2, 4, 6, 8]);
  });
});

// Issue 12, bug 4: a view from k.view(a) (or any Float32Array over the memory) is used in
// place by pointer — never mistaken for a foreign array — even when the call itself grows the
// memory (GEMM packing scratch at n = 1024 after small calls) and so detaches the view mid-call.
describe('views over Wasm memory survive growth inside a call (both builds)', () => {
  /** One entry of A·B in f64 (n × n, row-major). */
  const refEntry = (A: Float32Array, B: Float32Array, n: number, i: number, j: number) => {
    let s = 0;
    for (let p = 0; p < n; p++) s += A[i * n + p] * B[p * n + j];
    return s;
  };
  for (const build of ['simd', 'relaxed-simd'] as const) {
    it(`${build}: sgemm n = 1024 on k.view() views and raw views after small calls`, async () => {
      const k = await loadKernels({ build, initialPages: 2 });
      const s = [k.f32(9), k.f32(9), k.f32(9)];
      s[0].set([1, 2, 3, 4, 5, 6, 7, 8, 9]); s[1].set([1, 0, 0, 0, 1, 0, 0, 0, 1]);
      k.sgemm(false, false, 3, 3, 3, 1, s[0], 3, s[1], 3, 0, s[2], 3);
      expect(Array.from(k.view(s[2]))).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      const n = 1024;
      const A0 = k.f32(n * n), B0 = k.f32(n * n), C0 = k.f32(n * n);
      const A = k.view(A0), B = k.view(B0);
      const C = new Float32Array(k.memory.buffer, k.ptr(C0)!, n * n); // a raw view over the memory
      let x = 1;
      for (let i = 0; i < n * n; i++) { x = (x * 16807) % 2147483647; A[i] = (x / 2147483647) - 0.5; x = (x * 16807) % 2147483647; B[i] = (x / 2147483647) - 0.5; }
      const a = Float32Array.from(A), b = Float32Array.from(B);
      const before = k.memory.buffer.byteLength;
      const inUse = k.arena.bytesInUse;
      k.sgemm(false, false, n, n, n, 1, A, n, B, n, 0, C, n);
      expect(k.memory.buffer.byteLength).toBeGreaterThan(before); // the call grew the memory …
      expect(A.length).toBe(0); // … and detached the views it was given
      const scratch = k.arena.bytesInUse - inUse; // only the packing workspace, no copies of A, B, C
      expect(scratch).toBeLessThan(n * n * 4);
      const got = k.view(C0);
      let worst = 0;
      for (let e = 0; e < n * n; e += 9973) {
        const want = refEntry(a, b, n, Math.floor(e / n), e % n);
        worst = Math.max(worst, Math.abs(got[e] - want) / (1 + Math.abs(want)));
      }
      expect(worst).toBeLessThan(1e-4);
      // A detached k.view() view still works as an input and as an output.
      const small = k.f32(4), out = k.view(k.f32(4));
      k.view(small).set([1, 2, 3, 4]);
      k.f32(k.memory.buffer.byteLength / 2); // grow again: `out` detaches
      expect(out.length).toBe(0);
      k.sgemm(false, false, 2, 2, 2, 1, small, 2, A, n, 0, out, 2);
      const av = k.view(A0), o = k.view(out);
      const want = [av[0] + 2 * av[n], av[1] + 2 * av[n + 1], 3 * av[0] + 4 * av[n], 3 * av[1] + 4 * av[n + 1]];
      want.forEach((w, i) => expect(o[i]).toBeCloseTo(w, 5));
    });
  }
});

describe('memory below the module minimum', () => {
  it('initialPages 1 is a typed error naming the option and the minimum, not a LinkError', async () => {
    await expect(loadKernels({ initialPages: 1 })).rejects.toThrow(KernelRangeError);
    await expect(loadKernels({ initialPages: 1 })).rejects.toThrow(/^initialPages: 1 page is below the module's minimum of \d+ pages$/);
  });
});
