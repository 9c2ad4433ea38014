// The frontier's results in the page: the per-batch table of `lbgap report`'s summary
// (summarizeFrontier, src/experiments/frontier_results.ts — steps, samples/s, time to the
// target, the model's steps and error, test accuracy, φ and λ_max at the target), the verdict
// line (the fastest batch, the fit) and the words under the time-to-target figure. Plain
// strings; main.ts puts them into the DOM.
import { summarizeFrontier, type FrontierRow, type FrontierSummary } from '../src/experiments/frontier_results.js';
import { targetText } from '../src/experiments/frontier_charts.js';
import type { ResultsFile, Stat } from '../src/experiments/results.js';
import { fmtInt, fmtPhi } from './format.js';

/** "12.3", "12.3 ± 0.4" (several seeds), "–". */
function ms(st: Stat | null | undefined, fmt: (v: number) => string): string {
  if (!st) return '–';
  return st.n > 1 ? `${fmt(st.mean)} ± ${fmt(st.std)}` : fmt(st.mean);
}

const seconds = (v: number) => (v < 10 ? v.toFixed(2) : v.toFixed(1));
const pct = (v: number) => (100 * v).toFixed(2);
const signedPct = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)} %`;

/** The table's columns (the header row), in order. */
export const FRONTIER_COLUMNS = ['batch', 'reached', 'steps to target', 'samples/s', 'time to target (s)', 'model steps (error)', 'test acc (%)', 'φ full', 'λ_max'] as const;

/** One row of cells per batch size (mean ± std over the seeds that reached the target; accuracy and sharpness over every run that did not diverge). */
export function frontierTable(r: ResultsFile, s: FrontierSummary = summarizeFrontier(r)): { batch: number; cells: string[]; fastest: boolean }[] {
  return s.rows.map((row: FrontierRow) => ({
    batch: row.batch,
    fastest: s.fastestMeasured?.batch === row.batch,
    cells: [
      fmtInt(row.batch), `${row.reached} of ${row.runs}`, ms(row.steps, (v) => fmtInt(v)), ms(row.samplesPerSecond, (v) => fmtInt(v)),
      ms(row.seconds, seconds), row.predictedSteps === null ? '–' : `${fmtInt(row.predictedSteps)} (${row.error === null ? '–' : signedPct(row.error)})`,
      ms(row.testAcc, pct), ms(row.phi, fmtPhi), ms(row.hessianTop, (v) => v.toPrecision(3)),
    ],
  }));
}

/** The verdict: the fastest batch to the target and the model, in one sentence or two. */
export function frontierVerdict(r: ResultsFile, s: FrontierSummary = summarizeFrontier(r)): string {
  const target = targetText(r);
  const f = s.fastestMeasured;
  if (!f) return `No batch size reached ${target} within ${r.spec.epochs} epoch${r.spec.epochs === 1 ? '' : 's'}${r.runs.length ? '' : ' (no run has finished yet)'}.`;
  const fit = s.fit
    ? ` The model S(B) = S_min(1 + B_noise/B) fitted to the measured steps: S_min = ${s.fit.sMin.toPrecision(3)}, E_min = ${s.fit.eMin.toPrecision(3)}, B_noise = ${s.fit.bNoise.toPrecision(3)}` +
      `${s.fastestPredicted ? `; it predicts B = ${s.fastestPredicted.batch} fastest` : ''}.`
    : ` No model fit: ${s.noFit}.`;
  return `Fastest to ${target}: B = ${f.batch}, ${seconds(f.seconds!.mean)} s of training steps${f.testAcc ? `, test accuracy ${pct(f.testAcc.mean)} %` : ''}${f.phi ? `, φ ${fmtPhi(f.phi.mean)}` : ''}.${fit}`;
}

/** The numbers behind the time-to-target figure, in words. */
export function frontierTimeText(r: ResultsFile, s: FrontierSummary = summarizeFrontier(r)): string {
  const parts = s.rows.map((row) => `B = ${row.batch}: ${row.seconds ? `${seconds(row.seconds.mean)} s measured` : 'target not reached'}` +
    (row.predictedSeconds !== null ? `, ${seconds(row.predictedSeconds)} s predicted` : ''));
  return `Wall time of the training steps to ${targetText(r)} against batch size (log scales). ${parts.join('; ')}.` +
    (s.fastestMeasured ? ` Fastest measured: B = ${s.fastestMeasured.batch}.` : '') + (s.fastestPredicted ? ` Fastest predicted: B = ${s.fastestPredicted.batch}.` : '');
}
