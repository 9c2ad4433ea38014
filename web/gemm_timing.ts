// GEMM throughput in the browser, measured like bench/gemm.bench.mjs does in Node: inputs
// resident in Wasm memory, only the sgemm call timed, median over repeated calls. The result is
// checked against an f64 product first on a few entries (a wrong answer makes a speed meaningless).
import type { Kernels } from '../src/kernels/index.js';

/** Shape names match bench/gemm.bench.mjs's rows so the page can put Node's figure beside it. */
export interface GemmCase { shape: string; M: number; N: number; K: number; tA: boolean; tB: boolean }
export interface GemmFigure { shape: string; build: string; gflops: number; medianMs: number; calls: number }

export const PLAYGROUND_GEMMS: GemmCase[] = [
  { shape: 'square 128', M: 128, N: 128, K: 128, tA: false, tB: false },
  { shape: 'square 256', M: 256, N: 256, K: 256, tA: false, tB: false },
  { shape: 'square 512', M: 512, N: 512, K: 512, tA: false, tB: false },
  { shape: 'dense fwd X·Wᵀ B=256', M: 256, N: 512, K: 784, tA: false, tB: true },
];

function fill(a: Float32Array, seed: number): void {
  let s = seed >>> 0;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 4294967296 - 0.5;
  }
}

export function gemmGflops(k: Kernels, c: GemmCase, minMs: number): GemmFigure {
  const { M, N, K, tA, tB } = c;
  const lda = tA ? M : K, ldb = tB ? K : N;
  const A = k.f32((tA ? K : M) * lda), B = k.f32((tB ? N : K) * ldb), C = k.f32(M * N);
  try {
    fill(k.view(A), 1); fill(k.view(B), 2);
    const run = () => k.sgemm(tA, tB, M, N, K, 1, A, lda, B, ldb, 0, C, N);
    run();
    const a = k.view(A), b = k.view(B), cc = k.view(C);
    for (const [i, j] of [[0, 0], [M - 1, N - 1], [M >> 1, N >> 2]]) {
      let ref = 0, mag = 0;
      for (let p = 0; p < K; p++) {
        const v = (tA ? a[p * lda + i] : a[i * lda + p]) * (tB ? b[j * ldb + p] : b[p * ldb + j]);
        ref += v; mag += Math.abs(v);
      }
      if (!(Math.abs(cc[i * N + j] - ref) <= 1e-5 * mag + 1e-30)) throw new Error(`${c.shape} (${k.info.build}): C[${i},${j}] = ${cc[i * N + j]}, f64 reference ${ref}`);
    }
    // Timer resolution is coarse without cross-origin isolation (0.1 ms): time groups of calls of ≥ 2 ms.
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
    const med = times[times.length >> 1];
    return { shape: c.shape, build: k.info.build, gflops: (2 * M * N * K) / 1e9 / (med / 1000), medianMs: med, calls: times.length * reps };
  } finally {
    k.free(A); k.free(B); k.free(C);
  }
}
