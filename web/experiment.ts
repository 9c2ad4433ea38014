// One SB-vs-LB experiment of the page: for each seed, SB and LB start from the same initial
// weights (as in the paper's code) and train side by side, each on its own ParallelTrainer
// (Web Workers; shared memory when the page is cross-origin isolated, transferable buffers
// otherwise). Stop pauses at the next epoch boundary with the workers kept; resume continues.
// Then the analysis worker computes the parametric plot and the sharpness of both minimizers.
import * as Comlink from 'comlink';
import { sampleSize } from '../src/data/dataset.js';
import type { Kernels } from '../src/kernels/index.js';
import { Model } from '../src/nn/model.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { f1, tiny } from '../src/nn/specs.js';
import type { EpochMetrics } from '../src/train/metrics.js';
import { ParallelTrainer, sharedMemoryAvailable } from '../src/workers/index.js';
import type { AnalysisApi } from './analysis_worker.js';
import type { PageData } from './page_data.js';
import { RESULTS_VERSION, type PageResults, type PageSpec, type ParametricPoint, type RunResult } from './results.js';

export interface ExperimentHooks {
  /** After every epoch of either run (results.runs is live). */
  onEpoch(results: PageResults): void;
  onStep(label: 'SB' | 'LB', seed: number, epoch: number, step: number, steps: number, loss: number): void;
  onStatus(text: string): void;
  onParametric(results: PageResults): void;
  onSharpness(results: PageResults): void;
}

export class ExperimentOptionError extends Error {
  override name = 'ExperimentOptionError';
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
  }
}

export function netSpec(net: PageSpec['net']): ModelSpec {
  return net === 'F1' ? f1() : tiny(784, 10);
}

/** The paper's α grid: 25 evenly spaced points of [−1, 2]. */
export const ALPHAS = Array.from({ length: 25 }, (_, i) => -1 + (3 * i) / 24);

export function checkSpec(s: PageSpec): void {
  const int = (name: keyof PageSpec, v: number, min: number, max = Infinity) => {
    if (!Number.isInteger(v) || v < min || v > max) throw new ExperimentOptionError(name, `must be an integer in [${min}, ${max}], got ${v}`);
  };
  int('trainSamples', s.trainSamples, 1, 60000);
  int('testSamples', s.testSamples, 1, 10000);
  int('sbBatch', s.sbBatch, 1, s.trainSamples);
  int('lbBatch', s.lbBatch, 1, s.trainSamples);
  int('epochs', s.epochs, 1, 1000);
  int('workersPerRun', s.workersPerRun, 1, 64);
  int('analysisSamples', s.analysisSamples, 1, s.trainSamples);
  int('sharpnessIterations', s.sharpnessIterations, 1, 100);
  if (!(s.lr > 0 && Number.isFinite(s.lr))) throw new ExperimentOptionError('lr', `must be a positive number, got ${s.lr}`);
  if (s.seeds.length === 0) throw new ExperimentOptionError('seeds', 'give at least one seed');
  s.seeds.forEach((v) => int('seeds', v, 0, 2 ** 32 - 1));
  if (new Set(s.seeds).size !== s.seeds.length) throw new ExperimentOptionError('seeds', `must be distinct, got ${s.seeds.join(', ')}`);
}

interface Side { label: 'SB' | 'LB'; trainer: ParallelTrainer; model: Model; run: RunResult }

export class Experiment {
  readonly results: PageResults;
  readonly transport: 'shared' | 'transfer';
  private paused = false;
  private resumeGate: (() => void) | null = null;
  private analysis: Comlink.Remote<AnalysisApi> | null = null;
  private analysisWorker: Worker | null = null;
  private closed = false;
  private live: Side[] = [];

  constructor(private readonly k: Kernels, readonly spec: PageSpec, private readonly data: PageData, private readonly hooks: ExperimentHooks) {
    checkSpec(spec);
    this.transport = sharedMemoryAvailable() ? 'shared' : 'transfer';
    this.results = {
      version: RESULTS_VERSION, command: 'web', started: new Date().toISOString(), finished: null, spec,
      environment: {
        userAgent: navigator.userAgent, kernels: k.info.build, crossOriginIsolated: self.crossOriginIsolated === true,
        transport: this.transport, cores: navigator.hardwareConcurrency ?? 1,
      },
      seeds: spec.seeds.slice(), runs: [], parametric: [], sharpness: [],
      timings: { trainingSeconds: 0, analysisSeconds: 0 },
    };
  }

  get isPaused(): boolean { return this.paused; }

  /** Pause after the current epoch of both runs (the workers stay up). */
  stop(): void { this.paused = true; this.hooks.onStatus('stopping after the current epoch…'); }

  resume(): void {
    this.paused = false;
    const go = this.resumeGate;
    this.resumeGate = null;
    go?.();
  }

  private async gate(): Promise<void> {
    if (!this.paused) return;
    this.hooks.onStatus('stopped (press Resume to continue)');
    await new Promise<void>((ok) => { this.resumeGate = ok; });
  }

  private async side(label: 'SB' | 'LB', seed: number, batchSize: number): Promise<Side> {
    const model = Model.create(this.k, netSpec(this.spec.net), { seed });
    const trainer = await ParallelTrainer.create(model, this.data, {
      batchSize, optimizer: 'adam', lr: this.spec.lr, seed: seed + 1, workers: this.spec.workersPerRun,
      sharedMemory: this.transport === 'shared', workerUrl: new URL('./worker.js', import.meta.url),
      onStep: (s) => this.hooks.onStep(label, seed, s.epoch, s.step, Math.ceil(this.data.train.n / batchSize), s.loss),
    });
    const run: RunResult = { seed, label, batchSize, history: [], final: null };
    this.results.runs.push(run);
    return { label, trainer, model, run };
  }

  private async epoch(s: Side): Promise<void> {
    const st = await s.trainer.trainEpoch();
    const e0 = performance.now();
    const tr = await s.trainer.evaluate('train');
    const te = await s.trainer.evaluate('test');
    const m: EpochMetrics = {
      epoch: st.epoch, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te.loss, testAcc: te.accuracy,
      batchLoss: st.batchLoss, seconds: st.seconds, evalSeconds: (performance.now() - e0) / 1000,
      steps: s.trainer.steps, samplesPerSecond: st.samplesPerSecond,
    };
    s.run.history.push(m);
    s.run.final = { trainAccuracy: m.trainAcc, testAccuracy: m.testAcc, trainLoss: m.trainLoss, testLoss: m.testLoss };
    this.hooks.onEpoch(this.results);
  }

  private analysisApi(): Comlink.Remote<AnalysisApi> {
    if (!this.analysis) {
      this.analysisWorker = new Worker(new URL('./analysis.js', import.meta.url), { type: 'module', name: 'lbgap-analysis' });
      this.analysis = Comlink.wrap<AnalysisApi>(this.analysisWorker);
    }
    return this.analysis;
  }

  /** Trains every seed's SB/LB pair, then analyses it. Resolves with the finished results. */
  async run(): Promise<PageResults> {
    try {
      for (const seed of this.spec.seeds) {
        const t0 = performance.now();
        this.hooks.onStatus(`seed ${seed}: starting ${this.spec.workersPerRun} worker(s) per run (${this.transport === 'shared' ? 'shared memory' : 'transfer fallback'})…`);
        this.live = [await this.side('SB', seed, this.spec.sbBatch), await this.side('LB', seed, this.spec.lbBatch)];
        for (let e = 1; e <= this.spec.epochs; e++) {
          await this.gate();
          if (this.closed) throw new Error('experiment closed');
          this.hooks.onStatus(`seed ${seed}: training epoch ${e}/${this.spec.epochs}`);
          await Promise.all(this.live.map((s) => this.epoch(s)));
        }
        const [xSB, xLB] = this.live.map((s) => s.trainer.parameters());
        await this.closeLive();
        this.results.timings.trainingSeconds += (performance.now() - t0) / 1000;
        await this.analyse(seed, xSB, xLB);
      }
      this.results.finished = new Date().toISOString();
      this.hooks.onStatus('done');
      return this.results;
    } finally {
      await this.close();
    }
  }

  private async analyse(seed: number, xSB: Float32Array, xLB: Float32Array): Promise<void> {
    const a = this.analysisApi(), t0 = performance.now();
    const spec = netSpec(this.spec.net);
    const n = this.spec.analysisSamples;
    const sample = { ...this.data.train, n, x: this.data.train.x.subarray(0, n * sampleSize(this.data.train)), y: this.data.train.y.subarray(0, n), name: `${this.data.train.name}[0:${n}]` };
    const curve = { seed, bn: 'batch-stats' as const, points: [] as ParametricPoint[] };
    this.results.parametric.push(curve);
    this.hooks.onStatus(`seed ${seed}: parametric plot (25 points of α ∈ [−1, 2])…`);
    await a.parametric({ spec, xSB, xLB, train: sample, test: this.data.test, alphas: ALPHAS, chunk: 5000 },
      Comlink.proxy((p: ParametricPoint) => { curve.points.push(p); this.hooks.onParametric(this.results); }));
    for (const [label, x] of [['SB', xSB], ['LB', xLB]] as const) {
      this.hooks.onStatus(`seed ${seed}: sharpness of the ${label} minimizer (L-BFGS-B, ${this.spec.sharpnessIterations} iterations)…`);
      const rows = await a.sharpness({ spec, x, train: sample, eps: [1e-3, 5e-4], subspace: 100, sample: n, maxIter: this.spec.sharpnessIterations, seed });
      for (const r of rows) {
        this.results.sharpness.push({
          seed, label, eps: r.eps, space: r.space === 'full' ? 'full' : `random-${r.dim}`, phi: r.phi, f0: r.f0, fmax: r.fmax,
          iterations: r.iterations, seconds: r.seconds,
        });
      }
      this.hooks.onSharpness(this.results);
    }
    this.results.timings.analysisSeconds += (performance.now() - t0) / 1000;
  }

  private async closeLive(): Promise<void> {
    const live = this.live;
    this.live = [];
    await Promise.all(live.map(async (s) => { await s.trainer.close(); s.model.dispose(); }));
  }

  /** Ends the workers (also mid-run: a pending run() then rejects). */
  async close(): Promise<void> {
    this.closed = true;
    this.resume();
    await this.closeLive();
    this.analysis?.[Comlink.releaseProxy]();
    this.analysisWorker?.terminate();
    this.analysis = null; this.analysisWorker = null;
  }
}
