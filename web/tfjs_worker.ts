// TensorFlow.js's Wasm backend (XNNPACK) in the page, for the kernel playground's comparison.
// A separate bundle entry (tfjs.js), started only when the playground runs, so the page itself
// does not carry TF.js. One backend per Worker: its binary and thread count are fixed when it
// initializes, so the page starts one Worker for 1 thread (the SIMD binary, as
// bench/gemm.bench.mjs in Node) and one for N threads (the threaded-SIMD binary, which TF.js
// only picks in a cross-origin isolated page; see init for its own cap on threads). Timed like
// lbgap's sgemm (gemm_timing.ts): inputs resident as tensors, only tf.matMul timed (the Wasm
// backend computes eagerly; the output is disposed, not read back), median over repeated
// calls, the result checked first.
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import * as Comlink from 'comlink';
import { checkGemm, fill, gemmLayout, gflopsOf, medianCallMs, type GemmCase, type GemmFigure } from './gemm_timing.js';

export interface TfjsSetup {
  version: string; binary: string; threads: number;
  /** Threads TF.js would take by itself here: its C++ caps the pool at navigator.hardwareConcurrency / 2 (1 … 8). */
  ownThreads: number;
}

let setup: TfjsSetup | null = null;

const api = {
  /** Starts the Wasm backend on `threads` threads (> 1 needs SharedArrayBuffer); says what it got. */
  async init(threads: number): Promise<TfjsSetup> {
    if (setup) throw new Error('the TF.js backend is already initialized in this worker');
    if (!(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'))) throw new Error('this engine lacks Wasm SIMD: the playground compares against TF.js’s SIMD binaries only');
    const threaded = threads > 1 && (await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')) === true;
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', threaded);
    // The .wasm files are copied from @tensorflow/tfjs-backend-wasm into tfjs/ beside this bundle.
    setWasmPaths(new URL('./tfjs/', import.meta.url).href);
    setThreadsCount(threaded ? threads : 1);
    // TF.js's backend (backend.cc) caps its XNNPACK pool at min(setThreadsCount, 8,
    // hardwareConcurrency / 2), assuming two hyperthreads per core: on a 2-core machine it never
    // runs more than 1 thread. To compare at equal threads, this worker's navigator reports
    // 2 × threads to it (read once, when the module starts); `ownThreads` keeps TF.js's own choice.
    const ownThreads = Math.min(Math.max(Math.floor((navigator.hardwareConcurrency || 1) / 2), 1), 8);
    if (threaded && threads > ownThreads) Object.defineProperty(navigator, 'hardwareConcurrency', { value: 2 * threads, configurable: true });
    if (!(await tf.setBackend('wasm'))) throw new Error('TF.js’s Wasm backend failed to initialize');
    await tf.ready();
    setup = { version: tf.version_core, binary: threaded ? 'tfjs-backend-wasm-threaded-simd.wasm' : 'tfjs-backend-wasm-simd.wasm', threads: getThreadsCount(), ownThreads: threaded ? ownThreads : 1 };
    return setup;
  },

  /** GFLOP/s of tf.matMul for each case (init first). */
  gemm(cases: GemmCase[], minMs: number): GemmFigure[] {
    if (!setup) throw new Error('init() the TF.js backend first');
    const out: GemmFigure[] = [];
    for (const c of cases) {
      const { shapeA, shapeB, sizeA, sizeB } = gemmLayout(c);
      const ha = new Float32Array(sizeA), hb = new Float32Array(sizeB);
      fill(ha, 1); fill(hb, 2);
      const a = tf.tensor2d(ha, shapeA), b = tf.tensor2d(hb, shapeB);
      try {
        const first = tf.matMul(a, b, c.tA, c.tB);
        const C = first.dataSync() as Float32Array;
        first.dispose();
        const check = checkGemm(c, ha, hb, C, `TF.js wasm, ${setup.threads} thread${setup.threads === 1 ? '' : 's'}`);
        const { medianMs, calls } = medianCallMs(() => tf.matMul(a, b, c.tA, c.tB).dispose(), minMs);
        out.push({ shape: c.shape, build: setup.binary, threads: setup.threads, gflops: gflopsOf(c, medianMs), medianMs, calls, check });
      } finally {
        a.dispose(); b.dispose();
      }
    }
    return out;
  },
};

export type TfjsApi = typeof api;

Comlink.expose(api);
