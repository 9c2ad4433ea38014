// GEMM throughput in the browser, measured like bench/gemm.bench.mjs does in Node: inputs
// resident in Wasm memory, only the product timed, median over repeated calls. The result is
// checked against an f64 product first on a few entries (a wrong answer makes a speed meaningless).
// The same helpers time TensorFlow.js's Wasm backend (tfjs_worker.ts), so both sides of the
// playground's comparison are measured one way.
import type { Kernels } from '../src/kernels/index.js';

/** Shape names match bench/gemm.bench.mjs's rows so the page can put Node's figure beside it. */
export interface GemmCase { shape: string; M: number; N: number; K: number; tA: boolean; tB: boolean }
export interface GemmFigure {
  shape: string; build: string; gflops: number; medianMs: number; calls: number;
  /** Threads the product ran on. */
  threads: number;
  /** Worst |C − f64 reference| / (1e-5·Σ|terms|) over the checked entries: ≤ 1 means verified. */
  check: number;
}

export const PLAYGROUND_GEMMS: GemmCase[] = [
  { shape: 'square 128', M: 128, N: 128, K: 128, tA: false, tB: false },
  { shape: 'square 256', M: 256, N: 256, K: 256, tA: false, tB: false },
  { shape: 'square 512', M: 512, N: 512, K: 512, tA: false, tB: false },
  { shape: 'dense fwd X·Wᵀ B=256', M: 256, N: 512, K: 784, tA: false, tB: true },
];

/** Stored sizes and leading dimensions of op(A) (M×K) and op(B) (K×N), row-major. */
export function gemmLayout(c: GemmCase): { lda: number; ldb: number; sizeA: number; sizeB: number; shapeA: [number, number]; shapeB: [number, number] } {
  const { M, N, K, tA, tB } = c;
  const shapeA: [number, number] = tA ? [K, M] : [M, K], shapeB: [number, number] = tB ? [N, K] : [K, N];
  return { lda: shapeA[1], ldb: shapeB[1], sizeA: shapeA[0] * shapeA[1], sizeB: shapeB[0] * shapeB[1], shapeA, shapeB };
}

/** The inputs' values (A from seed 1, B from seed 2): a small LCG in [-0.5, 0.5). */
export function fill(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
}

/**
 * Checks three entries of C = op(A)·op(B) against an f64 sum; returns the worst error as a
 * fraction of the bound 1e-5·Σ|terms| and throws when one is over it (or not a number).
 */
export function checkGemm(c: GemmCase, a: Float32Array, b: Float32Array, C: Float32Array, what: string): number {
  const { M, N, K, tA, tB } = c;
  const { lda, ldb } = gemmLayout(c);
  let worst = 0;
  for (const [i, j] of [[0, 0], [M - 1, N - 1], [M >> 1, N >> 2]]) {
    let ref = 0, mag = 0;
    for (let p = 0; p < K; p++) {
      const v = (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
      ref += v; mag += Math.abs(v);
    }
    const err = Math.abs(C[i * N + j] - ref) / (1e-5 * mag + 1e-30);
    if (!(err <= 1)) throw new Error(`${c.shape} (${what}): C[${i},${j}] = ${C[i * N + j]}, f64 reference ${ref}`);
    worst = Math.max(worst, err);
  }
  return worst;
}

/**
 * Median time of one call of `run`, in ms, over ≥ 3 timed groups and ≥ `minMs` in all (at most
 * 200 groups). Timer resolution is coarse without cross-origin isolation (0.1 ms): each group is
 * as many calls as take ≥ 2 ms. Returns the median and the number of calls timed.
 */
export function medianCallMs(run: () => void, minMs: number): { medianMs: number; calls: number } {
  let reps = 1;
  for (let s = performance.now(); performance.now() - s < 2; reps++) run();
  const times: number[] = [];
  const t0 = performance.now();
  while (times.length < 3 || performance.now() - t0 < minMs) {
    const s = performance.now();
    for (let r = 0; r < reps; r++) run();
    times.push((performance.now() - s) / reps);
    if (times.length >= 200) break;
  }
  times.sort((x, y) => x - y);
  return { medianMs: times[times.length >> 1], calls: times.length * reps };
}

export const gflopsOf = (c: GemmCase, ms: number) => (2 * c.M * c.N * c.K) / 1e9 / (ms / 1000);

export function gemmGflops(k: Kernels, c: GemmCase, minMs: number): GemmFigure {
  const { M, N, K, tA, tB } = c;
  const { lda, ldb, sizeA, sizeB } = gemmLayout(c);
  const A = k.f32(sizeA), B = k.f32(sizeB), C = k.f32(M * N);
  try {
    fill(k.view(A), 1); fill(k.view(B), 2);
    const run = () => k.sgemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N);
    run();
    const what = `${k.info.build}, ${k.info.threads} thread${k.info.threads === 1 ? '' : 's'}`;
    const check = checkGemm(c, k.view(A), k.view(B), k.view(C), what);
    const { medianMs, calls } = medianCallMs(run, minMs);
    return { shape: c.shape, build: k.info.build, threads: k.info.threads, gflops: gflopsOf(c, medianMs), medianMs, calls, check };
  } finally {
    k.free(A); k.free(B); k.free(C);
  }
}
