// The page: reads the form, runs an Experiment (SB and LB in Web Workers), draws the live
// plots, the parametric plot and the sharpness table, downloads/loads the results JSON, and
// runs the kernel playground. State for the end-to-end tests is mirrored on window.__lbgapPage.
import * as Comlink from 'comlink';
import { loadKernels, type Kernels } from '../src/kernels/index.js';
import type { AnalysisApi } from './analysis_worker.js';
import { checkSpec, Experiment, netSpec } from './experiment.js';
import { PLAYGROUND_GEMMS } from './gemm_timing.js';
import { loadMnistSubsets, syntheticSubsets } from './page_data.js';
import { curveSpecs, parametricSpecs, renderInto } from './plots.js';
import { loadResults, type PageResults, type PageSpec } from './results.js';

type Status = 'loading' | 'idle' | 'training' | 'stopped' | 'done' | 'loaded' | 'error';
interface PageState { status: Status; error: string | null; mode: 'shared' | 'transfer' | null; results: PageResults | null; renders: number; bench: unknown }
const state: PageState = { status: 'loading', error: null, mode: null, results: null, renders: 0, bench: null };
(window as unknown as { __lbgapPage: PageState }).__lbgapPage = state;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el as T;
};
const buttons = {
  start: $<HTMLButtonElement>('start'), stop: $<HTMLButtonElement>('stop'), resume: $<HTMLButtonElement>('resume'),
  download: $<HTMLButtonElement>('download'), bench: $<HTMLButtonElement>('bench'),
};

let k: Kernels;
let current: Experiment | null = null;

function setStatus(s: Status, text: string): void {
  state.status = s;
  const el = $('status');
  el.textContent = text;
  el.classList.toggle('error', s === 'error');
  buttons.start.disabled = s === 'loading' || s === 'training' || s === 'stopped';
  buttons.stop.disabled = s !== 'training';
  buttons.resume.disabled = s !== 'stopped';
  buttons.download.disabled = !state.results;
}

function fail(e: unknown): void {
  const err = e as Error;
  state.error = `${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`;
  console.error(e);
  setStatus('error', state.error);
}

function readSpec(): PageSpec {
  const f = $<HTMLFormElement>('form');
  const v = (name: string) => (f.elements.namedItem(name) as HTMLInputElement | HTMLSelectElement).value.trim();
  const n = (name: string) => Number(v(name));
  const seeds = v('seeds').split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  return {
    net: v('net') as PageSpec['net'], data: v('data') as PageSpec['data'],
    trainSamples: n('trainSamples'), testSamples: n('testSamples'), sbBatch: n('sbBatch'), lbBatch: n('lbBatch'),
    epochs: n('epochs'), seeds, lr: n('lr'), workersPerRun: n('workersPerRun'),
    analysisSamples: Math.min(n('analysisSamples'), n('trainSamples')), sharpnessIterations: n('sharpnessIterations'),
  };
}

// --- rendering (live and from a loaded file alike)
async function renderCurves(r: PageResults): Promise<void> {
  const c = curveSpecs(r.runs);
  await Promise.all([renderInto($('plot-loss'), c.loss), renderInto($('plot-acc'), c.acc)]);
  state.renders++;
}

async function renderParametric(r: PageResults): Promise<void> {
  const p = parametricSpecs(r);
  if (!p) return;
  await Promise.all([renderInto($('plot-param-loss'), p.loss), renderInto($('plot-param-acc'), p.acc)]);
  state.renders++;
}

const pct = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${(100 * v).toFixed(2)}%`);
const phiText = (v: number | undefined) => (v === undefined ? '–' : v < 10 ? v.toFixed(3) : v.toFixed(1));

function renderTable(r: PageResults): void {
  const body = $('summary').querySelector('tbody')!;
  body.replaceChildren();
  for (const run of r.runs) {
    const phi = (eps: number, random: boolean) => run.final.sharpness.find((s) => s.eps === eps && (s.space === 'random') === random)?.phi;
    const tr = document.createElement('tr');
    const cells = [`${run.setting} seed ${run.seed}`, String(run.batch), pct(run.final.trainAcc), pct(run.final.testAcc),
      phiText(phi(1e-3, false)), phiText(phi(5e-4, false)), phiText(phi(1e-3, true)), phiText(phi(5e-4, true))];
    for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
    tr.dataset.setting = run.setting;
    body.append(tr);
  }
  // Over several seeds: the CLI report's summary rows, mean ± std.
  for (const row of r.final) {
    if (row.seeds < 2) continue;
    const ms = (st: { mean: number; std: number } | null | undefined, scale: number, digits: number) => (st ? `${(scale * st.mean).toFixed(digits)} ± ${(scale * st.std).toFixed(digits)}` : '–');
    const tr = document.createElement('tr');
    tr.className = 'summary';
    const cells = [`${row.setting} mean ± std (${row.seeds} seeds)`, String(row.batch), ms(row.trainAcc, 100, 2), ms(row.testAcc, 100, 2),
      ...['full@0.001', 'full@0.0005', 'random@0.001', 'random@0.0005'].map((key) => ms(row.sharpness[key], 1, 3))];
    for (const c of cells) { const td = document.createElement('td'); td.textContent = c; tr.append(td); }
    body.append(tr);
  }
}

let pending: Promise<void> = Promise.resolve();
/** Renders in order, one at a time (vega views are async), without blocking the experiment. */
function schedule(fn: () => Promise<void> | void): void {
  pending = pending.then(fn).catch(fail);
}

async function renderAll(r: PageResults): Promise<void> {
  renderTable(r);
  await renderCurves(r);
  await renderParametric(r);
}

// --- the experiment
async function start(): Promise<void> {
  const spec = readSpec();
  state.results = null; state.error = null;
  checkSpec(spec); // before fetching anything
  setStatus('training', `loading ${spec.data === 'mnist' ? 'MNIST' : 'synthetic data'}…`);
  const data = spec.data === 'mnist'
    ? await loadMnistSubsets(new URL('./data/mnist/', location.href).href, spec.trainSamples, spec.testSamples)
    : syntheticSubsets(spec.trainSamples, spec.testSamples);
  const exp = new Experiment(k, spec, data, {
    onEpoch: (r) => { schedule(() => { renderTable(r); return renderCurves(r); }); },
    onStep: (label, seed, epoch, step, steps, loss) => {
      $('progress').textContent = `${label} seed ${seed}: epoch ${epoch}, step ${step}/${steps}, batch loss ${loss.toFixed(4)}`;
    },
    onStatus: (text) => {
      if (state.status === 'error') return;
      const stopped = text.startsWith('stopped');
      setStatus(stopped ? 'stopped' : 'training', text);
    },
    onAnalysis: (r) => schedule(() => { renderTable(r); return renderParametric(r); }),
  });
  current = exp;
  state.results = exp.results;
  try {
    const r = await exp.run();
    await pending;
    state.results = r;
    setStatus('done', `done: ${r.runs.length} runs, training and analysis in ${r.timings.seconds.toFixed(1)} s`);
  } finally {
    current = null;
  }
}

function download(): void {
  if (!state.results) return;
  const blob = new Blob([JSON.stringify(state.results, null, 2) + '\n'], { type: 'application/json' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = `lbgap-${state.results.spec.net}-results.json`; // the format of `lbgap reproduce`'s results.json
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

async function load(file: File): Promise<void> {
  const r = loadResults(await file.text(), file.name);
  state.results = r;
  for (const id of ['plot-loss', 'plot-acc', 'plot-param-loss', 'plot-param-acc']) $(id).replaceChildren();
  await renderAll(r);
  const where = r.page ? `this page, ${r.page.transport} transport` : `lbgap ${r.kind} in Node ${r.environment.node}`;
  setStatus('loaded', `loaded ${file.name}: ${r.spec.net} on ${r.data.train}, ${r.runs.length} runs, ${r.status} (${where}, ${r.environment.kernels} kernels)`);
}

// --- kernel playground
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
    const steps = [...await api.stepCost(netSpec('tiny'), [32, 256], 20), ...await api.stepCost(netSpec('F1'), [32, 256], 4)];
    const sbody = $('step').querySelector('tbody')!;
    sbody.replaceChildren();
    for (const s of steps) {
      const node = nodeRes.step?.rows.find((r) => r.net === s.net && r.batch === s.batch && r.impl === 'in-thread');
      const tr = document.createElement('tr');
      for (const t of [s.net, String(s.batch), s.msPerStep.toFixed(2), s.samplesPerSecond.toFixed(0), node ? node.samplesPerSecond.toFixed(0) : '–']) {
        const td = document.createElement('td'); td.textContent = t; tr.append(td);
      }
      sbody.append(tr);
    }
    state.bench = { gemm, steps };
    note.textContent = 'GFLOP/s: median of timed sgemm calls, inputs resident in Wasm memory (as bench/gemm.bench.mjs). ' +
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
  k = await loadKernels();
  const isolated = self.crossOriginIsolated === true;
  state.mode = isolated && typeof SharedArrayBuffer !== 'undefined' ? 'shared' : 'transfer';
  const env = $('env');
  env.classList.add(state.mode);
  env.textContent = `Kernels: ${k.info.build}${k.info.relaxedSupported ? '' : ' (no relaxed SIMD here)'} · ${navigator.hardwareConcurrency ?? 1} cores · ` +
    (state.mode === 'shared'
      ? 'cross-origin isolated: workers share one WebAssembly.Memory (SharedArrayBuffer + Atomics barriers)'
      : 'not cross-origin isolated: workers use the transferable-buffer fallback (gradients are posted to this tab and reduced here)');
  buttons.start.onclick = () => { start().catch(fail); };
  buttons.stop.onclick = () => current?.stop();
  buttons.resume.onclick = () => { current?.resume(); };
  buttons.download.onclick = download;
  buttons.bench.onclick = () => { bench().catch(fail); };
  buttons.bench.disabled = false;
  $<HTMLInputElement>('load').onchange = (ev) => {
    const f = (ev.target as HTMLInputElement).files?.[0];
    if (f) load(f).catch(fail);
  };
  // The paper's LB is 10% of the training set: follow the training-set size unless edited.
  const form = $<HTMLFormElement>('form');
  const lb = form.elements.namedItem('lbBatch') as HTMLInputElement;
  let lbEdited = false;
  lb.oninput = () => { lbEdited = true; };
  (form.elements.namedItem('trainSamples') as HTMLInputElement).oninput = (ev) => {
    if (!lbEdited) lb.value = String(Math.max(1, Math.round(Number((ev.target as HTMLInputElement).value) / 10)));
  };
  // URL parameters preset the form (?net=tiny&trainSamples=512&…&autostart=1).
  const q = new URLSearchParams(location.search);
  for (const [name, value] of q) {
    const el = form.elements.namedItem(name) as HTMLInputElement | null;
    if (el) { el.value = value; if (name === 'lbBatch') lbEdited = true; }
  }
  setStatus('idle', 'ready');
  if (q.get('autostart') === '1') buttons.start.click();
}

init().catch(fail);
