// One SB-vs-LB experiment of the page: for each seed, SB and LB start from the same initial
// weights (as in the paper's code) and train side by side, each on its own ParallelTrainer
// (Web Workers; shared memory when the page is cross-origin isolated, transferable buffers
// otherwise). Stop pauses at the next epoch boundary with the workers kept; resume continues.
// Then the analysis worker computes the parametric plot and the sharpness of both minimizers.
import * as Comlink from 'comlink';
import type { ExperimentSpec } from '../src/experiments/spec.js';
import type { RunRecord } from '../src/experiments/results.js';
import { linspace } from '../src/experiments/parametric.js';
import type { Kernels } from '../src/kernels/index.js';
import { Model } from '../src/nn/model.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { f1, tiny } from '../src/nn/specs.js';
import type { EpochMetrics } from '../src/train/metrics.js';
import { ParallelTrainer, sharedMemoryAvailable } from '../src/workers/index.js';
import type { AnalysisApi } from './analysis_worker.js';
import type { PageData } from './page_data.js';
import { experimentSpec, newResults, refreshSummary, type PageResults, type PageSpec } from './results.js';

export interface ExperimentHooks {
  /** After every epoch of either run (results.runs is live). */
  onEpoch(results: PageResults): void;
  onStep(label: 'SB' | 'LB', seed: number, epoch: number, step: number, steps: number, loss: number): void;
  onStatus(text: string): void;
  /** After the parametric plot or a sharpness measurement was added. */
  onAnalysis(results: PageResults): void;
}

export class ExperimentOptionError extends Error {
  override name = 'ExperimentOptionError';
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
  }
}

/** The architectures the page offers (the CLI's 'tiny' on MNIST is the same tiny(784, 10)). */
export function netSpec(net: PageSpec['net']): ModelSpec {
  return net === 'F1' ? f1() : tiny(784, 10);
}

/** The form's values, checked (with the names of the form fields) before anything starts. */
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
  s.seeds.forEach((v) => int('seeds', v, 0, 2 ** 32 - 2));
  if (new Set(s.seeds).size !== s.seeds.length) throw new ExperimentOptionError('seeds', `must be distinct, got ${s.seeds.join(', ')}`);
}

interface Side { label: 'SB' | 'LB'; trainer: ParallelTrainer; model: Model; run: RunRecord; t0: number }

export class Experiment {
  readonly results: PageResults;
  readonly spec: ExperimentSpec;
  readonly transport: 'shared' | 'transfer';
  private paused = false;
  private resumeGate: (() => void) | null = null;
  private analysis: Comlink.Remote<AnalysisApi> | null = null;
  private analysisWorker: Worker | null = null;
  private closed = false;
  private live: Side[] = [];

  constructor(private readonly k: Kernels, readonly form: PageSpec, private readonly data: PageData, private readonly hooks: ExperimentHooks) {
    checkSpec(form);
    this.spec = experimentSpec(form);
    this.transport = sharedMemoryAvailable() ? 'shared' : 'transfer';
    this.results = newResults(this.spec,
      { train: data.train.name, trainSamples: data.train.n, test: data.test.name, testSamples: data.test.n }, k.info.build,
      { form, userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated === true, transport: this.transport, workersPerRun: form.workersPerRun });
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

  private async side(job: number, label: 'SB' | 'LB', seed: number, batch: number): Promise<Side> {
    const model = Model.create(this.k, netSpec(this.form.net), { seed });
    const trainer = await ParallelTrainer.create(model, this.data, {
      batchSize: batch, optimizer: 'adam', lr: this.spec.lr, seed: seed + 1, workers: this.form.workersPerRun,
      sharedMemory: this.transport === 'shared', workerUrl: new URL('./worker.js', import.meta.url),
      onStep: (s) => this.hooks.onStep(label, seed, s.epoch, s.step, Math.ceil(this.data.train.n / batch), s.loss),
    });
    const run: RunRecord = {
      job, seed, setting: label, batch, k: null,
      phases: [{ name: label, batch, epochs: this.spec.epochs, history: [], track: [] }],
      final: { trainLoss: NaN, trainAcc: NaN, testLoss: null, testAcc: null, sharpness: [], hessian: null },
      seconds: 0,
    };
    this.results.runs.push(run);
    return { label, trainer, model, run, t0: performance.now() };
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
    s.run.phases[0].history.push(m);
    s.run.final = { ...s.run.final, trainLoss: m.trainLoss, trainAcc: m.trainAcc, testLoss: m.testLoss, testAcc: m.testAcc };
    s.run.seconds = (performance.now() - s.t0) / 1000;
    this.hooks.onEpoch(this.results);
  }

  private analysisApi(): Comlink.Remote<AnalysisApi> {
    if (!this.analysis) {
      this.analysisWorker = new Worker(new URL('./analysis.js', import.meta.url), { type: 'module', name: 'lbgap-analysis' });
      this.analysis = Comlink.wrap<AnalysisApi>(this.analysisWorker);
    }
    return this.analysis;
  }

  /** Trains every seed's SB/LB pair (one job each, as in `lbgap reproduce`), then analyses it. */
  async run(): Promise<PageResults> {
    const t00 = performance.now();
    try {
      for (const [job, seed] of this.spec.seeds.entries()) {
        const t0 = performance.now();
        this.hooks.onStatus(`seed ${seed}: starting ${this.form.workersPerRun} worker(s) per run (${this.transport === 'shared' ? 'shared memory' : 'transfer fallback'})…`);
        // Each side joins `live` as soon as it exists, so a failure creating the other still closes it.
        this.live.push(await this.side(job, 'SB', seed, this.spec.sb));
        this.live.push(await this.side(job, 'LB', seed, this.spec.lb!));
        for (let e = 1; e <= this.spec.epochs; e++) {
          await this.gate();
          if (this.closed) throw new Error('experiment closed');
          this.hooks.onStatus(`seed ${seed}: training epoch ${e}/${this.spec.epochs}`);
          await Promise.all(this.live.map((s) => this.epoch(s)));
        }
        const [xSB, xLB] = this.live.map((s) => s.trainer.parameters());
        await this.closeLive();
        await this.analyse(job, seed, xSB, xLB);
        this.results.done.push(job);
        this.results.timings.jobs.push({ job, seconds: (performance.now() - t0) / 1000 });
        refreshSummary(this.results);
      }
      this.results.status = 'complete';
      this.results.timings.finished = new Date().toISOString();
      this.results.timings.seconds = (performance.now() - t00) / 1000;
      this.hooks.onStatus('done');
      return this.results;
    } finally {
      await this.close();
    }
  }

  private async analyse(job: number, seed: number, xSB: Float32Array, xLB: Float32Array): Promise<void> {
    const a = this.analysisApi();
    const spec = netSpec(this.form.net), ip = this.spec.interpolation, sh = this.spec.sharpness;
    this.hooks.onStatus(`seed ${seed}: parametric plot (${ip.points} points of α ∈ [${ip.range.join(', ')}])…`);
    await a.setData(this.data.train, this.data.test);
    const t0 = performance.now();
    const curve = await a.parametric({
      spec, xSB, xLB,
      alphas: linspace(ip.range[0], ip.range[1], ip.points), trainSample: ip.trainSample, testSample: ip.testSample, chunk: ip.chunk,
    });
    this.results.interpolations.push({ job, seed, ...curve, seconds: (performance.now() - t0) / 1000 });
    this.hooks.onAnalysis(this.results);
    for (const [label, x] of [['SB', xSB], ['LB', xLB]] as const) {
      const run = this.results.runs.find((r) => r.job === job && r.setting === label)!;
      for (const space of ['full', 'random'] as const) {
        for (const eps of sh.eps) {
          this.hooks.onStatus(`seed ${seed}: sharpness of the ${label} minimizer, ${space === 'full' ? 'full space' : `random p=${sh.subspace}`}, ε=${eps} (L-BFGS-B, ${sh.maxIter} iterations)…`);
          run.final.sharpness.push(await a.sharpness({ spec, x, eps, space, subspace: sh.subspace, maxIter: sh.maxIter, sample: sh.sample, chunk: sh.chunk, seed }));
          this.hooks.onAnalysis(this.results);
        }
      }
    }
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
