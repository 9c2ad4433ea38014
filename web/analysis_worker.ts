// The page's analysis worker (a module Worker, Comlink): everything after training that would
// freeze the tab on the main thread — the parametric plot between the SB and LB minimizers,
// the sharpness φ of each, and the kernel playground's benchmarks.
import * as Comlink from 'comlink';
import { loadKernels, type Kernels } from '../src/kernels/index.js';
import { Model } from '../src/nn/model.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { createOptimizer } from '../src/optim/index.js';
import { networkSharpness } from '../src/landscape/network.js';
import type { LabeledSet } from '../src/nn/model.js';
import { parametricCurve, type ParametricCurve } from '../src/experiments/parametric.js';
import type { SharpnessRecord } from '../src/experiments/results.js';
import { gemmGflops, type GemmCase, type GemmFigure } from './gemm_timing.js';

export interface ParametricJob {
  spec: ModelSpec;
  xSB: Float32Array;
  xLB: Float32Array;
  alphas: number[];
  trainSample: number | null;
  testSample: number | null;
  /** BN batch statistics per chunk of this size (the paper's code: 5000). */
  chunk: number;
}

/** One φ measurement, exactly as `lbgap reproduce` makes it (src/experiments/runner.ts). */
export interface SharpnessJob {
  spec: ModelSpec;
  x: Float32Array;
  eps: number;
  space: 'full' | 'random';
  /** Random-subspace dimension p (the paper: 100). */
  subspace: number;
  maxIter: number;
  sample: number;
  chunk: number;
  /** The job's seed: the random subspace's. */
  seed: number;
}

export interface StepFigure { net: string; batch: number; msPerStep: number; samplesPerSecond: number; steps: number }

let kernels: Promise<Kernels> | null = null;
/** The experiment's data, posted once (setData) rather than with every job. */
let data: { train: LabeledSet; test: LabeledSet } | null = null;
const needData = () => { if (!data) throw new Error('setData: the analysis worker has no data yet'); return data; };
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

  setData(train: LabeledSet, test: LabeledSet): void {
    data = { train, test };
  },

  /**
   * The paper's parametric plot: f(α·x_LB + (1 − α)·x_SB) on train and test, BN with per-chunk
   * batch statistics. `onPoint` (a Comlink.proxy) hears of every finished α, for the progress bar.
   */
  async parametric(job: ParametricJob, onPoint?: (i: number) => void): Promise<ParametricCurve> {
    const kk = await k();
    const m = modelAt(kk, job.spec, job.xSB);
    try {
      const d = needData();
      return parametricCurve(m, job.xSB, job.xLB, d.train, d.test, {
        alphas: job.alphas, trainSample: job.trainSample, testSample: job.testSample, chunk: job.chunk,
        onPoint: onPoint ? (i) => { void onPoint(i); } : undefined,
      });
    } finally {
      m.dispose();
    }
  },

  /** φ at one ε in the full space or a random p-dimensional subspace, on a seeded training sample. */
  async sharpness(job: SharpnessJob): Promise<SharpnessRecord> {
    const kk = await k();
    const m = modelAt(kk, job.spec, job.x);
    try {
      const train = needData().train, sample = Math.min(job.sample, train.n);
      const r = networkSharpness(m, train, {
        eps: [job.eps], full: job.space === 'full', subspace: job.space === 'random' ? Math.min(job.subspace, m.numParams) : undefined,
        seed: job.seed, maxIter: job.maxIter, sample, chunk: Math.min(job.chunk, sample), sampleSeed: 0,
      }).results[0];
      return { space: job.space, dim: r.dim, eps: job.eps, phi: r.phi, f0: r.f0, fmax: r.fmax, iterations: r.iterations, evaluations: r.evaluations, seconds: r.seconds };
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
