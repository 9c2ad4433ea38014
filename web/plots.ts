// The page's plots as Vega-Lite specs, drawn into a div by a vega View (SVG renderer), sized
// to their container (a 390 px phone included; legends below the plot). One colour per run
// (SB, LB), one line style per split (train solid, test dashed, the live per-step loss thin
// and smoothed), integer epoch ticks, and on the parametric plot the two minimizers marked
// at α = 0 (SB) and α = 1 (LB). The numbers are the same as `lbgap report`'s figures
// (src/experiments/charts.ts); the styling is the page's. The frontier's time-to-target figure
// is `lbgap report`'s own spec (src/experiments/frontier_charts.ts), fitted to the column.
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { frontierFigures } from '../src/experiments/frontier_charts.js';
import type { PlotSpec } from '../src/experiments/plot.js';
import type { ResultsFile, RunRecord } from '../src/experiments/results.js';

const views = new WeakMap<HTMLElement, vega.View>();

/** Replaces the plot in `el` with `spec` (finalizing the previous view). */
export async function renderInto(el: HTMLElement, spec: PlotSpec): Promise<void> {
  views.get(el)?.finalize();
  el.replaceChildren();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'svg', container: el, hover: true });
  views.set(el, view);
  await view.runAsync();
}

/** Empties a plot container (a new run, or a loaded file, replaces what was drawn). */
export function clearPlot(el: HTMLElement): void {
  views.get(el)?.finalize();
  views.delete(el);
  el.replaceChildren();
}

export const RUN_COLOURS = { SB: '#1f6fb4', LB: '#d9630b' } as const;
const SPLITS = ['train', 'test', 'train, per step (smoothed)'];
const DASHES = [[1, 0], [6, 4], [2, 2]];

/** A run's legend name: "SB (B = 64)"; a frontier run (setting "B=64") is "B = 64". */
export const runName = (r: Pick<RunRecord, 'setting' | 'batch'>) => (r.setting === `B=${r.batch}` ? `B = ${r.batch}` : `${r.setting} (B = ${r.batch})`);

/** The per-step losses of the live run, per run and seed (not part of the results file). */
export type StepLosses = Map<string, { setting: string; batch: number; seed: number; x: number[]; y: number[] }>;
export const stepKey = (setting: string, seed: number) => `${setting}/${seed}`;

/** Debiased exponential moving average (TensorBoard's smoothing), every `every`-th point kept. */
export function smooth(x: number[], y: number[], beta = 0.9, maxPoints = 300): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  const every = Math.max(1, Math.ceil(x.length / maxPoints));
  let m = 0, w = 0;
  for (let i = 0; i < x.length; i++) {
    if (!Number.isFinite(y[i])) continue;
    m = beta * m + (1 - beta) * y[i];
    w = beta * w + (1 - beta);
    if (i % every === every - 1 || i === x.length - 1) out.push({ x: x[i], y: m / w });
  }
  return out;
}

export interface Frame { width: number; title: string; subtitle?: string }

interface Point { run: string; split: string; seed: number; x: number; y: number }

const SEED_COLOURS = ['#3b444c', '#7b52ae', '#2a9d8f', '#a0522d', '#6c8ebf'];

/** `dots`: the per-epoch points, drawn without the line style (so the legend's train/test symbols are lines). */
interface Layer { filter?: string; mark: object; dots?: boolean }

/** A layered line chart sized to `f.width`, legends below; `extra` layers bring their own data and encoding. */
function frame(f: Frame, data: Point[], colours: { domain: string[]; range: string[] }, splits: string[], x: object, y: object, lines: Layer[], extra: object[] = []): PlotSpec {
  const narrow = f.width < 480;
  const encoding = {
    x, y,
    color: { field: 'run', type: 'nominal', title: null, scale: colours },
    strokeDash: { field: 'split', type: 'nominal', title: null, scale: { domain: splits, range: splits.map((s) => DASHES[SPLITS.indexOf(s)] ?? [1, 0]) }, legend: { symbolType: 'stroke', symbolStrokeWidth: 2, symbolSize: 260, symbolStrokeColor: '#3b444c' } },
    detail: { field: 'seed', type: 'nominal' },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: f.title, subtitle: f.subtitle, anchor: 'start', fontSize: 13, subtitleFontSize: 11 },
    width: f.width, height: narrow ? 170 : 210,
    autosize: { type: 'fit-x', contains: 'padding' },
    data: { values: data },
    layer: [...lines.map((l) => {
      const { strokeDash: _dash, ...noDash } = encoding;
      return { ...(l.filter ? { transform: [{ filter: l.filter }] } : {}), mark: l.mark, encoding: l.dots ? noDash : encoding };
    }), ...extra],
    config: {
      legend: { orient: 'bottom', direction: narrow ? 'vertical' : 'horizontal', columns: narrow ? 1 : 4, labelFontSize: 11, labelLimit: narrow ? 160 : 220 },
      axis: { labelFontSize: 11, titleFontSize: 11 },
    },
  } as unknown as PlotSpec;
}

/** Batch sizes of a frontier, small to large. */
const BATCH_COLOURS = ['#1f6fb4', '#2a9d8f', '#7b52ae', '#c2417a', '#d9630b', '#a0522d', '#3b444c', '#6c8ebf', '#8a9a1b'];
const runColours = (runs: string[]) => {
  if (runs.every((r) => r.startsWith('SB') || r.startsWith('LB'))) return { domain: runs, range: runs.map((r) => (r.startsWith('LB') ? RUN_COLOURS.LB : RUN_COLOURS.SB)) };
  const sorted = runs.slice().sort((a, b) => Number(a.replace(/\D+/g, '')) - Number(b.replace(/\D+/g, '')));
  return { domain: sorted, range: sorted.map((_r, i) => BATCH_COLOURS[i % BATCH_COLOURS.length]) };
};
const yAxis = (title: string, log: boolean) => ({ field: 'y', type: 'quantitative', title, scale: log ? { type: 'log' } : { zero: false }, axis: { tickCount: 5, format: log ? '~g' : 'd' } });

/** Loss (log scale) and accuracy per epoch, train and test, plus the smoothed per-step loss of a live run. */
export function curveSpecs(r: ResultsFile, steps: StepLosses | null, f: Omit<Frame, 'title'>): { loss: PlotSpec; acc: PlotSpec } {
  const loss: Point[] = [], acc: Point[] = [];
  const runs: string[] = [];
  let epochs = r.spec.epochs;
  for (const run of r.runs) {
    const name = runName(run);
    if (!runs.includes(name)) runs.push(name);
    let e = 0;
    for (const ph of run.phases) for (const m of ph.history) {
      e++;
      loss.push({ run: name, split: 'train', seed: run.seed, x: e, y: m.trainLoss });
      acc.push({ run: name, split: 'train', seed: run.seed, x: e, y: 100 * m.trainAcc });
      if (m.testLoss !== null) loss.push({ run: name, split: 'test', seed: run.seed, x: e, y: m.testLoss });
      if (m.testAcc !== null) acc.push({ run: name, split: 'test', seed: run.seed, x: e, y: 100 * m.testAcc });
    }
    epochs = Math.max(epochs, e);
  }
  for (const s of steps?.values() ?? []) {
    for (const p of smooth(s.x, s.y)) loss.push({ run: runName({ setting: s.setting, batch: s.batch }), split: SPLITS[2], seed: s.seed, x: p.x, y: p.y });
  }
  const splits = SPLITS.filter((s) => loss.some((p) => p.split === s));
  const x = { field: 'x', type: 'quantitative', title: 'epoch', scale: { domain: [0, Math.max(1, epochs)], nice: false }, axis: { tickMinStep: 1, format: 'd' } };
  const perStep: Layer = { filter: `datum.split === '${SPLITS[2]}'`, mark: { type: 'line', strokeWidth: 1, opacity: 0.55, clip: true } };
  const epochLine: Layer = { filter: `datum.split !== '${SPLITS[2]}'`, mark: { type: 'line', strokeWidth: 2, clip: true } };
  const epochDots: Layer = { filter: `datum.split !== '${SPLITS[2]}'`, mark: { type: 'point', filled: true, size: 28, clip: true }, dots: true };
  return {
    loss: frame({ ...f, title: 'Cross-entropy per epoch' }, loss, runColours(runs), splits, x, yAxis('cross-entropy (log scale)', true), [perStep, epochLine, epochDots]),
    acc: frame({ ...f, title: 'Accuracy per epoch' }, acc, runColours(runs), SPLITS.filter((s) => acc.some((p) => p.split === s)), x, yAxis('accuracy (%)', false), [epochLine, epochDots]),
  };
}

/** The paper's parametric plot (loss, accuracy) with α = 0 (SB) and α = 1 (LB) marked; null before it exists. */
export function parametricSpecs(r: ResultsFile, f: Omit<Frame, 'title'>): { loss: PlotSpec; acc: PlotSpec } | null {
  if (r.interpolations.length === 0) return null;
  const loss: Point[] = [], acc: Point[] = [];
  const many = r.interpolations.length > 1;
  const runs: string[] = [];
  for (const ip of r.interpolations) {
    const name = many ? `seed ${ip.seed}` : 'SB → LB';
    runs.push(name);
    ip.alphas.forEach((a, i) => {
      loss.push({ run: name, split: 'train', seed: ip.seed, x: a, y: ip.trainLoss[i] }, { run: name, split: 'test', seed: ip.seed, x: a, y: ip.testLoss[i] });
      acc.push({ run: name, split: 'train', seed: ip.seed, x: a, y: 100 * ip.trainAcc[i] }, { run: name, split: 'test', seed: ip.seed, x: a, y: 100 * ip.testAcc[i] });
    });
  }
  const x = { field: 'x', type: 'quantitative', title: 'α (weights α·x_LB + (1 − α)·x_SB)', scale: { nice: false }, axis: { values: [-1, -0.5, 0, 0.5, 1, 1.5, 2], format: '~g' } };
  const minimizers = {
    data: { values: [{ x: 0, label: 'SB (α = 0)' }, { x: 1, label: 'LB (α = 1)' }] },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.5, color: '#5b6670', opacity: 0.8 }, encoding: { x: { field: 'x', type: 'quantitative' } } },
      { mark: { type: 'text', align: 'left', dx: 3, dy: 2, baseline: 'top', fontSize: 11, fontWeight: 600, color: '#3b444c' }, encoding: { x: { field: 'x', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } } },
    ],
  };
  const colours = { domain: runs, range: runs.map((_, i) => SEED_COLOURS[i % SEED_COLOURS.length]) };
  const line: Layer = { mark: { type: 'line', strokeWidth: 2 } };
  const dots: Layer = { mark: { type: 'point', filled: true, size: 18 }, dots: true };
  return {
    loss: frame({ ...f, title: 'Parametric plot: cross-entropy between the minimizers' }, loss, colours, ['train', 'test'], x, yAxis('cross-entropy (log scale)', true), [line, dots], [minimizers]),
    acc: frame({ ...f, title: 'Parametric plot: accuracy between the minimizers' }, acc, colours, ['train', 'test'], x, yAxis('accuracy (%)', false), [line, dots], [minimizers]),
  };
}

/**
 * The frontier's time to the target against batch size: the spec `lbgap report` renders as
 * frontier-time.svg (measured per seed and mean, the model's prediction, the fastest marked),
 * sized to the column with the legend below; null before any batch size reached the target.
 */
export function frontierTimeSpec(r: ResultsFile, width: number): PlotSpec | null {
  const fig = frontierFigures(r).find((f) => f.file === 'frontier-time.svg');
  if (!fig) return null;
  const narrow = width < 480;
  return {
    ...fig.spec, width, height: narrow ? 220 : 300,
    autosize: { type: 'fit-x', contains: 'padding' },
    config: { legend: { orient: 'bottom', direction: 'vertical', labelLimit: narrow ? 300 : 600, labelFontSize: 11 }, axis: { labelFontSize: 11, titleFontSize: 11 }, title: { anchor: 'start', fontSize: 13 } },
  } as unknown as PlotSpec;
}
