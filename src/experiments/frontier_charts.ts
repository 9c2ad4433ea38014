// The frontier's figures as Vega-Lite specs, from a results file alone: time to the target
// against batch size (measured, predicted, with the steps timed alone when results.json has
// them, the fastest marked), the steps–samples Pareto front
// with the fitted model, the generalization price on the same batch axis, and B_simple during
// training.
import type { Figure } from './charts.js';
import { summarizeFrontier, type FrontierRunRecord, type FrontierSummary } from './frontier_results.js';
import type { PlotSpec } from './plot.js';
import type { ResultsFile } from './results.js';

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
const batchAxis = { field: 'batch', type: 'quantitative', title: 'batch size B', scale: { type: 'log', base: 2 } };

function timeFigure(res: ResultsFile, s: FrontierSummary): Figure | null {
  const runs = res.runs.filter((r) => r.frontier?.crossing).map((r) => ({ batch: r.batch, seconds: r.frontier!.crossing!.seconds, what: `measured (seed ${r.seed})` }));
  const mean = s.rows.filter((r) => r.seconds).map((r) => ({ batch: r.batch, seconds: r.seconds!.mean, what: 'measured, mean over seeds' }));
  const curve = s.curve.filter((c) => c.seconds !== null).map((c) => ({ batch: c.batch, seconds: c.seconds!, what: 'predicted: S(B) × step time at B' }));
  if (mean.length === 0) return null;
  const W = s.alone?.rows[0]?.workers;
  const alone = (s.alone?.rows ?? []).filter((r) => r.seconds !== null).map((r) => ({ batch: r.batch, seconds: r.seconds!, what: `measured steps × step timed alone (faster of in-thread and ${W} workers)` }));
  const marks = [s.fastestMeasured, s.fastestPredicted].flatMap((r, i) => {
    const v = r ? (i === 0 ? r.seconds?.mean : r.predictedSeconds) : null;
    return r && v !== null && v !== undefined ? [{ batch: r.batch, seconds: v, label: `fastest ${i === 0 ? 'measured' : 'predicted'}: B=${r.batch}` }] : [];
  });
  const y = { field: 'seconds', type: 'quantitative', title: 'wall time to target (s, training steps)', scale: { type: 'log' } };
  const color = { field: 'what', type: 'nominal', title: '' };
  const spec = {
    $schema: SCHEMA, title: `Time to ${targetText(res)} against batch size`, width: 520, height: 320,
    layer: [
      { data: { values: curve }, mark: { type: 'line', strokeDash: [6, 3] }, encoding: { x: batchAxis, y, color } },
      { data: { values: runs }, mark: { type: 'point', opacity: 0.5 }, encoding: { x: batchAxis, y, color } },
      { data: { values: mean }, mark: { type: 'line', point: true }, encoding: { x: batchAxis, y, color } },
      { data: { values: marks }, mark: { type: 'point', shape: 'diamond', size: 220, filled: false, color: 'black' }, encoding: { x: batchAxis, y } },
      { data: { values: marks }, mark: { type: 'text', dy: -16, fontSize: 11 }, encoding: { x: batchAxis, y, text: { field: 'label' } } },
      // The steps timed alone (absent in older results): measured steps × the faster of in-thread and the pool.
      ...(alone.length ? [{ data: { values: alone }, mark: { type: 'line', point: { shape: 'square' }, strokeDash: [2, 2] }, encoding: { x: batchAxis, y, color } }] : []),
    ],
  } as unknown as PlotSpec;
  return { file: 'frontier-time.svg', title: 'Time to the target against batch size (measured, predicted, fastest marked)', spec };
}

function paretoFigure(res: ResultsFile, s: FrontierSummary): Figure | null {
  const pts = s.rows.filter((r) => r.steps && r.examples).map((r) => ({ examples: r.examples!.mean, steps: r.steps!.mean, label: `B=${r.batch}`, what: 'measured (mean over seeds)' }));
  if (pts.length === 0) return null;
  const fit = s.curve.map((c) => ({ examples: c.examples, steps: c.steps, what: s.fit ? `fit: S_min = ${s.fit.sMin.toPrecision(3)}, E_min = ${s.fit.eMin.toPrecision(3)}, B_noise = ${s.fit.bNoise.toPrecision(3)}` : '' }));
  const x = { field: 'examples', type: 'quantitative', title: 'training samples to target (E)', scale: { type: 'log' } };
  const y = { field: 'steps', type: 'quantitative', title: 'optimizer steps to target (S)', scale: { type: 'log' } };
  const color = { field: 'what', type: 'nominal', title: '', legend: { orient: 'bottom', labelLimit: 520 } };
  const spec = {
    $schema: SCHEMA, title: `Steps vs samples to ${targetText(res)}: (S/S_min − 1)(E/E_min − 1) = 1`, width: 520, height: 320,
    layer: [
      { data: { values: fit }, mark: { type: 'line', strokeDash: [6, 3] }, encoding: { x, y, color, order: { field: 'examples', type: 'quantitative' } } },
      { data: { values: pts }, mark: { type: 'point', filled: true, size: 60 }, encoding: { x, y, color } },
      { data: { values: pts }, mark: { type: 'text', dx: 8, dy: -8, align: 'left', fontSize: 11 }, encoding: { x, y, text: { field: 'label' } } },
    ],
  } as unknown as PlotSpec;
  return { file: 'frontier-pareto.svg', title: 'Steps–samples Pareto front with the fitted model', spec };
}

function priceFigure(res: ResultsFile, s: FrontierSummary): Figure | null {
  const data: { batch: number; y: number; name: string }[] = [];
  const add = (name: string, batch: number, v: number | null | undefined) => { if (v !== null && v !== undefined && Number.isFinite(v)) data.push({ batch, y: v, name }); };
  for (const r of s.rows) {
    add('1 · time to target (s)', r.batch, r.seconds?.mean);
    add('2 · test accuracy at target (%)', r.batch, r.testAcc ? 100 * r.testAcc.mean : null);
    add(`3 · sharpness φ (full space, ε = ${s.eps}) at target`, r.batch, r.phi?.mean);
    add('4 · top Hessian eigenvalue at target', r.batch, r.hessianTop?.mean);
  }
  if (data.length === 0) return null;
  const spec = {
    $schema: SCHEMA, title: `What each second saved costs: time, accuracy and sharpness at ${targetText(res)}`,
    data: { values: data },
    facet: { row: { field: 'name', type: 'nominal', title: null, header: { labelAngle: 0, labelAlign: 'left', labelAnchor: 'start', labelOrient: 'top' } } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520, height: 130, mark: { type: 'line', point: true },
      encoding: { x: batchAxis, y: { field: 'y', type: 'quantitative', title: null, scale: { zero: false } } },
    },
  } as unknown as PlotSpec;
  return { file: 'frontier-generalization.svg', title: 'Time to target, test accuracy, φ and top Hessian eigenvalue against batch size', spec };
}

function noiseFigure(res: ResultsFile, s: FrontierSummary): Figure | null {
  const data = res.runs.filter((r) => r.frontier).flatMap((r) => (r.frontier as FrontierRunRecord).noise
    .filter((p) => Number.isFinite(p.bSimple) && p.bSimple > 0)
    .map((p) => ({ examples: Math.max(p.examples, 1), bSimple: p.bSimple, name: `B=${r.batch}${res.spec.seeds.length > 1 ? ` seed ${r.seed}` : ''}` })));
  if (data.length === 0) return null;
  const x = { field: 'examples', type: 'quantitative', title: 'training samples seen (the initial weights at 1)', scale: { type: 'log' } };
  const y = { field: 'bSimple', type: 'quantitative', title: 'B_simple = tr Σ / |G|²', scale: { type: 'log' } };
  const layers: unknown[] = [{ data: { values: data }, mark: { type: 'line', point: true }, encoding: { x, y, color: { field: 'name', type: 'nominal', title: '' } } }];
  if (s.fit && Number.isFinite(s.fit.bNoise) && s.fit.bNoise > 0) {
    layers.push({ data: { values: [{ bSimple: s.fit.bNoise, label: `B_noise of the fit: ${s.fit.bNoise.toPrecision(3)}` }] }, layer: [
      { mark: { type: 'rule', strokeDash: [4, 4], color: 'black' }, encoding: { y } },
      { mark: { type: 'text', align: 'left', dx: 4, dy: -6, x: 0, fontSize: 11 }, encoding: { y, text: { field: 'label' } } },
    ] });
  }
  const spec = { $schema: SCHEMA, title: 'Gradient noise scale B_simple during training', width: 520, height: 300, layer: layers } as unknown as PlotSpec;
  return { file: 'frontier-noise-scale.svg', title: 'Gradient noise scale B_simple during training (and B_noise of the fit)', spec };
}

export function targetText(res: ResultsFile): string {
  const t = res.spec.frontier!.target;
  return t.metric === 'trainLoss' ? `training loss ≤ ${t.value}` : `test accuracy ≥ ${(100 * t.value).toFixed(2)} %`;
}

export function frontierFigures(res: ResultsFile): Figure[] {
  const s = summarizeFrontier(res);
  return [timeFigure(res, s), paretoFigure(res, s), priceFigure(res, s), noiseFigure(res, s)].filter((f): f is Figure => f !== null);
}
