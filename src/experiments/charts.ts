// The experiment figures as Vega-Lite specs, built from a results file alone: training
// curves, the parametric plot, sharpness and accuracy against batch size or warm-start k,
// sharpness against training loss during training, and the Hessian's eigenvalue density.
import { densityCurve } from '../landscape/hvp_density.js';
import { frontierFigures } from './frontier_charts.js';
import { densityChart, lineChart, type PlotSpec, type Series } from './plot.js';
import type { ResultsFile, RunRecord } from './results.js';
import { sharpnessKey } from './results.js';

export interface Figure { file: string; title: string; spec: PlotSpec }

const runName = (r: RunRecord) => `${r.setting} seed ${r.seed}`;

/** Test accuracy (%) and training loss per epoch of every run (phases concatenated). */
function trainingCurves(res: ResultsFile): Figure[] {
  const acc: Series[] = [], loss: Series[] = [];
  for (const r of res.runs) {
    let e = 0;
    for (const ph of r.phases) for (const m of ph.history) {
      e++;
      if (m.testAcc !== null) acc.push({ name: runName(r), x: e, y: 100 * m.testAcc });
      loss.push({ name: runName(r), x: e, y: m.trainLoss });
    }
  }
  return [
    { file: 'training-test-accuracy.svg', title: 'Test accuracy during training', spec: lineChart({ title: 'Test accuracy during training', data: acc, x: 'epoch', y: 'test accuracy (%)' }) },
    { file: 'training-loss.svg', title: 'Training loss during training', spec: lineChart({ title: 'Training loss (evaluation mode) during training', data: loss, x: 'epoch', y: 'training cross-entropy', logY: true }) },
  ];
}

function parametric(res: ResultsFile): Figure[] {
  const loss: Series[] = [], acc: Series[] = [];
  for (const ip of res.interpolations) {
    const tag = res.interpolations.length > 1 ? ` (seed ${ip.seed})` : '';
    ip.alphas.forEach((a, i) => {
      loss.push({ name: `train${tag}`, x: a, y: ip.trainLoss[i] }, { name: `test${tag}`, x: a, y: ip.testLoss[i] });
      acc.push({ name: `train${tag}`, x: a, y: 100 * ip.trainAcc[i] }, { name: `test${tag}`, x: a, y: 100 * ip.testAcc[i] });
    });
  }
  if (loss.length === 0) return [];
  return [
    { file: 'parametric-loss.svg', title: 'Parametric plot: cross-entropy', spec: lineChart({ title: 'Cross-entropy at α·x_LB + (1 − α)·x_SB', data: loss, x: 'α (0 = SB, 1 = LB)', y: 'cross-entropy', logY: true }) },
    { file: 'parametric-accuracy.svg', title: 'Parametric plot: accuracy', spec: lineChart({ title: 'Accuracy at α·x_LB + (1 − α)·x_SB', data: acc, x: 'α (0 = SB, 1 = LB)', y: 'accuracy (%)' }) },
  ];
}

/** Sharpness (first measured key) and test accuracy against the sweep variable. */
function versus(res: ResultsFile, variable: 'batch' | 'k'): Figure[] {
  const rows = res.final;
  const key = rows.flatMap((r) => Object.keys(r.sharpness))[0];
  const data: Series[] = [];
  for (const r of rows) {
    const x = variable === 'batch' ? r.batch : r.k ?? 0;
    if (key && r.sharpness[key]) data.push({ name: `sharpness φ (${key.replace('@', ', ε=')})`, x, y: r.sharpness[key]!.mean });
    if (r.testAcc) data.push({ name: 'test accuracy (%)', x, y: 100 * r.testAcc.mean });
  }
  if (data.length === 0) return [];
  const xTitle = variable === 'batch' ? 'batch size' : 'k (epochs of SB before switching to LB)';
  const spec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: variable === 'batch' ? 'Sharpness and test accuracy vs batch size' : 'Warm start: sharpness and test accuracy vs k',
    data: { values: data },
    facet: { row: { field: 'name', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 480, height: 200,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: xTitle, scale: variable === 'batch' ? { type: 'log', base: 2 } : { zero: false } },
        y: { field: 'y', type: 'quantitative', title: null, scale: { zero: false } },
      },
    },
  } as unknown as PlotSpec;
  return [{ file: variable === 'batch' ? 'sharpness-vs-batch.svg' : 'warmstart.svg', title: spec.title as string, spec }];
}

function trackFigure(res: ResultsFile): Figure[] {
  const data: Series[] = [];
  for (const r of res.runs) for (const ph of r.phases) for (const p of ph.track) data.push({ name: `${r.setting} seed ${r.seed}`, x: p.trainLoss, y: p.phi });
  if (data.length === 0) return [];
  const eps = res.spec.track.eps;
  return [{ file: 'sharpness-vs-loss.svg', title: 'Sharpness vs training loss during training', spec: lineChart({ title: `Sharpness φ (full space, ε=${eps}) vs training loss, one point per epoch`, data, x: 'training cross-entropy', y: 'φ', logX: false, logY: true }) }];
}

/** The runs whose minimizer has a Hessian eigenvalue density, in job order (SB before LB within a job, as recorded). */
export function densityRuns(res: ResultsFile): RunRecord[] {
  return res.runs.filter((r) => r.final.hessianDensity && r.final.hessianDensity.runs.length > 0);
}

/** The SLQ density of every run that has one, smoothed as PyHessian's density_generate, on the same (log) axes. */
function densityFigure(res: ResultsFile): Figure[] {
  const runs = densityRuns(res);
  if (runs.length === 0) return [];
  const curves = runs.map((r) => {
    const d = r.final.hessianDensity!;
    return { name: runName(r), ...densityCurve({ runs: d.runs, method: d.hvp, products: d.products }, { bins: 1000 }) };
  });
  const hvp = new Set(runs.map((r) => r.final.hessianDensity!.hvp));
  const title = `Hessian eigenvalue density (stochastic Lanczos quadrature, ${[...hvp].join(' / ')} HVP)`;
  return [{ file: 'hessian-spectral-density.svg', title: 'Hessian eigenvalue density', spec: densityChart({ title, curves }) }];
}

export function figures(res: ResultsFile): Figure[] {
  if (res.kind === 'frontier') return frontierFigures(res);
  const out = [...trainingCurves(res)];
  if (res.kind === 'reproduce') out.push(...parametric(res));
  if (res.kind === 'sweep') out.push(...versus(res, 'batch'));
  if (res.kind === 'warmstart') out.push(...versus(res, 'k'));
  out.push(...trackFigure(res));
  out.push(...densityFigure(res));
  return out;
}

export { sharpnessKey };
