// The page's measuring worker (a module Worker, Comlink): timings that would freeze the tab on
// the main thread — the training-step cost the form's time estimate uses, and the kernel
// playground's benchmarks. (Experiments run in the runner's job workers: job_worker.js.)
import * as Comlink from 'comlink';
import { loadKernels, type Kernels } from '../src/kernels/index.js';
import { Model } from '../src/nn/model.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { f1, tiny } from '../src/nn/specs.js';
import { createOptimizer } from '../src/optim/index.js';
import { gemmGflops, type GemmCase, type GemmFigure } from './gemm_timing.js';

/** The architectures the page offers (the CLI's 'tiny' on MNIST is the same tiny(784, 10)). */
export function netSpec(net: 'tiny' | 'F1'): ModelSpec {
  return net === 'F1' ? f1() : tiny(784, 10);
}

export interface StepFigure { net: string; batch: number; msPerStep: number; samplesPerSecond: number; steps: number }

let kernels: Promise<Kernels> | null = null;
const k = () => (kernels ??= loadKernels());
/** The playground's threaded kernels (their helper Workers end with this worker). */
let team: { threads: number; kernels: Promise<Kernels> } | null = null;

const api = {
  async build(): Promise<string> {
    return (await k()).info.build;
  },

  /** GEMM GFLOP/s of each build this browser runs. */
  async gemm(cases: GemmCase[], minMs: number): Promise<GemmFigure[]> {
    const out: GemmFigure[] = [];
    for (const build of ['simd', 'relaxed-simd'] as const) {
      let kk: Kernels;
      try { kk = await loadKernels({ build }); } catch { continue; } // relaxed SIMD unsupported here
      for (const c of cases) out.push(gemmGflops(kk, c, minMs));
    }
    return out;
  },

  /**
   * GEMM GFLOP/s of the default build on one thread and on `threads` threads
   * (loadKernels({ threads }), kept for later calls), interleaved per shape so a change in the
   * machine's load hits both alike. Without SharedArrayBuffer the kernels fall back to one
   * thread: then `many` is empty and `reason` is the kernel API's k.info.threadsReason.
   */
  async gemmThreads(cases: GemmCase[], minMs: number, threads: number): Promise<{ one: GemmFigure[]; many: GemmFigure[]; threads: number; reason: string }> {
    const single = await k();
    if (team?.threads !== threads) {
      (await team?.kernels)?.close();
      team = { threads, kernels: loadKernels({ build: single.info.build, threads }) };
    }
    const many = await team.kernels;
    const out = { one: [] as GemmFigure[], many: [] as GemmFigure[], threads: many.info.threads, reason: many.info.threadsReason };
    for (const c of cases) {
      out.one.push(gemmGflops(single, c, minMs));
      if (many.info.threads > 1) out.many.push(gemmGflops(many, c, minMs));
    }
    return out;
  },

  /** Cost of one training step (forward, backward, Adam) of the network `net` at each batch size. */
  async stepCost(net: 'tiny' | 'F1', batches: number[], steps: number): Promise<StepFigure[]> {
    const kk = await k();
    const spec = netSpec(net);
    const out: StepFigure[] = [];
    for (const B of batches) {
      const m = Model.create(kk, spec, { seed: 1 });
      const opt = createOptimizer(kk, m.numParams, { type: 'adam' });
      try {
        m.reserve(B);
        const d = m.inputSize;
        // One fixed synthetic batch: the timing is the step, not data handling.
        const x = m.inputView(B), y = m.labelsView(B);
        for (let i = 0; i < B * d; i++) x[i] = ((i * 2654435761) >>> 0) / 4294967296;
        for (let i = 0; i < B; i++) y[i] = i % m.classes;
        const step = () => { m.lossAndGrad(m.inputView(B), m.labelsView(B), B); opt.step(m.params.ptr, m.grads.ptr); };
        step(); // warm-up
        const t0 = performance.now();
        for (let s = 0; s < steps; s++) step();
        const ms = (performance.now() - t0) / steps;
        out.push({ net: spec.name ?? 'unnamed', batch: B, msPerStep: ms, samplesPerSecond: B / (ms / 1000), steps });
      } finally {
        opt.dispose();
        m.dispose();
      }
    }
    return out;
  },
};

export type AnalysisApi = typeof api;

Comlink.expose(api);
