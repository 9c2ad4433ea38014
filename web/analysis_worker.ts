// The page's analysis worker (a module Worker, Comlink): everything after training that would
// freeze the tab on the main thread — the parametric plot between the SB and LB minimizers,
// the sharpness φ of each, and the kernel playground's benchmarks.
import * as Comlink from 'comlink';
import { loadKernels, type Kernels } from '../src/kernels/index.js';
import { Model } from '../src/nn/model.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { createOptimizer } from '../src/optim/index.js';
import { networkSharpness, type SharpnessEntry } from '../src/landscape/network.js';
import type { LabeledSet } from '../src/nn/model.js';
import type { ParametricPoint } from './results.js';
import { gemmGflops, type GemmCase, type GemmFigure } from './gemm_timing.js';

export interface ParametricJob {
  spec: ModelSpec;
  xSB: Float32Array;
  xLB: Float32Array;
  train: LabeledSet;
  test: LabeledSet;
  alphas: number[];
  /** BN batch statistics per chunk of this size (the paper's code: 5000). */
  chunk: number;
}

export interface SharpnessJob {
  spec: ModelSpec;
  x: Float32Array;
  train: LabeledSet;
  eps: number[];
  /** Random-subspace dimension (the paper: 100), or 0 for full space only. */
  subspace: number;
  sample: number;
  maxIter: number;
  seed: number;
}

export interface StepFigure { net: string; batch: number; msPerStep: number; samplesPerSecond: number; steps: number }

let kernels: Promise<Kernels> | null = null;
const k = () => (kernels ??= loadKernels());

/** The model with parameters x (BN running statistics stay at their initial values; only batch statistics are used here). */
function modelAt(kk: Kernels, spec: ModelSpec, x: Float32Array): Model {
  const m = Model.create(kk, spec);
  if (x.length !== m.numParams) throw new RangeError(`x: the network has ${m.numParams} parameters, got ${x.length}`);
  m.params.view().set(x);
  return m;
}

const api = {
  async build(): Promise<string> {
    return (await k()).info.build;
  },

  /** f(α·x_LB + (1 − α)·x_SB) on train and test, BN with per-chunk batch statistics; onPoint after each α. */
  async parametric(job: ParametricJob, onPoint: (p: ParametricPoint, i: number) => void): Promise<ParametricPoint[]> {
    const kk = await k();
    const m = modelAt(kk, job.spec, job.xSB);
    try {
      const n = m.numParams, x = new Float32Array(n), out: ParametricPoint[] = [];
      for (let i = 0; i < job.alphas.length; i++) {
        const a = job.alphas[i];
        for (let j = 0; j < n; j++) x[j] = a * job.xLB[j] + (1 - a) * job.xSB[j];
        m.params.view().set(x);
        const tr = m.evaluate(job.train, { batchStats: true, batchSize: Math.min(job.chunk, job.train.n) });
        const te = m.evaluate(job.test, { batchStats: true, batchSize: Math.min(job.chunk, job.test.n) });
        const p = { alpha: a, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te.loss, testAcc: te.accuracy };
        out.push(p);
        await onPoint(p, i);
      }
      return out;
    } finally {
      m.dispose();
    }
  },

  /** The paper's φ at each ε, full space and (optionally) a random p-dimensional subspace. */
  async sharpness(job: SharpnessJob): Promise<SharpnessEntry[]> {
    const kk = await k();
    const m = modelAt(kk, job.spec, job.x);
    try {
      const p = job.subspace > 0 ? Math.min(job.subspace, m.numParams) : undefined;
      return networkSharpness(m, job.train, { eps: job.eps, subspace: p, seed: job.seed, maxIter: job.maxIter, sample: job.sample }).results;
    } finally {
      m.dispose();
    }
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

  /** Cost of one training step (forward, backward, Adam) at each batch size. */
  async stepCost(spec: ModelSpec, batches: number[], steps: number): Promise<StepFigure[]> {
    const kk = await k();
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
