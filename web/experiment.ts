// One SB-vs-LB experiment of the page, in three phases: data (fetch MNIST, or make the
// synthetic set), training (for each seed, SB and LB start from the same initial weights, as
// in the paper's code, and train side by side, each on its own ParallelTrainer in Web
// Workers: shared memory when the page is cross-origin isolated, transferable buffers
// otherwise), analysis (the analysis worker computes the parametric plot and the sharpness of
// both minimizers). The page talks to it through runExperiment() alone: a handle (stop,
// resume, cancel) and events (progress per phase with ETA, per-step loss, results) — the
// shape the experiments runner will take its place in.
//
// Stop pauses at the next epoch boundary in training and after the current measurement in
// analysis, with the workers kept; Resume continues; Cancel ends the workers and keeps what
// was finished (status 'interrupted'). A run whose loss becomes NaN/Inf is marked diverged and
// stops, and nothing is measured on it; one that ends no better than a uniform guess is
// flagged 'not-improved' (both as `lbgap reproduce` does).
import * as Comlink from 'comlink';
import type { ExperimentSpec } from '../src/experiments/spec.js';
import { allJobs } from '../src/experiments/jobs.js';
import { linspace } from '../src/experiments/parametric.js';
import type { Kernels } from '../src/kernels/index.js';
import { Model } from '../src/nn/model.js';
import type { ModelSpec } from '../src/nn/spec.js';
import { f1, tiny } from '../src/nn/specs.js';
import { NonFiniteLossError } from '../src/train/errors.js';
import type { EpochMetrics } from '../src/train/metrics.js';
import { ParallelTrainer, sharedMemoryAvailable, type EpochSteps } from '../src/workers/index.js';
import type { AnalysisApi } from './analysis_worker.js';
import { fmtInt, fmtLoss } from './format.js';
import { checkSpec, type PageSpec } from './form_rules.js';
import { PhaseClock, type PhaseName, type PhaseProgress } from './phase_clock.js';
import { loadMnistSubsets, syntheticSubsets, type PageData } from './page_data.js';
import { experimentSpec, newResults, refreshSummary, type PageResults, type PageRun } from './results.js';

export { checkSpec, ExperimentOptionError } from './form_rules.js';

/** One training step's loss (the live per-step curve). */
export interface StepEvent { run: 'SB' | 'LB'; seed: number; epoch: number; step: number; steps: number; loss: number }

export interface RunHooks {
  /** A phase moved (or paused, or finished). */
  onProgress(p: PhaseProgress): void;
  onStep(e: StepEvent): void;
  /** `results` changed: an epoch of either run, an analysis result, a finished seed (summary rows). */
  onResults(results: PageResults): void;
  /** Stop/resume/cancel acknowledgements and other notes, in words. */
  onNotice(text: string, paused: boolean): void;
}

export interface RunOptions {
  /** Where MNIST's IDX files are served (`lbgap serve`: <page>/data/mnist/). */
  mnistBase: string;
}

export type RunOutcome = { outcome: 'complete' | 'cancelled'; results: PageResults | null };

/** A running experiment. */
export interface RunHandle {
  /** Null until the data are loaded. */
  readonly results: PageResults | null;
  readonly paused: boolean;
  readonly phase: PhaseName;
  /** Pause at the next epoch boundary (training) or after the current measurement (analysis). */
  stop(): void;
  resume(): void;
  /** End the workers now; `done` resolves with outcome 'cancelled' and what was finished. */
  cancel(): void;
  /** Resolves when the run completes or is cancelled; rejects on an error. */
  readonly done: Promise<RunOutcome>;
}

/** The architectures the page offers (the CLI's 'tiny' on MNIST is the same tiny(784, 10)). */
export function netSpec(net: PageSpec['net']): ModelSpec {
  return net === 'F1' ? f1() : tiny(784, 10);
}

class Cancelled extends Error { override name = 'Cancelled'; }

interface Side {
  label: 'SB' | 'LB'; batch: number; trainer: ParallelTrainer; model: Model; run: PageRun; t0: number;
  /** Training units reported to the clock (samples of this side, all epochs). */
  units: number;
}

/** Starts an experiment with the form's settings (checked first: ExperimentOptionError). */
export function runExperiment(k: Kernels, form: PageSpec, hooks: RunHooks, opts: RunOptions): RunHandle {
  checkSpec(form);
  return new PageRun_(k, form, hooks, opts);
}

class PageRun_ implements RunHandle {
  results: PageResults | null = null;
  readonly spec: ExperimentSpec;
  readonly transport: 'shared' | 'transfer';
  readonly done: Promise<RunOutcome>;
  phase: PhaseName = 'data';
  paused = false;
  private resumeGate: (() => void) | null = null;
  private cancelled = false;
  /** Rejects on cancel: every await on a worker races it (a terminated worker never answers). */
  private readonly cancelSignal: Promise<never>;
  private onCancel: (e: Error) => void = () => {};
  private analysis: Comlink.Remote<AnalysisApi> | null = null;
  private analysisWorker: Worker | null = null;
  private live: Side[] = [];
  private readonly clocks: Record<PhaseName, PhaseClock>;

  constructor(private readonly k: Kernels, readonly form: PageSpec, private readonly hooks: RunHooks, private readonly opts: RunOptions) {
    this.spec = experimentSpec(form);
    this.transport = sharedMemoryAvailable() ? 'shared' : 'transfer';
    const seeds = form.seeds.length, sh = this.spec.sharpness, ip = this.spec.interpolation;
    this.clocks = {
      data: new PhaseClock('data', 0),
      training: new PhaseClock('training', seeds * 2 * form.epochs * form.trainSamples),
      analysis: new PhaseClock('analysis', seeds * (ip.points * this.pointUnits() + 2 * 2 * sh.eps.length * this.phiUnits())),
    };
    this.cancelSignal = new Promise<never>((_, no) => { this.onCancel = no; });
    this.cancelSignal.catch(() => {});
    this.done = this.run();
  }

  private race<T>(p: Promise<T>): Promise<T> { return Promise.race([p, this.cancelSignal]); }

  /** Analysis work units: samples through a forward pass. A point evaluates the training sample and the test set… */
  private pointUnits(): number { return this.form.analysisSamples + this.form.testSamples; }
  /** …and a φ measurement about 1.5 (maxIter + 2) loss-and-gradient evaluations (≈ 3 forward passes each) of its sample. */
  private phiUnits(): number { return 3 * 1.5 * (this.spec.sharpness.maxIter + 2) * this.form.analysisSamples; }

  private report(phase: PhaseName): void { this.hooks.onProgress(this.clocks[phase].view()); }

  private enter(phase: PhaseName, detail: string): void {
    if (this.phase !== phase) {
      const prev = this.clocks[this.phase];
      if (prev.state === 'running') { prev.halt('waiting'); this.report(this.phase); }
    }
    this.phase = phase;
    this.clocks[phase].run(detail);
    this.report(phase);
  }

  stop(): void {
    if (this.paused || this.cancelled) return;
    this.paused = true;
    this.hooks.onNotice(this.phase === 'analysis' ? 'stopping after the current measurement…' : 'stopping after the current epoch…', false);
  }

  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    const go = this.resumeGate;
    this.resumeGate = null;
    if (go) { this.clocks[this.phase].run(); this.report(this.phase); this.hooks.onNotice('resumed', false); }
    go?.();
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.onCancel(new Cancelled());
    this.hooks.onNotice('cancelling…', false);
    const go = this.resumeGate;
    this.resumeGate = null;
    go?.();
    void this.close();
  }

  /** Where Stop takes effect: waits while paused; throws once cancelled. */
  private async gate(where: string): Promise<void> {
    if (this.cancelled) throw new Cancelled();
    if (!this.paused) return;
    this.clocks[this.phase].halt('paused');
    this.report(this.phase);
    this.hooks.onNotice(`stopped ${where} — Resume continues, Cancel ends the run`, true);
    await new Promise<void>((ok) => { this.resumeGate = ok; });
    if (this.cancelled) throw new Cancelled();
  }

  private async loadData(): Promise<PageData> {
    const f = this.form, clock = this.clocks.data;
    this.enter('data', f.data === 'mnist' ? 'fetching MNIST…' : 'making the synthetic set…');
    let data: PageData;
    if (f.data === 'mnist') {
      data = await loadMnistSubsets(this.opts.mnistBase, f.trainSamples, f.testSamples, (received, total) => {
        if (total > 0) clock.setTotal(total);
        clock.reach(received, `MNIST: ${fmtInt(received / 1024)} of ${total ? fmtInt(total / 1024) : '?'} KiB`);
        this.report('data');
      });
    } else {
      data = syntheticSubsets(f.trainSamples, f.testSamples);
    }
    clock.finish(`${data.train.name}: ${fmtInt(data.train.n)} training, ${fmtInt(data.test.n)} test samples`);
    this.report('data');
    return data;
  }

  private async side(data: PageData, job: number, label: 'SB' | 'LB', seed: number, batch: number): Promise<Side> {
    const model = Model.create(this.k, netSpec(this.form.net), { seed });
    const n = data.train.n, steps = Math.ceil(n / batch);
    let side: Side | null = null;
    const trainer = await ParallelTrainer.create(model, data, {
      batchSize: batch, optimizer: 'adam', lr: this.spec.lr, seed: seed + 1, workers: this.form.workersPerRun,
      sharedMemory: this.transport === 'shared', workerUrl: new URL('./worker.js', import.meta.url),
      onStep: (s) => {
        this.hooks.onStep({ run: label, seed, epoch: s.epoch, step: s.step, steps, loss: s.loss });
        if (side) this.trained(side, (s.epoch - 1) * n + Math.min(n, s.step * batch), `${label} seed ${seed}: epoch ${s.epoch}/${this.spec.epochs}, step ${s.step}/${steps}, batch loss ${fmtLoss(s.loss)}`);
      },
    });
    if (this.cancelled) {
      await trainer.close();
      model.dispose();
      throw new Cancelled();
    }
    const run: PageRun = {
      job, seed, setting: label, batch, k: null,
      phases: [{ name: label, batch, epochs: this.spec.epochs, history: [], track: [] }],
      final: { trainLoss: NaN, trainAcc: NaN, testLoss: null, testAcc: null, sharpness: [], hessian: null },
      seconds: 0, status: 'ok',
    };
    this.results!.runs.push(run);
    side = { label, batch, trainer, model, run, t0: performance.now(), units: 0 };
    return side;
  }

  /** Moves the training clock to `units` samples of this side (within the current seed). */
  private trained(s: Side, units: number, detail: string): void {
    if (units > s.units) { this.clocks.training.advance(units - s.units, detail); s.units = units; }
    else this.clocks.training.detail = detail;
    this.report('training');
  }

  private diverged(s: Side, where: { epoch: number; step: number | null; loss: number }): void {
    const at = where.step === null ? `in the evaluation after epoch ${where.epoch}` : `at epoch ${where.epoch}, step ${where.step}`;
    s.run.status = 'diverged';
    s.run.note = `the loss became ${where.loss} ${at} (learning rate ${this.spec.lr}): training stopped, nothing measured`;
    // Its remaining epochs will not run.
    this.skippedTraining += this.spec.epochs * this.form.trainSamples - s.units;
    this.clocks.training.setTotal(this.totalTraining());
  }

  private skippedTraining = 0;
  private skippedAnalysis = 0;
  private totalTraining(): number { return this.form.seeds.length * 2 * this.form.epochs * this.form.trainSamples - this.skippedTraining; }

  private async epoch(s: Side, e: number): Promise<void> {
    if (s.run.status === 'diverged') return;
    let st: EpochSteps;
    try {
      st = await this.race(s.trainer.trainEpoch());
    } catch (err) {
      if (!(err instanceof NonFiniteLossError)) throw err;
      this.diverged(s, { epoch: err.epoch, step: err.step, loss: err.loss });
      this.hooks.onResults(this.results!);
      return;
    }
    const e0 = performance.now();
    const tr = await this.race(s.trainer.evaluate('train'));
    const te = await this.race(s.trainer.evaluate('test'));
    if (![tr.loss, te.loss, st.batchLoss].every(Number.isFinite)) {
      this.diverged(s, { epoch: e, step: null, loss: [tr.loss, te.loss, st.batchLoss].find((v) => !Number.isFinite(v))! });
      this.hooks.onResults(this.results!);
      return;
    }
    const m: EpochMetrics = {
      epoch: st.epoch, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te.loss, testAcc: te.accuracy,
      batchLoss: st.batchLoss, seconds: st.seconds, evalSeconds: (performance.now() - e0) / 1000,
      steps: s.trainer.steps, samplesPerSecond: st.samplesPerSecond,
    };
    s.run.phases[0].history.push(m);
    s.run.final = { ...s.run.final, trainLoss: m.trainLoss, trainAcc: m.trainAcc, testLoss: m.testLoss, testAcc: m.testAcc };
    s.run.seconds = (performance.now() - s.t0) / 1000;
    this.trained(s, e * this.form.trainSamples, `${s.label} seed ${s.run.seed}: epoch ${e}/${this.spec.epochs} done, test accuracy ${(100 * m.testAcc!).toFixed(2)} %`);
    this.hooks.onResults(this.results!);
  }

  /** As `lbgap reproduce`: a run whose final training loss is not below ln C (a uniform guess over C classes) learned nothing. */
  private flagUnlearned(run: PageRun, classes: number): void {
    if (run.status === 'diverged') return;
    const chance = Math.log(classes), loss = run.final.trainLoss;
    if (Number.isFinite(loss) && loss < chance) return;
    run.status = 'not-improved';
    run.note = `final training loss ${fmtLoss(loss)} is not below ln ${classes} = ${chance.toFixed(4)} (a uniform guess): the run did not learn`;
  }

  private analysisApi(): Comlink.Remote<AnalysisApi> {
    if (!this.analysis) {
      this.analysisWorker = new Worker(new URL('./analysis.js', import.meta.url), { type: 'module', name: 'lbgap-analysis' });
      this.analysis = Comlink.wrap<AnalysisApi>(this.analysisWorker);
    }
    return this.analysis;
  }

  private async run(): Promise<RunOutcome> {
    const t00 = performance.now();
    try {
      const data = await this.loadData();
      if (this.cancelled) throw new Cancelled();
      this.results = newResults(this.spec,
        { train: data.train.name, trainSamples: data.train.n, test: data.test.name, testSamples: data.test.n }, this.k.info.build,
        { form: this.form, userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated === true, transport: this.transport, workersPerRun: this.form.workersPerRun });
      this.hooks.onResults(this.results);
      const jobs = allJobs(this.spec, data.train.n);
      for (const [group, seed] of this.spec.seeds.entries()) {
        // The runner's jobs of this seed: SB, LB and the parametric plot (the page trains SB and LB side by side).
        const [sbJob, lbJob, plotJob] = jobs.filter((j) => j.group === group).map((j) => j.index);
        const t0 = performance.now();
        this.enter('training', `seed ${seed}: starting ${this.form.workersPerRun} worker${this.form.workersPerRun > 1 ? 's' : ''} per run (${this.transport === 'shared' ? 'shared memory' : 'transfer fallback'})…`);
        // Each side joins `live` as soon as it exists, so a failure creating the other still closes it.
        this.live.push(await this.side(data, sbJob, 'SB', seed, this.spec.sb));
        this.live.push(await this.side(data, lbJob, 'LB', seed, this.spec.lb!));
        for (let e = 1; e <= this.spec.epochs; e++) {
          await this.gate(`after epoch ${e - 1}/${this.spec.epochs} of seed ${seed}`);
          await Promise.all(this.live.map((s) => this.epoch(s, e)));
          if (this.live.every((s) => s.run.status === 'diverged')) break;
        }
        for (const s of this.live) { s.units = 0; this.flagUnlearned(s.run, data.train.classes); }
        const ends = this.live.map((s) => (s.run.status === 'diverged' ? null : s.trainer.parameters()));
        await this.closeLive();
        const t1 = performance.now();
        await this.analyse(data, { sb: sbJob, lb: lbJob, plot: plotJob }, seed, ends[0], ends[1]);
        this.results.done.push(sbJob, lbJob, plotJob);
        // SB and LB trained side by side: each run job's time is the seed's training; the plot job's, the analysis.
        for (const job of [sbJob, lbJob]) this.results.timings.jobs.push({ job, seconds: (t1 - t0) / 1000 });
        this.results.timings.jobs.push({ job: plotJob, seconds: (performance.now() - t1) / 1000 });
        refreshSummary(this.results);
        this.hooks.onResults(this.results);
      }
      for (const c of [this.clocks.training, this.clocks.analysis]) { c.finish('done'); this.report(c.phase); }
      this.results.status = 'complete';
      this.results.timings.finished = new Date().toISOString();
      this.results.timings.seconds = (performance.now() - t00) / 1000;
      return { outcome: 'complete', results: this.results };
    } catch (e) {
      if (!this.cancelled) throw e;
      for (const c of Object.values(this.clocks)) if (c.state !== 'done') { c.halt('cancelled'); this.report(c.phase); }
      if (this.results) {
        this.results.status = 'interrupted';
        this.results.timings.seconds = (performance.now() - t00) / 1000;
        // Runs of an unfinished seed stay (their epochs so far); the summary covers finished seeds.
        refreshSummary(this.results);
      }
      return { outcome: 'cancelled', results: this.results };
    } finally {
      await this.close();
    }
  }

  private async analyse(data: PageData, job: { sb: number; lb: number; plot: number }, seed: number, xSB: Float32Array | null, xLB: Float32Array | null): Promise<void> {
    const ip = this.spec.interpolation, sh = this.spec.sharpness, clock = this.clocks.analysis;
    const spec = netSpec(this.form.net);
    const skip = (units: number) => { this.skippedAnalysis += units; clock.setTotal(this.analysisTotal()); };
    this.enter('analysis', `seed ${seed}: parametric plot`);
    const a = this.analysisApi();
    await this.race(a.setData(data.train, data.test));
    if (xSB && xLB) {
      await this.gate(`before the parametric plot of seed ${seed}`);
      const t0 = performance.now();
      const onPoint = Comlink.proxy((i: number) => {
        clock.advance(this.pointUnits(), `seed ${seed}: parametric plot, α ${i + 1}/${ip.points}`);
        this.report('analysis');
      });
      const curve = await this.race(a.parametric({
        spec, xSB, xLB,
        alphas: linspace(ip.range[0], ip.range[1], ip.points), trainSample: ip.trainSample, testSample: ip.testSample, chunk: ip.chunk,
      }, onPoint));
      this.results!.interpolations.push({ job: job.plot, seed, ...curve, seconds: (performance.now() - t0) / 1000 });
      this.hooks.onResults(this.results!);
    } else {
      skip(ip.points * this.pointUnits());
    }
    const measures = 2 * sh.eps.length;
    for (const [label, x] of [['SB', xSB], ['LB', xLB]] as const) {
      const run = this.results!.runs.find((r) => r.job === (label === 'SB' ? job.sb : job.lb))!;
      if (!x) { skip(measures * this.phiUnits()); continue; }
      let i = 0;
      for (const space of ['full', 'random'] as const) {
        for (const eps of sh.eps) {
          i++;
          const what = `${label} minimizer of seed ${seed}: φ ${i}/${measures} (${space === 'full' ? 'full space' : `random p = ${sh.subspace}`}, ε = ${eps}, ${sh.maxIter} L-BFGS-B iterations)`;
          await this.gate(`before the ${what}`);
          clock.detail = what;
          this.report('analysis');
          run.final.sharpness.push(await this.race(a.sharpness({ spec, x, eps, space, subspace: sh.subspace, maxIter: sh.maxIter, sample: sh.sample, chunk: sh.chunk, seed })));
          clock.advance(this.phiUnits(), what);
          this.report('analysis');
          this.hooks.onResults(this.results!);
        }
      }
    }
  }

  private analysisTotal(): number {
    const ip = this.spec.interpolation, sh = this.spec.sharpness;
    return this.form.seeds.length * (ip.points * this.pointUnits() + 2 * 2 * sh.eps.length * this.phiUnits()) - this.skippedAnalysis;
  }

  private async closeLive(): Promise<void> {
    const live = this.live;
    this.live = [];
    await Promise.all(live.map(async (s) => { await s.trainer.close(); s.model.dispose(); }));
  }

  /** Ends the workers (also mid-run: a pending step then rejects, and run() sees `cancelled`). */
  private async close(): Promise<void> {
    await this.closeLive();
    this.analysis?.[Comlink.releaseProxy]();
    this.analysisWorker?.terminate();
    this.analysis = null; this.analysisWorker = null;
  }
}
