// loadKernels({ threads }): sgemm and conv2d* over 1, 2 and 3 threads sharing one memory give
// the same bits (every output element is computed by one thread, in the one-thread order), and
// match the f64 references. Shapes are above the one-thread cutoff (MIN_PARALLEL_FLOPS) so the
// helpers really run; the plans are checked to split them.
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { loadKernels, KernelRangeError, KernelThreadError, type Kernels, type ConvShape } from '../../src/kernels/index.js';
import {
  gemmPlan, convForwardPlan, convBackwardDataPlan, convBackwardFilterPlan, MIN_PARALLEL_FLOPS,
  winogradForwardPlan, winogradBackwardDataPlan, winogradBackwardFilterPlan,
} from '../../src/kernels/plans.js';
import { convGeometry } from '../../src/nn/conv_geometry.js';
import { gemmRef } from '../ref/gemm.js';
import { conv2dAbsBound, conv2dBwdDataRef, conv2dBwdFilterRef, conv2dFwdRef } from '../ref/conv.js';
import { rand } from '../ref/rng.js';

type Gemm = [tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, beta: number];
const GEMMS: Gemm[] = [
  [false, false, 255, 65, 129, 1, 0],
  [true, false, 17, 257, 255, 1, 0],      // split by columns (more column tiles)
  [false, true, 65, 17, 1030, 0.5, 0.25], // K > KC with beta ≠ 0: edge tiles must stay edge tiles
  [true, true, 131, 67, 255, -1, 1],
];

type Conv = [N: number, H: number, W: number, C: number, K: number, S: number, pad: 'same' | 'valid', OC: number];
const CONVS: Conv[] = [
  [3, 11, 10, 16, 3, 1, 'same', 24],
  [3, 17, 15, 9, 5, 2, 'valid', 65],
  [2, 17, 17, 65, 1, 1, 'valid', 33],  // pointwise: no column buffer, split by pixel rows
  [2, 16, 15, 130, 3, 1, 'same', 3],   // K = 1170: two column chunks
  [1, 3, 3, 1, 3, 1, 'same', 1],       // below the cutoff: one thread
  [2, 13, 9, 17, 3, 1, 'same', 33],    // Winograd F(2×2, 3×3): tiles split at multiples of MR, odd edges
  [4, 24, 22, 16, 3, 1, 'valid', 40],  // Winograd over several chunks (the backward-filter rounds)
];

function shape([N, H, W, C, K, S, pad, OC]: Conv): ConvShape {
  const g = convGeometry(H, W, K, K, S, S, pad);
  return { N, H, W, C, KH: K, KW: K, OC, SH: S, SW: S, padT: g.padT, padL: g.padL, OH: g.OH, OW: g.OW };
}

function expectNear(got: Float32Array, ref: Float64Array, bound: Float64Array | null, what: string) {
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-5 * (bound ? bound[i] : Math.abs(ref[i])) + 1e-6;
    if (!(Math.abs(got[i] - ref[i]) <= tol)) expect.fail(`${what}: [${i}] = ${got[i]}, want ${ref[i]} ± ${tol}`);
  }
}

const bits = (a: Float32Array) => new Uint32Array(a.buffer, a.byteOffset, a.length);

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`threaded kernels (${build})`, () => {
    const ks: Kernels[] = [];
    beforeAll(async () => {
      for (const threads of [1, 2, 3]) ks.push(await loadKernels({ build, threads }));
    });
    afterAll(() => { for (const k of ks) k.close(); });

    it('reports its threads', () => {
      expect(ks.map((k) => k.info.threads)).toEqual([1, 2, 3]);
      expect(ks[1].info.threadsReason).toBe('threads: 2');
      expect(ks[1].memory.buffer).toBeInstanceOf(SharedArrayBuffer);
    });

    it.each(GEMMS)('sgemm tA=%s tB=%s %ix%ix%i: same bits on 1, 2, 3 threads, near the f64 reference', (tA, tB, M, N, K, alpha, beta) => {
      const lda = (tA ? M : K) + 1, ldb = (tB ? K : N) + 2, ldc = N + 3;
      const A = rand((tA ? K : M) * lda, 1), B = rand((tB ? N : K) * ldb, 2), C0 = rand(M * ldc, 3);
      const outs = ks.map((k) => {
        const C = Float32Array.from(C0);
        k.sgemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return C;
      });
      expect(bits(outs[1])).toEqual(bits(outs[0]));
      expect(bits(outs[2])).toEqual(bits(outs[0]));
      const ref = Float64Array.from(C0);
      gemmRef(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, ref, ldc);
      const absRef = new Float64Array(M * ldc);
      gemmRef(tA, tB, M, N, K, Math.abs(alpha), A.map(Math.abs), lda, B.map(Math.abs), ldb, 0, absRef, ldc);
      absRef.forEach((v, i) => { absRef[i] = v + Math.abs(beta * C0[i]); });
      expectNear(outs[0], ref, absRef, 'C');
      expect(gemmPlan({ tA, tB, M, N, K, alpha, A: 0, lda, B: 0, ldb, beta, C: 0, ldc }, 3, tiles(ks[0]), () => 0).length).toBe(3);
    });

    it.each(CONVS)('conv2d N=%i %ix%ix%i k=%i s=%i %s OC=%i: same bits on 1, 2, 3 threads, near the f64 reference', (...c) => {
      const g = shape(c);
      const x = rand(g.N * g.H * g.W * g.C, 4), w = rand(g.KH * g.KW * g.C * g.OC, 5), b = rand(g.OC, 6);
      const dy = rand(g.N * g.OH * g.OW * g.OC, 7);
      const run = (k: Kernels) => {
        const y = new Float32Array(g.N * g.OH * g.OW * g.OC).fill(NaN), dx = new Float32Array(x.length).fill(NaN), dw = new Float32Array(w.length).fill(NaN);
        k.conv2dForward(x, w, b, y, g);
        k.conv2dBackwardData(dy, w, dx, g);
        k.conv2dBackwardFilter(x, dy, dw, g);
        return { y, dx, dw };
      };
      const [one, two, three] = ks.map(run);
      for (const key of ['y', 'dx', 'dw'] as const) {
        expect(bits(two[key]), `${key}, 2 threads`).toEqual(bits(one[key]));
        expect(bits(three[key]), `${key}, 3 threads`).toEqual(bits(one[key]));
      }
      const r = refs(c, x, w, b, dy, g);
      expectNear(one.y, r.y, r.yAbs, 'y');
      expectNear(one.dx, r.dx, r.dxAbs, 'dx');
      expectNear(one.dw, r.dw, r.dwAbs, 'dw');
      const flops = 2 * g.N * g.OH * g.OW * g.KH * g.KW * g.C * g.OC;
      const p = { work: () => 0, colBytes: 0 }, t = tiles(ks[0]);
      const want = flops < MIN_PARALLEL_FLOPS ? 1 : 3;
      expect(convForwardPlan(g, 0, 0, 0, 0, 3, t, p).length).toBe(want);
      const pointwise = g.KH === 1 && g.SH === 1;
      expect(convBackwardDataPlan(g, 0, 0, 0, 3, t, p).length).toBe(pointwise ? want : Math.min(want, g.N));
      expect(convBackwardFilterPlan(g, 0, 0, 0, 3, t, p).at(-1)!.length).toBe(want);
      // Winograd where the raw exports would take it (C, OC ≥ 16, enough tiles), split as well.
      expect(ks[0].winograd(g)).toBe(g.KH === 3 && g.SH === 1 && g.C >= 16 && g.OC >= 16);
      if (ks[0].winograd(g)) {
        const e = ks[0].exports, s = {
          mr: t.mr, chunkTiles: e.winograd_f2x3_chunk_tiles, tilesBytes: e.winograd_f2x3_tiles_workspace_bytes,
          gradChunkBytes: e.winograd_f2x3_grad_chunk_bytes, gradGemmBytes: e.winograd_f2x3_grad_gemm_bytes, filterBytes: e.winograd_f2x3_filter_bytes,
        };
        const wp = { U: 0, chunk: 0, work: () => 0 };
        expect(winogradForwardPlan(g, 0, 0, 0, 0, 3, s, wp).map((r) => r.length)).toEqual([want, want]);
        expect(winogradBackwardDataPlan(g, 0, 0, 0, 3, s, wp).map((r) => r.length)).toEqual([want, want]);
        const rounds = winogradBackwardFilterPlan(g, 0, 0, 0, 3, s, wp);
        const chunks = Math.ceil(g.N * Math.ceil(g.OH / 2) * Math.ceil(g.OW / 2) / e.winograd_f2x3_chunk_tiles(g.C, g.OC, g.N * Math.ceil(g.OH / 2) * Math.ceil(g.OW / 2)));
        expect(rounds.length).toBe(2 * chunks + 1);
        if (c[1] === 24) expect(chunks).toBeGreaterThan(1);
      }
    });
  });
}

// The f64 references (and their |·| bounds) of a case, computed once for both builds.
const refCache = new Map<Conv, Record<'y' | 'yAbs' | 'dx' | 'dxAbs' | 'dw' | 'dwAbs', Float64Array>>();
function refs(c: Conv, x: Float32Array, w: Float32Array, b: Float32Array, dy: Float32Array, g: ConvShape) {
  let r = refCache.get(c);
  if (!r) {
    const ax = x.map(Math.abs), aw = w.map(Math.abs), ady = dy.map(Math.abs);
    r = {
      y: conv2dFwdRef(x, w, b, g), yAbs: conv2dAbsBound(x, w, g).map((v, i) => v + Math.abs(b[i % g.OC])),
      dx: conv2dBwdDataRef(dy, w, g), dxAbs: conv2dBwdDataRef(ady, aw, g),
      dw: conv2dBwdFilterRef(x, dy, g), dwAbs: conv2dBwdFilterRef(ax, ady, g),
    };
    refCache.set(c, r);
  }
  return r;
}

function tiles(k: Kernels) {
  const e = k.exports;
  return { mr: e.gemm_f32_mr(), nr: e.gemm_f32_nr(), kc: e.gemm_f32_kc(), gemmBytes: (M: number, N: number, K: number) => e.gemm_f32_workspace_bytes(M, N, K) };
}

describe('threads option', () => {
  it('rejects a bad thread count, naming it', async () => {
    for (const bad of [0, 1.5, 257, 'all', NaN]) {
      const e = await loadKernels({ threads: bad as number }).catch((x) => x);
      expect(e).toBeInstanceOf(KernelRangeError);
      expect(e.message).toMatch(/^threads: must be an integer in \[1, 256\] or 'auto'/);
    }
  });

  it('needs a shared memory when one is given', async () => {
    const e = await loadKernels({ threads: 2, memory: new WebAssembly.Memory({ initial: 256 }) }).catch((x) => x);
    expect(e).toBeInstanceOf(KernelRangeError);
    expect(e.message).toMatch(/^memory: threads: 2 needs a shared memory/);
  });

  it("'auto' uses the machine's cores; calls after close() throw", async () => {
    const k = await loadKernels({ threads: 'auto' });
    expect(k.info.threads).toBeGreaterThanOrEqual(1);
    expect(k.info.threadsReason).toMatch(/^threads: 'auto' \(\d+ cores\)$/);
    k.close();
    if (k.threads > 1) {
      const A = new Float32Array(256 * 256);
      expect(() => k.sgemm(false, false, 256, 256, 256, 1, A, 256, A, 256, 0, new Float32Array(256 * 256), 256)).toThrow(KernelThreadError);
    }
  });

  it('falls back to one thread without SharedArrayBuffer, saying why', async () => {
    const saved = globalThis.SharedArrayBuffer;
    // @ts-expect-error: simulate a page that is not cross-origin isolated
    delete globalThis.SharedArrayBuffer;
    try {
      const k = await loadKernels({ threads: 4 });
      expect(k.info.threads).toBe(1);
      expect(k.info.threadsReason).toMatch(/^threads: 4 requested, running on 1: SharedArrayBuffer is unavailable/);
    } finally {
      globalThis.SharedArrayBuffer = saved;
    }
  });
});
