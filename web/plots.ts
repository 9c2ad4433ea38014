// Live plots: Vega-Lite specs built with src/experiments' lineChart, and for the parametric
// plot the very figures `lbgap report` renders to SVG files (src/experiments/charts.ts),
// compiled with vega-lite and drawn into a div by a vega View with the SVG renderer.
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { figures } from '../src/experiments/charts.js';
import { lineChart, type PlotSpec, type Series } from '../src/experiments/plot.js';
import type { ResultsFile, RunRecord } from '../src/experiments/results.js';

const views = new WeakMap<HTMLElement, vega.View>();

/** Replaces the plot in `el` with `spec` (finalizing the previous view). */
export async function renderInto(el: HTMLElement, spec: PlotSpec): Promise<void> {
  views.get(el)?.finalize();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'svg', container: el, hover: true });
  views.set(el, view);
  await view.runAsync();
}

/** Loss and accuracy per epoch, train and test, one line per run and split (phases concatenated). */
export function curveSpecs(runs: RunRecord[]): { loss: PlotSpec; acc: PlotSpec } {
  const seeds = new Set(runs.map((r) => r.seed)).size;
  const loss: Series[] = [], acc: Series[] = [];
  for (const r of runs) {
    const n = `${r.setting} (B=${r.batch})${seeds > 1 ? ` seed ${r.seed}` : ''}`;
    let e = 0;
    for (const ph of r.phases) for (const m of ph.history) {
      e++;
      loss.push({ name: `${n} train`, x: e, y: m.trainLoss });
      acc.push({ name: `${n} train`, x: e, y: 100 * m.trainAcc });
      if (m.testLoss !== null) loss.push({ name: `${n} test`, x: e, y: m.testLoss });
      if (m.testAcc !== null) acc.push({ name: `${n} test`, x: e, y: 100 * m.testAcc });
    }
  }
  return {
    loss: lineChart({ title: 'Cross-entropy per epoch', data: loss, x: 'epoch', y: 'loss', width: 380, height: 220 }),
    acc: lineChart({ title: 'Accuracy per epoch', data: acc, x: 'epoch', y: 'accuracy (%)', width: 380, height: 220 }),
  };
}

/** The parametric plot (loss, accuracy) as `lbgap report` draws it, sized for the page; null before it exists. */
export function parametricSpecs(r: ResultsFile): { loss: PlotSpec; acc: PlotSpec } | null {
  const f = figures(r);
  const loss = f.find((x) => x.file === 'parametric-loss.svg'), acc = f.find((x) => x.file === 'parametric-accuracy.svg');
  if (!loss || !acc) return null;
  const fit = (s: PlotSpec) => ({ ...s, width: 380, height: 220 }) as PlotSpec;
  return { loss: fit(loss.spec), acc: fit(acc.spec) };
}
