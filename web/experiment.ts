// One experiment of the page — SB vs LB (kind 'reproduce') or the batch-size frontier (kind
// 'frontier') — run by the experiment runner the CLI uses (src/experiments/runner_core.ts): the
// form becomes the spec (web/results.ts: `lbgap reproduce`'s or `lbgap frontier`'s), the page
// loads the data (MNIST fetched from the server, or the synthetic set), and the runner runs the
// spec's jobs — SB, LB and the parametric plot of each seed; or the step costs and one job per
// batch size and seed — in module Workers (job_worker.js), a few at a time, with per-epoch
// checkpoints in this origin's private file system (OPFS). The results are the runner's
// results.json, plus a `page` field with the browser's facts. Cross-origin isolated, a job
// that runs with fewer jobs beside it than "Jobs at a time" measures (φ, Hessian) over the
// idle cores in nested Workers (worker.js: the objective worker, same bits), and the
// frontier's step costs time a pool of that many workers, as the CLI does.
//
// The page talks to it through startExperiment() alone: a handle (stop, resume, cancel) and
// events (progress per phase with ETA, per-step loss, the results so far). Stop sets the
// runner's stop flag: with shared memory (cross-origin isolated) each job sees it at its next
// step (a measurement: at its end); without it (the transfer fallback) a job would only see the
// runner's stop message at its next await (an epoch's end), so there Stop ends the job workers
// at once instead — a job loses its steps since its last epoch checkpoint, and computes them
// again, identically, on Resume. Either way the run ends 'interrupted' with its checkpoints
// (atomic: a write cut short leaves the previous one) kept. Resume runs the
// runner again on the same store with `resume`: finished jobs are skipped and an interrupted
// one continues from its last epoch checkpoint, bit for bit. Cancel ends the workers at once
// and keeps what finished (status 'interrupted').
import { costs, jobWork, type Work } from '../src/experiments/job.js';
import { sharedMemoryAvailable } from '../src/experiments/job_protocol.js';
import { allJobs, type Job } from '../src/experiments/jobs.js';
import { openStore, RESULTS_FILE, runExperimentIn, type CoreRunOptions, type LiveHooks, type Store } from '../src/experiments/runner_core.js';
import type { ResultsFile } from '../src/experiments/results.js';
import type { StopFlag } from '../src/experiments/scheduler.js';
import type { ExperimentSpec } from '../src/experiments/spec.js';
import { fmtInt, fmtLoss } from './format.js';
import { checkSpec, type PageSpec } from './form_rules.js';
import { PhaseClock, type PhaseName, type PhaseProgress } from './phase_clock.js';
import { loadMnistSubsets, syntheticSubsets, type PageData } from './page_data.js';
import { browserEnvironment, experimentSpec, type PageInfo, type PageResults, type PageRun } from './results.js';

export { checkSpec, ExperimentOptionError } from './form_rules.js';

type Kernels = CoreRunOptions['kernels'];

/** One training step's loss (the live per-step curve). */
export interface StepEvent { run: string; batch: number; seed: number; epoch: number; step: number; steps: number; loss: number }

export interface RunHooks {
  /** A phase moved (or paused, or finished). */
  onProgress(p: PhaseProgress): void;
  onStep(e: StepEvent): void;
  /** `results` changed: an epoch of a run, a finished job (summary rows), the end. */
  onResults(results: PageResults): void;
  /** Stop/resume/cancel acknowledgements and other notes, in words; `paused`: the run is stopped (Resume continues it). */
  onNotice(text: string, paused: boolean): void;
  /** A line of the run's log: the runner's own lines and what the jobs report (a measurement's result, over how many workers…); not every step. */
  onLog?(line: string): void;
}

export interface RunOptions {
  /** Where MNIST's IDX files are served (`lbgap serve`: <page>/data/mnist/). */
  mnistBase: string;
  /** The job worker script (default: job_worker.js beside the page's bundle). */
  workerUrl?: URL;
  /**
   * The objective worker script a job's measurements spread over idle cores with (default:
   * worker.js beside the page's bundle, when memory can be shared; null: measurements stay in
   * the job's worker).
   */
  measureWorkerUrl?: URL | null;
}

export type RunOutcome = { outcome: 'complete' | 'cancelled'; results: PageResults | null; /** results.json as the runner wrote it (null: nothing was written). */ file: string | null };

/** A running experiment. */
export interface RunHandle {
  /** Null until the data are loaded. */
  readonly results: PageResults | null;
  readonly paused: boolean;
  readonly phase: PhaseName;
  /** Stops every job at its next check (shared memory: the next step; otherwise the next epoch end or measurement); Resume continues. */
  stop(): void;
  resume(): void;
  /** Ends the workers now; `done` resolves with outcome 'cancelled' and what finished. */
  cancel(): void;
  /** Resolves when the run completes or is cancelled; rejects on an error. */
  readonly done: Promise<RunOutcome>;
}

/** The OPFS folder of the page's runs: one subfolder per run, removed when a later run starts (unless its tab still holds it). */
export const RUNS_FOLDER = 'lbgap-runs';

/** Starts an experiment with the form's settings (checked first: ExperimentOptionError). */
export function startExperiment(k: Kernels, form: PageSpec, hooks: RunHooks, opts: RunOptions): RunHandle {
  checkSpec(form);
  return new PageExperiment(k, form, hooks, opts);
}

class Cancelled extends Error { override name = 'Cancelled'; }

/** Jobs of the run threw (e.g. StorageQuotaError writing a checkpoint): the others finished, and the results say which failed. */
export class ExperimentFailedError extends Error {
  override name = 'ExperimentFailedError';
  constructor(readonly failures: { job: number; label: string; error: string }[]) {
    super(`${failures.length} job${failures.length === 1 ? '' : 's'} failed (the others finished; Download keeps them): ${failures.map((f) => `job ${f.job} (${f.label}): ${f.error}`).join('; ')}`);
  }
}

/** Removes the folders of earlier runs whose tab no longer holds their lock (closed, or finished). */
async function removeOldRuns(keep: string): Promise<void> {
  const root = await navigator.storage.getDirectory();
  let dir: FileSystemDirectoryHandle;
  try { dir = await root.getDirectoryHandle(RUNS_FOLDER); } catch { return; }
  const held = new Set(((await navigator.locks?.query())?.held ?? []).map((l) => l.name));
  for await (const name of (dir as unknown as { keys(): AsyncIterable<string> }).keys()) {
    if (name !== keep && !held.has(`${RUNS_FOLDER}/${name}`)) await dir.removeEntry(name, { recursive: true }).catch(() => {});
  }
}

class PageExperiment implements RunHandle {
  results: PageResults | null = null;
  readonly spec: ExperimentSpec;
  readonly transport: 'shared' | 'transfer';
  readonly done: Promise<RunOutcome>;
  phase: PhaseName = 'data';
  paused = false;
  private stopFlag: StopFlag = { requested: false };
  private cancelled = false;
  private resumeGate: ((go: boolean) => void) | null = null;
  private readonly clocks: Record<PhaseName, PhaseClock>;
  /** The runner's results.json as last written, and the runs still training (from their epoch events). */
  private saved: ResultsFile | null = null;
  private file: string | null = null;
  private readonly live = new Map<number, PageRun>();
  /** Work of every job (cost-model units) and what each has done in this stretch of the run. */
  private jobWork = new Map<number, Record<Work, number>>();
  private doneWork = new Map<number, Record<Work, number>>();
  /** Per job, what it works on now (for the phases' running/waiting states). */
  private working = new Map<number, Work>();
  private info: PageInfo;
  private jobs = new Map<number, Job>();
  private releaseLock: (() => void) | null = null;
  private readonly measureWorkerUrl: URL | null;
  /** Per job, the last line logged (progress labels repeat). */
  private lastLine = new Map<number, string>();

  constructor(private readonly k: Kernels, readonly form: PageSpec, private readonly hooks: RunHooks, private readonly opts: RunOptions) {
    this.spec = experimentSpec(form);
    this.transport = sharedMemoryAvailable() ? 'shared' : 'transfer';
    // Nested objective workers share the job's parameters and data: only with shared memory.
    this.measureWorkerUrl = this.transport === 'shared' ? (opts.measureWorkerUrl === undefined ? new URL('./worker.js', import.meta.url) : opts.measureWorkerUrl) : null;
    this.clocks = { data: new PhaseClock('data', 0), training: new PhaseClock('training', 1), analysis: new PhaseClock('analysis', 1) };
    this.info = { form, userAgent: navigator.userAgent, crossOriginIsolated: self.crossOriginIsolated === true, transport: this.transport, jobs: form.jobs };
    this.done = this.run();
  }

  private report(phase: PhaseName): void { this.hooks.onProgress(this.clocks[phase].view()); }

  /** Reports at most every 100 ms (steps arrive by the thousand per second from small batches). */
  private pending = new Set<PhaseName>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private reportSoon(phase: PhaseName): void {
    this.pending.add(phase);
    this.timer ??= setTimeout(() => {
      this.timer = null;
      const phases = [...this.pending];
      this.pending.clear();
      for (const p of phases) this.report(p);
    }, 100);
  }

  stop(): void {
    if (this.paused || this.cancelled || this.stopFlag.requested) return;
    this.stopFlag.requested = true;
    this.stopFlag.wake?.();
    if (this.transport === 'transfer') {
      this.stopFlag.immediate = true;
      this.hooks.onNotice('stopping now (no shared memory: the job workers end, and Resume continues each job from its last epoch checkpoint)…', false);
      return;
    }
    const kinds = new Set(this.working.values());
    const where = kinds.has('analysis') ? `the current measurement${kinds.has('training') ? ' (training: after the current step)' : ''}` : 'the current step';
    this.hooks.onNotice(`stopping after ${where}…`, false);
  }

  resume(): void {
    if (!this.paused || this.cancelled) return;
    const go = this.resumeGate;
    this.resumeGate = null;
    go?.(true);
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    this.stopFlag.requested = true;
    this.stopFlag.immediate = true;
    this.stopFlag.wake?.();
    this.hooks.onNotice('cancelling…', false);
    const go = this.resumeGate;
    this.resumeGate = null;
    go?.(false);
  }

  private async loadData(): Promise<PageData> {
    const f = this.form, clock = this.clocks.data;
    clock.run(f.data === 'mnist' ? 'fetching MNIST…' : 'making the synthetic set…');
    this.report('data');
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

  /** A store of its own for this run, in a folder of OPFS held (Web Locks) while the run lives. */
  private async openStore(): Promise<Store> {
    const id = `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
    const folder = `${RUNS_FOLDER}/${id}`;
    if (navigator.locks) {
      await new Promise<void>((held) => {
        void navigator.locks.request(folder, () => new Promise<void>((release) => { this.releaseLock = release; held(); }));
      });
    }
    await removeOldRuns(id).catch((e) => console.warn('lbgap: could not remove earlier runs from OPFS', e));
    return openStore({ kind: 'opfs', root: folder });
  }

  // ---- what is shown: the runner's results plus the runs still training -------------------

  /** The results on screen: the last results.json, with the runs of unfinished jobs as their epochs so far. */
  private view(): PageResults {
    const s = this.saved!;
    const runs = [...(s.runs as PageRun[]), ...[...this.live.entries()].filter(([job]) => !s.done.includes(job)).map(([, r]) => r)].sort((a, b) => a.job - b.job);
    return { ...s, runs, page: this.info };
  }

  private publish(): void {
    if (!this.saved) return;
    this.results = this.view();
    this.hooks.onResults(this.results);
  }

  // ---- progress by phase from the runner's work reports ------------------------------------

  private totals(): Record<Work, number> {
    const t = { training: 0, analysis: 0 };
    for (const w of this.jobWork.values()) { t.training += w.training; t.analysis += w.analysis; }
    return t;
  }

  /** Moves the training and analysis clocks: finished jobs count whole, running ones by what they reported. */
  private advanceClocks(detail: { work: Work; label: string } | null): void {
    const done = { training: 0, analysis: 0 };
    for (const [job, w] of this.jobWork) {
      const d = this.saved?.done.includes(job) ? w : this.doneWork.get(job);
      if (d) { done.training += Math.min(w.training, d.training); done.analysis += Math.min(w.analysis, d.analysis); }
    }
    for (const work of ['training', 'analysis'] as const) {
      const clock = this.clocks[work];
      const busy = [...this.working.values()].includes(work);
      const was = clock.state;
      if (busy && clock.state !== 'running') clock.run();
      if (!busy && clock.state === 'running') clock.halt('waiting');
      clock.reach(done[work], detail?.work === work ? detail.label : clock.detail);
      // A phase that starts or stops running is shown at once; progress within it at most every 100 ms.
      if (clock.state !== was) this.report(work);
      else this.reportSoon(work);
    }
  }

  /** A run job started: its row appears (no epochs yet). */
  private started(index: number): PageRun | null {
    const job = this.jobs.get(index);
    if (!job || (job.setting.type !== 'run' && job.setting.type !== 'frontier') || this.live.has(index)) return this.live.get(index) ?? null;
    // The runner's names of the run and its phase: SB/LB, or B=<batch> (job.ts settingName).
    const { batch } = job.setting;
    const role = job.setting.type === 'run' ? job.setting.role : `B=${batch}`;
    const run: PageRun = {
      job: index, seed: job.seed, setting: role, batch, k: null,
      phases: [{ name: role, batch, epochs: this.spec.epochs, history: [], track: [] }],
      final: { trainLoss: NaN, trainAcc: NaN, testLoss: null, testAcc: null, sharpness: [], hessian: null }, seconds: 0,
    };
    this.live.set(index, run);
    this.publish();
    return run;
  }

  /** A job's progress label into the log, unless it is a training step's (thousands) or repeats the job's last line. */
  private logWork(job: number, label: string): void {
    if (!this.hooks.onLog || / epoch \d+\/\d+ step \d+\/\d+$/.test(label) || this.lastLine.get(job) === label) return;
    this.lastLine.set(job, label);
    this.hooks.onLog(`job ${job}: ${label}`);
  }

  private hooksForRunner(): LiveHooks {
    return {
      start: (e) => {
        for (const job of e.jobs) this.doneWork.set(job, { training: 0, analysis: 0 });
      },
      begin: (e) => { this.started(e.job); },
      work: (e) => {
        const d = this.doneWork.get(e.job) ?? { training: 0, analysis: 0 };
        d[e.work] += e.units;
        this.doneWork.set(e.job, d);
        if (!this.working.has(e.job)) this.started(e.job);
        this.working.set(e.job, e.work);
        this.logWork(e.job, e.label);
        this.phase = e.work;
        // Training's detail comes from the step and epoch events (below), in the page's words.
        this.advanceClocks(e.work === 'analysis' ? { work: e.work, label: `job ${e.job}: ${e.label}` } : null);
      },
      step: (e) => {
        this.hooks.onStep({ run: e.setting, batch: e.batch, seed: e.seed, epoch: e.epoch, step: e.step, steps: e.steps, loss: e.loss });
        this.clocks.training.detail = `${e.setting} seed ${e.seed}: epoch ${e.epoch}/${e.epochs}, step ${e.step}/${e.steps}, batch loss ${fmtLoss(e.loss)}`;
        this.reportSoon('training');
      },
      epoch: (e) => {
        const run = this.live.get(e.job) ?? this.started(e.job)!;
        const ph = run.phases[0], m = e.metrics;
        // A resumed job repeats the epoch it was stopped in: that epoch's record is replaced.
        ph.history = ph.history.filter((x) => x.epoch < m.epoch);
        ph.history.push(m);
        run.final = { ...run.final, trainLoss: m.trainLoss, trainAcc: m.trainAcc, testLoss: m.testLoss, testAcc: m.testAcc };
        this.publish();
      },
      saved: (r) => {
        this.saved = structuredClone(r);
        for (const job of r.done) { this.working.delete(job); this.doneWork.delete(job); }
        this.advanceClocks(null);
        this.publish();
      },
    };
  }

  private async run(): Promise<RunOutcome> {
    let store: Store | null = null;
    try {
      const data = await this.loadData();
      if (this.cancelled) throw new Cancelled();
      store = await this.openStore();
      const c = costs(this.spec, data.train.n, data.test.n);
      for (const j of allJobs(this.spec, data.train.n)) { this.jobs.set(j.index, j); this.jobWork.set(j.index, jobWork(this.spec, j, c)); }
      const t = this.totals();
      this.clocks.training.setTotal(t.training);
      this.clocks.analysis.setTotal(t.analysis);
      this.phase = 'training';
      const workers = Math.min(this.form.jobs, this.jobs.size);
      this.clocks.training.run(`starting ${workers} job worker${workers > 1 ? 's' : ''} (${this.transport === 'shared' ? 'shared memory' : 'transfer fallback: no shared memory'})…`);
      this.report('training');
      let resume = false;
      for (;;) {
        const out = await runExperimentIn(this.spec, {
          store, data, kernels: this.k, environment: browserEnvironment(this.k.info.build),
          resume, stop: this.stopFlag, jobs: this.form.jobs, threads: true,
          workerUrl: this.opts.workerUrl ?? new URL('./job_worker.js', import.meta.url),
          ...(this.measureWorkerUrl ? { measureWorkerUrl: this.measureWorkerUrl } : {}),
          log: (line) => this.hooks.onLog?.(line),
          extra: { page: this.info }, live: this.hooksForRunner(),
        });
        this.file = new TextDecoder().decode((await store.read(RESULTS_FILE))!);
        this.working.clear();
        if (!out.stopped) {
          for (const clock of [this.clocks.training, this.clocks.analysis]) { clock.finish('done'); this.report(clock.phase); }
          this.saved = out.results;
          this.results = { ...out.results, page: this.info };
          this.hooks.onResults(this.results);
          if (out.failures.length) throw new ExperimentFailedError(out.failures);
          return { outcome: 'complete', results: this.results, file: this.file };
        }
        if (this.cancelled) throw new Cancelled();
        // Stopped: wait for Resume (or Cancel).
        this.paused = true;
        for (const clock of [this.clocks.training, this.clocks.analysis]) if (clock.state !== 'done') { clock.halt('paused'); this.report(clock.phase); }
        const done = out.results.done.length, total = out.results.jobs.length;
        this.hooks.onNotice(`stopped: ${done} of ${total} jobs finished, the others keep their last epoch checkpoint — Resume continues, Cancel ends the run`, true);
        const go = await new Promise<boolean>((ok) => { this.resumeGate = ok; });
        this.paused = false;
        if (!go) throw new Cancelled();
        this.stopFlag = { requested: false };
        resume = true;
        this.hooks.onNotice('resumed from the last epoch checkpoints', false);
      }
    } catch (e) {
      if (!(e instanceof Cancelled) && !this.cancelled) throw e;
      for (const c of Object.values(this.clocks)) if (c.state !== 'done') { c.halt('cancelled'); this.report(c.phase); }
      // What finished stays: the runner's file (status 'interrupted').
      if (store && this.saved) {
        const text = await store.read(RESULTS_FILE);
        if (text) {
          this.file = new TextDecoder().decode(text);
          const r = JSON.parse(this.file) as PageResults;
          this.results = r;
          this.hooks.onResults(r);
        }
      }
      return { outcome: 'cancelled', results: this.results, file: this.file };
    } finally {
      this.releaseLock?.();
    }
  }
}
