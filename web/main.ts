// The page: builds the form from FIELDS and checks it as the user types (the experiment's own
// fields: SB vs LB, or the batch-size frontier), runs an experiment through the CLI's runner
// (startExperiment: data, training, analysis, each with a progress bar and ETA, and a run
// log), draws what it shows — one live run, or one loaded file, never a mix; SB vs LB: the
// curves, parametric plot and sharpness table; a frontier: the curves, the per-batch table
// and the time-to-target figure — downloads/loads the results JSON, keeps the address in step
// with the form, and runs the kernel playground. State for the end-to-end tests is mirrored
// on window.__lbgapPage.
import * as Comlink from 'comlink';
import { loadKernels, type Kernels } from '../src/kernels/index.js';
import type { AnalysisApi } from './analysis_worker.js';
import { startExperiment, type RunHandle } from './experiment.js';
import { fmtDuration, fmtInt, fmtPct, fmtPhi } from './format.js';
import { checkForm, DATA, defaultBatches, estimateSeconds, EXPERIMENTS, experimentOf, FIELDS, formOfResults, fromQuery, labelOf, NETS, TARGET_DEFAULTS, TARGETS, toQuery, type Experiment, type FieldName, type FormCheck, type MeasuredCost, type RawForm } from './form_rules.js';
import { FRONTIER_COLUMNS, frontierTable, frontierTimeText, frontierVerdict } from './frontier_view.js';
import { PLAYGROUND_GEMMS, type GemmCase, type GemmFigure } from './gemm_timing.js';
import type { PhaseName, PhaseProgress } from './phase_clock.js';
import { curvesText, parametricText } from './plot_text.js';
import { clearPlot, curveSpecs, frontierTimeSpec, parametricSpecs, renderInto, stepKey, type StepLosses } from './plots.js';
import { loadResults, type PageResults, type PageRun } from './results.js';
import type { TfjsApi, TfjsSetup } from './tfjs_worker.js';

type Status = 'loading' | 'idle' | 'running' | 'stopping' | 'stopped' | 'done' | 'cancelled' | 'loaded' | 'error';
interface PageState {
  status: Status; error: string | null; mode: 'shared' | 'transfer' | null; results: PageResults | null; renders: number; bench: unknown;
  /** What the plots and table show: a live run, a loaded file (its name), or nothing. */
  source: { kind: 'run' | 'file'; name: string } | null;
  phases: Partial<Record<PhaseName, PhaseProgress>>;
  form: FormCheck | null;
  cost: MeasuredCost | null;
  /** The run log (the runner's lines and the jobs' reports), as shown under “Run log”. */
  log: string[];
}
const state: PageState = { status: 'loading', error: null, mode: null, results: null, renders: 0, bench: null, source: null, phases: {}, form: null, cost: null, log: [] };
(window as unknown as { __lbgapPage: PageState }).__lbgapPage = state;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};
const buttons = {
  start: $<HTMLButtonElement>('start'), stop: $<HTMLButtonElement>('stop'), resume: $<HTMLButtonElement>('resume'),
  cancel: $<HTMLButtonElement>('cancel'), download: $<HTMLButtonElement>('download'), bench: $<HTMLButtonElement>('bench'),
};
const loadInput = $<HTMLInputElement>('load');
const form = $<HTMLFormElement>('form');
const PLOTS = ['plot-loss', 'plot-acc', 'plot-param-loss', 'plot-param-acc', 'plot-frontier-time'] as const;

let k: Kernels;
let current: RunHandle | null = null;
let steps: StepLosses = new Map();

const running = () => state.status === 'running' || state.status === 'stopping' || state.status === 'stopped';

function setStatus(s: Status, text: string): void {
  state.status = s;
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', s === 'error');
  refreshButtons();
}

function refreshButtons(): void {
  const busy = running();
  buttons.start.disabled = state.status === 'loading' || busy || !state.form?.spec;
  buttons.stop.disabled = state.status !== 'running' || current?.phase === 'data';
  buttons.resume.disabled = state.status !== 'stopped';
  buttons.cancel.disabled = !busy;
  buttons.download.disabled = !state.results || busy;
  loadInput.disabled = busy;
  $('load-label').classList.toggle('disabled', busy);
  $<HTMLFieldSetElement>('fields').disabled = busy;
}

function fail(e: unknown): void {
  const err = e as Error;
  state.error = `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
  console.error(e);
  setStatus('error', state.error);
}

// --- the form: built from FIELDS, checked as you type, mirrored in the address
const HINTS: Partial<Record<FieldName, string>> = {
  lbBatch: 'the paper: 10% of the training set', seeds: 'comma-separated, e.g. 0,1,2',
  batches: 'comma-separated, e.g. 32,128,512; empty: powers of two from 32 up to 10% of the training samples',
  targetValue: 'a training loss (e.g. 0.15), or a test accuracy as a fraction (e.g. 0.97)',
  epochs: 'the frontier: at most this many epochs (its runs stop at the target)',
  analysisSamples: 'training samples the sharpness loss and the parametric plot’s train curve use',
  sharpnessIterations: 'L-BFGS-B iterations per φ (the paper: 10)',
};

function buildForm(): void {
  const fs = $('fields');
  for (const f of FIELDS) {
    const wrap = document.createElement('div');
    wrap.className = `field field-${f.name}`;
    const id = `f-${f.name}`;
    const label = document.createElement('label');
    label.htmlFor = id;
    label.textContent = f.label;
    let input: HTMLInputElement | HTMLSelectElement;
    const choices = { experiment: EXPERIMENTS, net: NETS, data: DATA, targetMetric: TARGETS } as Partial<Record<FieldName, Record<string, string>>>;
    if (choices[f.name]) {
      input = document.createElement('select');
      for (const [value, text] of Object.entries(choices[f.name]!)) input.append(new Option(text, value));
    } else {
      input = document.createElement('input');
      input.type = 'text';
      input.inputMode = f.name === 'seeds' || f.name === 'batches' ? 'text' : f.name === 'lr' || f.name === 'targetValue' ? 'decimal' : 'numeric';
      input.autocomplete = 'off';
    }
    input.id = id;
    input.name = f.name;
    input.value = f.value;
    if (HINTS[f.name]) input.title = HINTS[f.name]!;
    const msg = document.createElement('small');
    msg.className = 'msg';
    msg.id = `msg-${f.name}`;
    input.setAttribute('aria-describedby', msg.id);
    wrap.append(label, input, msg);
    fs.append(wrap);
  }
}

const field = (name: FieldName) => form.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement;

/** Shows the chosen experiment's fields (the others keep their text, hidden) in its words. */
function applyMode(mode: Experiment): void {
  for (const f of FIELDS) {
    const wrap = field(f.name).closest<HTMLElement>('.field')!;
    wrap.hidden = !f.modes.includes(mode);
    wrap.querySelector('label')!.textContent = labelOf(f.name, mode);
  }
  const n = Number(field('trainSamples').value);
  (field('batches') as HTMLInputElement).placeholder = Number.isInteger(n) && n >= 1 ? `default: ${defaultBatches(n).join(',')}` : 'default: powers of two';
  field('epochs').title = mode === 'frontier' ? HINTS.epochs! : '';
}

/** The sections of what is shown (a run's or file's kind; with nothing shown, the form's experiment). */
function showSections(kind: string): void {
  $('frontier').hidden = kind !== 'frontier';
  $('analysis').hidden = kind === 'frontier';
}
const readRaw = (): RawForm => Object.fromEntries(FIELDS.map((f) => [f.name, field(f.name).value])) as RawForm;

function setFields(values: Partial<RawForm>): void {
  for (const [name, v] of Object.entries(values)) if (v !== undefined) field(name as FieldName).value = v;
}

/** Checks the form, shows each field's error (or warning) beside it, the time estimate, and updates the address. */
function checkFormNow(): FormCheck {
  const raw = readRaw();
  const mode = experimentOf(raw);
  applyMode(mode);
  if (!shown) showSections(mode);
  const c = checkForm(raw, { cores: navigator.hardwareConcurrency ?? 1, cost: state.cost });
  state.form = c;
  for (const f of FIELDS) {
    const el = field(f.name), msg = $(`msg-${f.name}`);
    const err = c.errors[f.name], warn = c.warnings.filter((w) => w.field === f.name).map((w) => w.text).join('; ');
    msg.textContent = err ?? warn;
    msg.className = `msg${err ? ' error' : warn ? ' warn' : ''}`;
    el.setAttribute('aria-invalid', String(!!err));
  }
  const est = $('estimate');
  if (c.spec && c.spec.experiment === 'frontier') {
    const b = c.spec.batches ?? defaultBatches(c.spec.trainSamples);
    est.textContent = `${b.length} batch size${b.length === 1 ? '' : 's'} (${b.join(', ')}) × ${c.spec.seeds.length} seed${c.spec.seeds.length === 1 ? '' : 's'}, each trained until ${c.spec.targetMetric === 'testAcc' ? `test accuracy ≥ ${c.spec.targetValue}` : `training loss ≤ ${c.spec.targetValue}`} or ${c.spec.epochs} epoch${c.spec.epochs === 1 ? '' : 's'}, after one job that times a step at every batch alone: the quick preset of “lbgap frontier” with these choices.`;
  } else if (c.spec && state.cost?.net === c.spec.net) {
    const e = estimateSeconds(c.spec, { cores: navigator.hardwareConcurrency ?? 1, cost: state.cost });
    est.textContent = `Estimated time: about ${fmtDuration(e.total)} (training ${fmtDuration(e.training)}, analysis ${fmtDuration(e.analysis)}), from a measured ${fmtInt(e.rate)} samples/s of ${c.spec.net} in this tab.`;
  } else est.textContent = c.spec ? '' : 'Fix the fields marked above to start.';
  const q = toQuery(raw);
  const url = `${location.pathname}${q ? `?${q}` : ''}`;
  history.replaceState(null, '', url);
  $<HTMLAnchorElement>('share').href = url;
  refreshButtons();
  return c;
}

/** Measures this tab's training throughput for the chosen network (for the estimate and the long-run warning). */
let probing: string | null = null;
async function probeCost(): Promise<void> {
  const net = field('net').value as 'tiny' | 'F1';
  if (state.cost?.net === net || probing === net || running() || !(net in NETS)) return;
  probing = net;
  const worker = new Worker(new URL('./analysis.js', import.meta.url), { type: 'module', name: 'lbgap-probe' });
  const api = Comlink.wrap<AnalysisApi>(worker);
  try {
    const figures = await api.stepCost(net, [32, 256], net === 'F1' ? 2 : 5);
    if (field('net').value === net) state.cost = { net, samplesPerSecond: figures.map((f) => ({ batch: f.batch, value: f.samplesPerSecond })) };
  } finally {
    api[Comlink.releaseProxy]();
    worker.terminate();
    probing = null;
  }
  checkFormNow();
}

// --- what is shown: the table, the plots and their text, drawn from one results object
interface Shown {
  results: PageResults; kind: 'run' | 'file'; name: string;
  /** The results file as written (the runner's results.json) or loaded: what Download saves (null while a run has not ended). */
  text: string | null;
}
let shown: Shown | null = null;
const drawn = new Map<string, string>();

function show(s: Shown | null): void {
  shown = s;
  state.results = s?.results ?? null;
  state.source = s ? { kind: s.kind, name: s.name } : null;
  drawn.clear();
  for (const id of PLOTS) { clearPlot($(id)); $(`text-${id}`).textContent = ''; }
  $('summary').querySelector('tbody')!.replaceChildren();
  $('frontier-summary').querySelector('tbody')!.replaceChildren();
  $('frontier-verdict').textContent = '';
  showSections(s?.results.kind ?? experimentOf(readRaw()));
  $('source').textContent = s ? (s.kind === 'file' ? `Showing the file ${s.name}.` : `Showing the run started ${s.name}.`) : '';
  refreshButtons();
}

/** The frontier's per-batch table (summarizeFrontier, as `lbgap report`) and its verdict line. */
function renderFrontier(r: PageResults): void {
  const head = $('frontier-summary').querySelector('thead tr')!;
  if (!head.childElementCount) for (const c of FRONTIER_COLUMNS) { const th = document.createElement('th'); th.scope = 'col'; th.textContent = c; head.append(th); }
  const body = $('frontier-summary').querySelector('tbody')!;
  body.replaceChildren();
  for (const row of frontierTable(r)) {
    const tr = document.createElement('tr');
    tr.dataset.batch = String(row.batch);
    if (row.fastest) { tr.className = 'fastest'; tr.title = 'fastest to the target'; }
    row.cells.forEach((c, i) => { const td = document.createElement(i === 0 ? 'th' : 'td'); if (i === 0) td.setAttribute('scope', 'row'); td.textContent = c; tr.append(td); });
    body.append(tr);
  }
  $('frontier-verdict').textContent = frontierVerdict(r);
}

function renderTable(r: PageResults): void {
  if (r.kind === 'frontier') { renderFrontier(r); return; }
  const body = $('summary').querySelector('tbody')!;
  body.replaceChildren();
  const row = (cells: string[], cls = '', title = '') => {
    const tr = document.createElement('tr');
    if (cls) tr.className = cls;
    if (title) tr.title = title;
    cells.forEach((c, i) => { const td = document.createElement(i === 0 ? 'th' : 'td'); if (i === 0) td.setAttribute('scope', 'row'); td.textContent = c; tr.append(td); });
    body.append(tr);
    return tr;
  };
  for (const run of r.runs as PageRun[]) {
    const phi = (eps: number, random: boolean) => run.final.sharpness.find((s) => s.eps === eps && (s.space === 'random') === random)?.phi;
    const diverged = run.status === 'diverged';
    const flag = diverged ? ' (diverged)' : run.status === 'not-improved' ? ' (did not learn)' : '';
    const tr = row([`${run.setting} seed ${run.seed}${flag}`, fmtInt(run.batch), fmtPct(run.final.trainAcc), fmtPct(run.final.testAcc),
      ...(diverged ? ['not measured', '–', '–', '–'] : [fmtPhi(phi(1e-3, false)), fmtPhi(phi(5e-4, false)), fmtPhi(phi(1e-3, true)), fmtPhi(phi(5e-4, true))])],
    flag ? 'flagged' : '', run.note ?? '');
    tr.dataset.setting = run.setting;
  }
  // Over several seeds: the CLI report's summary rows, mean ± std.
  for (const s of r.final) {
    if (s.seeds < 2) continue;
    const ms = (st: { mean: number; std: number } | null | undefined, scale: number, digits: number, unit = '') => (st ? `${(scale * st.mean).toFixed(digits)} ± ${(scale * st.std).toFixed(digits)}${unit}` : '–');
    row([`${s.setting} mean ± std (${s.seeds} seeds)`, fmtInt(s.batch), ms(s.trainAcc, 100, 2, ' %'), ms(s.testAcc, 100, 2, ' %'),
      ...['full@0.001', 'full@0.0005', 'random@0.001', 'random@0.0005'].map((key) => ms(s.sharpness[key], 1, 3))], 'summary');
  }
}

const plotWidth = (id: string) => Math.max(240, Math.floor($(id).getBoundingClientRect().width));

/** Draws what changed since the last draw (a plot is redrawn when its data, size or title changed). */
async function drawShown(): Promise<void> {
  const s = shown;
  if (!s) return;
  const r = s.results;
  renderTable(r);
  const subtitle = s.kind === 'file' ? s.name : undefined;
  const liveSteps = s.kind === 'run' ? steps : null;
  const stepCount = [...(liveSteps?.values() ?? [])].reduce((a, x) => a + x.x.length, 0);
  const epochs = r.runs.reduce((a, x) => a + x.phases.reduce((b, p) => b + p.history.length, 0), 0);
  const w = plotWidth('plot-loss');
  const jobs: Promise<void>[] = [];
  const draw = (id: string, sig: string, spec: () => Parameters<typeof renderInto>[1], text: () => string) => {
    if (drawn.get(id) === sig) return;
    drawn.set(id, sig);
    $(`text-${id}`).textContent = text();
    jobs.push(renderInto($(id), spec()));
  };
  const curveSig = `${w}|${subtitle}|${epochs}|${stepCount}|${r.runs.length}`;
  const curves = () => curveSpecs(r, liveSteps, { width: w, subtitle });
  draw('plot-loss', curveSig, () => curves().loss, () => curvesText(r, 'loss'));
  draw('plot-acc', curveSig, () => curves().acc, () => curvesText(r, 'acc'));
  if (r.kind === 'frontier') {
    const fw = Math.max(240, Math.floor($('plot-frontier-time').getBoundingClientRect().width));
    const time = frontierTimeSpec(r, fw);
    if (time) draw('plot-frontier-time', `${fw}|${subtitle}|${r.done.length}|${r.status}`, () => time, () => frontierTimeText(r));
  }
  if (r.interpolations.length > 0) {
    const sig = `${w}|${subtitle}|${r.interpolations.length}`;
    const p = () => parametricSpecs(r, { width: w, subtitle })!;
    draw('plot-param-loss', sig, () => p().loss, () => parametricText(r, 'loss'));
    draw('plot-param-acc', sig, () => p().acc, () => parametricText(r, 'acc'));
  }
  await Promise.all(jobs);
  if (jobs.length) state.renders++;
}

let drawing: Promise<void> | null = null;
let dirty = false;
/** Coalesces draw requests: at most one draw at a time, and during a run at most about two a second. */
function requestDraw(): void {
  dirty = true;
  if (drawing) return;
  drawing = (async () => {
    try {
      while (dirty) {
        dirty = false;
        await drawShown();
        if (running()) await new Promise((ok) => setTimeout(ok, 500));
      }
    } catch (e) {
      fail(e);
    } finally {
      drawing = null;
    }
  })();
}

async function drawnNow(): Promise<void> {
  while (drawing) await drawing;
  if (dirty) { requestDraw(); await drawing; }
}

// --- the run log
const MAX_LOG = 2000;
function addLog(line: string): void {
  state.log.push(line);
  if (state.log.length > MAX_LOG) state.log.splice(0, state.log.length - MAX_LOG);
  const el = $('log');
  const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 4;
  el.textContent = state.log.join('\n');
  if (atEnd) el.scrollTop = el.scrollHeight;
}
function clearLog(): void {
  state.log = [];
  $('log').textContent = '';
}

// --- progress by phase
function showPhase(p: PhaseProgress): void {
  state.phases[p.phase] = p;
  const li = $('phases').querySelector<HTMLLIElement>(`li[data-phase="${p.phase}"]`)!;
  li.dataset.state = p.state;
  li.querySelector('progress')!.value = p.fraction;
  li.querySelector('.pct')!.textContent = `${Math.floor(100 * p.fraction)} %`;
  li.querySelector('.eta')!.textContent = p.state === 'done' ? `done in ${fmtDuration(p.seconds)}`
    : p.state === 'paused' ? 'paused' : p.state === 'cancelled' ? 'cancelled'
      : p.state === 'waiting' && p.fraction === 0 ? 'waiting' : `ETA ${fmtDuration(p.etaSeconds)}`;
  li.querySelector('.detail')!.textContent = p.detail;
}

function resetPhases(): void {
  state.phases = {};
  for (const phase of ['data', 'training', 'analysis'] as const) showPhase({ phase, state: 'waiting', fraction: 0, etaSeconds: null, seconds: 0, detail: '' });
}

// --- the experiment
async function start(): Promise<void> {
  const c = checkFormNow();
  if (!c.spec || running()) return;
  steps = new Map();
  show(null);
  resetPhases();
  clearLog();
  setStatus('running', 'starting…');
  const startedAt = new Date().toLocaleTimeString('en-GB');
  const run = startExperiment(k, c.spec, {
    onProgress: (p) => {
      showPhase(p);
      if (p.state === 'running' && state.status === 'running') $('status').textContent = `${p.phase}: ${p.detail}`;
      refreshButtons();
    },
    onStep: (e) => {
      const key = stepKey(e.run, e.seed);
      let s = steps.get(key);
      if (!s) { s = { setting: e.run, batch: e.batch, seed: e.seed, x: [], y: [] }; steps.set(key, s); }
      const x = e.epoch - 1 + e.step / e.steps;
      // After Resume, the epoch that was stopped runs again from its start: its first steps replace the old ones.
      let keep = s.x.length;
      while (keep > 0 && s.x[keep - 1] >= x) keep--;
      if (keep < s.x.length) { s.x.length = keep; s.y.length = keep; }
      s.x.push(x);
      s.y.push(e.loss);
      requestDraw();
    },
    onResults: (r) => {
      if (!shown) show({ results: r, kind: 'run', name: `at ${startedAt}`, text: null });
      else if (shown.kind === 'run') { shown.results = r; state.results = r; }
      requestDraw();
    },
    onLog: (line) => addLog(line),
    onNotice: (text, paused) => {
      if (state.status === 'error') return;
      if (paused) setStatus('stopped', text);
      else if (text.startsWith('stopping')) setStatus('stopping', text);
      else if (state.status === 'stopped' || state.status === 'stopping') setStatus('running', text);
      else $('status').textContent = text;
    },
  }, { mnistBase: new URL('./data/mnist/', location.href).href });
  current = run;
  refreshButtons();
  try {
    const end = await run.done;
    if (shown?.kind === 'run' && end.results) { shown.results = end.results; shown.text = end.file; state.results = end.results; requestDraw(); }
    await drawnNow();
    if (end.outcome === 'cancelled') {
      setStatus('cancelled', `cancelled: the runs so far are kept (status “interrupted”)${end.results ? '' : ' — none had started'}; change the settings and Start again`);
      return;
    }
    const r = end.results!;
    const bad = (r.runs as PageRun[]).filter((x) => x.status === 'diverged' || x.status === 'not-improved');
    setStatus('done', `done: ${r.runs.length} runs, training and analysis in ${fmtDuration(r.timings.seconds)}` +
      (r.kind === 'frontier' ? ` — ${frontierVerdict(r).split('. ')[0].replace(/\.$/, '')}` : '') +
      (bad.length ? ` — ${bad.map((x) => `${x.setting} seed ${x.seed} ${x.status === 'diverged' ? 'diverged' : 'did not learn'}: ${x.note}`).join('; ')}` : ''));
  } finally {
    current = null;
    refreshButtons();
  }
}

function download(): void {
  if (!state.results || running()) return;
  // The runner's results.json as it wrote it (a loaded file: as loaded).
  const text = shown?.text ?? JSON.stringify(state.results, null, 1) + '\n';
  const blob = new Blob([text], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  // `lbgap reproduce`'s (or `lbgap frontier`'s) results.json, from the same runner.
  a.download = `lbgap-${state.results.spec.net}${state.results.kind === 'frontier' ? '-frontier' : ''}-results.json`;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function load(file: File): Promise<void> {
  const text = await file.text();
  const r = loadResults(text, file.name); // a bad file changes nothing on screen
  const { values, notShown } = formOfResults(r);
  setFields(values);
  checkFormNow();
  steps = new Map();
  resetPhases();
  clearLog();
  show({ results: r, kind: 'file', name: file.name, text });
  requestDraw();
  await drawnNow();
  const where = r.page ? `this page, ${r.page.transport} transport` : `lbgap ${r.kind} in Node ${r.environment.node}`;
  setStatus('loaded', `loaded ${file.name}: ${r.spec.net} on ${r.data.train}, ${r.runs.length} runs, ${r.status} (${where}, ${r.environment.kernels} kernels); its settings are in the form` +
    (notShown.length ? ` except ${notShown.join(', ')}` : ''));
}

// --- kernel playground
/** The playground's "N threads": the cores the browser reports, at most this many. */
const MAX_PLAYGROUND_THREADS = 8;

/** One row of the threads table: an implementation on 1 or N threads for one shape, or why it is absent. */
interface ThreadRow {
  shape: string; impl: 'lbgap' | 'tfjs'; label: string; threads: number;
  figure: GemmFigure | null; absent: string | null;
  /** GFLOP/s over the same implementation's 1-thread figure. */
  vsOne: number | null;
  /** lbgap's GFLOP/s over TF.js's at the same threads (lbgap rows). */
  vsTfjs: number | null;
}
interface ThreadComparison {
  n: number; isolated: boolean; tfjsVersion: string | null;
  /** Threads TF.js's threaded backend would take by itself here (it caps at hardwareConcurrency / 2); null if it did not start. */
  tfjsOwnThreads: number | null;
  rows: ThreadRow[];
}

/**
 * Times every case on lbgap 1 thread / N threads (the analysis worker) and TF.js's Wasm backend
 * 1 thread / N threads (one worker each: the backend's threads are fixed at its start), one
 * implementation at a time, interleaved per shape. A side that cannot run here gets a row that
 * says why (not isolated, one core, TF.js failed to start).
 */
async function compareThreads(api: Comlink.Remote<AnalysisApi>, cases: GemmCase[], minMs: number): Promise<ThreadComparison> {
  const isolated = self.crossOriginIsolated === true;
  const n = Math.max(1, Math.min(navigator.hardwareConcurrency || 1, MAX_PLAYGROUND_THREADS));
  const oneCore = `this browser reports ${navigator.hardwareConcurrency || 1} core (navigator.hardwareConcurrency): nothing to spread over`;
  const workers: Worker[] = [];
  type TfSide = { api?: Comlink.Remote<TfjsApi>; setup?: TfjsSetup; error?: string };
  const startTfjs = async (threads: number): Promise<TfSide> => {
    const w = new Worker(new URL('./tfjs.js', import.meta.url), { type: 'module', name: `lbgap-tfjs-${threads}` });
    workers.push(w);
    const tf = Comlink.wrap<TfjsApi>(w);
    try {
      return { api: tf, setup: await tf.init(threads) };
    } catch (e) {
      return { error: `TF.js did not start: ${(e as Error)?.message ?? String(e)}` };
    }
  };
  try {
    const tf1 = await startTfjs(1);
    const tfN: TfSide = n < 2 ? { error: oneCore }
      : !isolated ? { error: `TF.js picks its threaded-SIMD binary only with SharedArrayBuffer, and this page is not cross-origin isolated (it needs Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp, which \`lbgap serve\` sends unless --no-isolation)` }
      : await startTfjs(n);
    if (tfN.setup && tfN.setup.threads < 2) tfN.error = `TF.js started on ${tfN.setup.threads} thread with ${tfN.setup.binary}`;
    const version = (tf1.setup ?? tfN.setup)?.version ?? null;
    const tfLabel = (s: TfSide, binary: string) => `TF.js${version ? ` ${version}` : ''} Wasm (${(s.setup?.binary ?? binary).replace(/^tfjs-backend-wasm-|\.wasm$/g, '')})`;
    const rows: ThreadRow[] = [];
    for (const c of cases) {
      const lb = await api.gemmThreads([c], minMs, n);
      const lbOne = lb.one[0], lbMany = lb.many[0] ?? null;
      const lbAbsent = n < 2 ? oneCore : lbMany ? null : lb.reason;
      const tfOne = tf1.api && !tf1.error ? (await tf1.api.gemm([c], minMs))[0] : null;
      const tfMany = tfN.api && !tfN.error ? (await tfN.api.gemm([c], minMs))[0] : null;
      const ratio = (x: GemmFigure | null, y: GemmFigure | null) => (x && y ? x.gflops / y.gflops : null);
      const label = `lbgap ${lbOne.build}`;
      rows.push(
        { shape: c.shape, impl: 'lbgap', label, threads: 1, figure: lbOne, absent: null, vsOne: 1, vsTfjs: ratio(lbOne, tfOne) },
        { shape: c.shape, impl: 'lbgap', label, threads: lbMany?.threads ?? n, figure: lbMany, absent: lbAbsent, vsOne: ratio(lbMany, lbOne), vsTfjs: ratio(lbMany, tfMany) },
        { shape: c.shape, impl: 'tfjs', label: tfLabel(tf1, 'tfjs-backend-wasm-simd.wasm'), threads: 1, figure: tfOne, absent: tf1.error ?? null, vsOne: tfOne ? 1 : null, vsTfjs: null },
        { shape: c.shape, impl: 'tfjs', label: tfLabel(tfN, 'tfjs-backend-wasm-threaded-simd.wasm'), threads: tfMany?.threads ?? n, figure: tfMany, absent: tfMany ? null : tfN.error ?? 'not measured', vsOne: ratio(tfMany, tfOne), vsTfjs: null },
      );
    }
    const body = $('gemm-threads').querySelector('tbody')!;
    body.replaceChildren();
    const x = (v: number | null) => (v === null ? '–' : `${v.toFixed(2)}×`);
    for (const r of rows) {
      const tr = document.createElement('tr');
      tr.dataset.impl = r.impl;
      tr.dataset.threads = r.threads === 1 ? '1' : 'n';
      const cell = (t: string, span = 1) => { const td = document.createElement('td'); td.textContent = t; td.colSpan = span; tr.append(td); return td; };
      const c = cases.find((cc) => cc.shape === r.shape)!;
      cell(`${r.shape} (${c.M}×${c.N}×${c.K})`); cell(r.label); cell(String(r.threads));
      if (r.figure) {
        cell(r.figure.gflops.toFixed(1)); cell(r.figure.medianMs.toFixed(3)); cell(x(r.vsOne)); cell(r.impl === 'lbgap' ? x(r.vsTfjs) : '');
      } else {
        cell(`not measured: ${r.absent}`, 4).className = 'absent';
      }
      body.append(tr);
    }
    return { n, isolated, tfjsVersion: version, tfjsOwnThreads: tfN.setup?.ownThreads ?? null, rows };
  } finally {
    for (const w of workers) w.terminate();
  }
}

async function bench(): Promise<void> {
  buttons.bench.disabled = true;
  const note = $('bench-note');
  note.textContent = 'running in a worker…';
  const worker = new Worker(new URL('./analysis.js', import.meta.url), { type: 'module', name: 'lbgap-bench' });
  const api = Comlink.wrap<AnalysisApi>(worker);
  try {
    const nodeRes = await fetch(new URL('./node-bench.json', location.href)).then((r) => (r.ok ? r.json() : {})).catch(() => ({})) as {
      gemm?: { rows: { shape: string; gflops: { simd: number; relaxed: number; tfjs: number } }[]; machine?: { cpu: string; node: string } };
      step?: { rows: { net: string; batch: number; impl: string; samplesPerSecond: number }[] };
    };
    const gemm = await api.gemm(PLAYGROUND_GEMMS, 250);
    const f = (v: number | undefined) => (v === undefined ? '–' : v.toFixed(1));
    const gbody = $('gemm').querySelector('tbody')!;
    gbody.replaceChildren();
    for (const c of PLAYGROUND_GEMMS) {
      const node = nodeRes.gemm?.rows.find((r) => r.shape === c.shape);
      const mine = (b: string) => gemm.find((g) => g.shape === c.shape && g.build === b)?.gflops;
      const tr = document.createElement('tr');
      for (const t of [`${c.shape} (${c.M}×${c.N}×${c.K})`, f(mine('simd')), f(mine('relaxed-simd')), f(node?.gflops.simd), f(node?.gflops.relaxed), f(node?.gflops.tfjs)]) {
        const td = document.createElement('td'); td.textContent = t; tr.append(td);
      }
      gbody.append(tr);
    }
    note.textContent = 'running in workers: lbgap on 1 and N threads, TensorFlow.js’s Wasm backend on 1 and N threads…';
    const threads = await compareThreads(api, PLAYGROUND_GEMMS, 250);
    note.textContent = 'running in a worker: training steps…';
    const stepFigures = [...await api.stepCost('tiny', [32, 256], 20), ...await api.stepCost('F1', [32, 256], 4)];
    const sbody = $('step').querySelector('tbody')!;
    sbody.replaceChildren();
    for (const s of stepFigures) {
      const node = nodeRes.step?.rows.find((r) => r.net === s.net && r.batch === s.batch && r.impl === 'in-thread');
      const tr = document.createElement('tr');
      for (const t of [s.net, fmtInt(s.batch), s.msPerStep.toFixed(2), fmtInt(s.samplesPerSecond), node ? fmtInt(node.samplesPerSecond) : '–']) {
        const td = document.createElement('td'); td.textContent = t; tr.append(td);
      }
      sbody.append(tr);
    }
    state.bench = { gemm, threads, steps: stepFigures };
    note.textContent = 'GFLOP/s: median of timed sgemm calls, inputs resident in Wasm memory (as bench/gemm.bench.mjs), each result checked against an f64 product first. ' +
      `Threads: lbgap = loadKernels({ threads: ${threads.n} }) (this machine’s cores, at most ${MAX_PLAYGROUND_THREADS}); TF.js ${threads.tfjsVersion ?? ''} Wasm (XNNPACK) in its own workers, ` +
      '1 thread = its SIMD binary, N = its threaded-SIMD binary (only in a cross-origin isolated page), timed the same way (tf.matMul on resident tensors). ' +
      (threads.tfjsOwnThreads !== null && threads.tfjsOwnThreads < threads.n
        ? `TF.js caps its pool at half the reported cores (it assumes hyperthreads): by itself it would run ${threads.tfjsOwnThreads} thread${threads.tfjsOwnThreads === 1 ? '' : 's'} here, so its worker is told of ${2 * threads.n} cores to run ${threads.n}. ` : '') +
      (nodeRes.gemm ? `Node figures: ${nodeRes.gemm.machine?.cpu ?? 'this machine'}, Node ${nodeRes.gemm.machine?.node ?? ''} (bench/results/gemm.json at build time).`
        : 'No Node figures were bundled: run `npm run bench:gemm` (and `npm run bench:step`), then `npm run build:web`.');
  } catch (e) {
    note.textContent = `benchmark failed: ${(e as Error).message}`;
    throw e;
  } finally {
    api[Comlink.releaseProxy]();
    worker.terminate();
    buttons.bench.disabled = false;
  }
}

// --- wiring
async function init(): Promise<void> {
  buildForm();
  resetPhases();
  // URL parameters preset the form (?net=tiny&trainSamples=512&…&autostart=1).
  const q = fromQuery(location.search);
  setFields(q.values);
  // The paper's LB is 10% of the training set: follow the training-set size unless set.
  let lbEdited = q.values.lbBatch !== undefined;
  form.addEventListener('input', (ev) => {
    const t = ev.target as HTMLInputElement;
    if (t.name === 'lbBatch') lbEdited = true;
    // A new target metric: the other metric's default value becomes this one's.
    if (t.name === 'targetMetric') {
      const v = field('targetValue'), other = t.value === 'testAcc' ? 'trainLoss' : 'testAcc';
      if (v.value.trim() === TARGET_DEFAULTS[other]) v.value = TARGET_DEFAULTS[t.value as keyof typeof TARGET_DEFAULTS] ?? v.value;
    }
    if (t.name === 'trainSamples' && !lbEdited && Number.isFinite(Number(t.value))) field('lbBatch').value = String(Math.max(1, Math.round(Number(t.value) / 10)));
    checkFormNow();
    if (t.name === 'net') probeCost().catch((e) => console.warn('step-cost probe failed', e));
  });
  form.addEventListener('submit', (ev) => ev.preventDefault());
  checkFormNow();

  k = await loadKernels();
  const isolated = self.crossOriginIsolated === true;
  state.mode = isolated && typeof SharedArrayBuffer !== 'undefined' ? 'shared' : 'transfer';
  const env = $('env');
  env.classList.add(state.mode);
  env.textContent = `Kernels: ${k.info.build}${k.info.relaxedSupported ? '' : ' (no relaxed SIMD here)'} · ${fmtInt(navigator.hardwareConcurrency ?? 1)} cores · ` +
    (state.mode === 'shared'
      ? 'cross-origin isolated: the job workers share the data sets and the stop flag (SharedArrayBuffer); Stop takes effect at the next step'
      : 'not cross-origin isolated: the transfer fallback — each job worker gets a copy of the data, and Stop reaches it as a message at the end of its current epoch or measurement');
  buttons.start.onclick = () => { start().catch(fail); };
  buttons.stop.onclick = () => current?.stop();
  buttons.resume.onclick = () => current?.resume();
  buttons.cancel.onclick = () => current?.cancel();
  buttons.download.onclick = download;
  buttons.bench.onclick = () => { bench().catch(fail); };
  buttons.bench.disabled = false;
  loadInput.onchange = () => {
    const f = loadInput.files?.[0];
    loadInput.value = ''; // the same file can be loaded again
    if (f && !running()) load(f).catch(fail); // (the input is disabled during a run: the run owns the plots)
  };
  // Leaving mid-run loses it: ask first.
  addEventListener('beforeunload', (ev) => { if (running()) ev.preventDefault(); });
  let resized = 0;
  addEventListener('resize', () => { clearTimeout(resized); resized = window.setTimeout(requestDraw, 150); });
  setStatus('idle', q.unknown.length ? `ready — the address's unknown setting${q.unknown.length > 1 ? 's' : ''} ${q.unknown.join(', ')} ${q.unknown.length > 1 ? 'were' : 'was'} ignored` : 'ready');
  if (q.autostart) {
    if (state.form?.spec) buttons.start.click();
    else setStatus('idle', 'autostart=1: not started — fix the fields marked above');
  } else {
    probeCost().catch((e) => console.warn('step-cost probe failed', e));
  }
}

init().catch(fail);
