// Live plots: the Vega-Lite specs of src/experiments/plot.ts (the ones the CLI renders to SVG
// files), compiled with vega-lite and drawn into a div by a vega View with the SVG renderer.
import * as vega from 'vega';
import { compile } from 'vega-lite';
import { lineChart, type PlotSpec, type Series } from '../src/experiments/plot.js';
import type { ParametricCurve, RunResult } from './results.js';

const views = new WeakMap<HTMLElement, vega.View>();

/** Replaces the plot in `el` with `spec` (finalizing the previous view). */
export async function renderInto(el: HTMLElement, spec: PlotSpec): Promise<void> {
  views.get(el)?.finalize();
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'svg', container: el, hover: true });
  views.set(el, view);
  await view.runAsync();
}

const runName = (r: RunResult, seeds: number) => `${r.label} (B=${r.batchSize})${seeds > 1 ? ` seed ${r.seed}` : ''}`;

/** Loss and accuracy per epoch, train and test, one line per run and split. */
export function curveSpecs(runs: RunResult[]): { loss: PlotSpec; acc: PlotSpec } {
  const seeds = new Set(runs.map((r) => r.seed)).size;
  const loss: Series[] = [], acc: Series[] = [];
  for (const r of runs) {
    const n = runName(r, seeds);
    for (const m of r.history) {
      loss.push({ name: `${n} train`, x: m.epoch, y: m.trainLoss });
      acc.push({ name: `${n} train`, x: m.epoch, y: 100 * m.trainAcc });
      if (m.testLoss !== null) loss.push({ name: `${n} test`, x: m.epoch, y: m.testLoss });
      if (m.testAcc !== null) acc.push({ name: `${n} test`, x: m.epoch, y: 100 * m.testAcc });
    }
  }
  return {
    loss: lineChart({ title: 'Cross-entropy per epoch', data: loss, x: 'epoch', y: 'loss', width: 420, height: 240 }),
    acc: lineChart({ title: 'Accuracy per epoch', data: acc, x: 'epoch', y: 'accuracy (%)', width: 420, height: 240 }),
  };
}

/** The paper's parametric plot: f(α·x_LB + (1 − α)·x_SB), α = 0 is SB, α = 1 is LB. */
export function parametricSpecs(curves: ParametricCurve[]): { loss: PlotSpec; acc: PlotSpec } {
  const multi = curves.length > 1;
  const loss: Series[] = [], acc: Series[] = [];
  for (const c of curves) {
    const s = multi ? ` seed ${c.seed}` : '';
    for (const p of c.points) {
      loss.push({ name: `train${s}`, x: p.alpha, y: p.trainLoss }, { name: `test${s}`, x: p.alpha, y: p.testLoss });
      acc.push({ name: `train${s}`, x: p.alpha, y: 100 * p.trainAcc }, { name: `test${s}`, x: p.alpha, y: 100 * p.testAcc });
    }
  }
  return {
    loss: lineChart({ title: 'Parametric plot: loss (α=0 SB, α=1 LB)', data: loss, x: 'α', y: 'cross-entropy', logY: true, width: 420, height: 240 }),
    acc: lineChart({ title: 'Parametric plot: accuracy', data: acc, x: 'α', y: 'accuracy (%)', width: 420, height: 240 }),
  };
}
