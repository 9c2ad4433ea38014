// The numbers behind each plot in words, for screen readers (and anyone who wants the
// figures): where every curve starts and ends, and on the parametric plot the values at the
// two minimizers and the highest point between and beyond them.
import type { ResultsFile } from '../src/experiments/results.js';
import { fmtLoss, fmtPct } from './format.js';
import { runName } from './plots.js';
import type { PageRun } from './results.js';

const alphaText = (a: number) => `α = ${Number(a.toFixed(3))}`;

/** One sentence per run: train and test loss and accuracy at the first and last epoch. */
export function curvesText(r: ResultsFile, what: 'loss' | 'acc'): string {
  const out: string[] = [];
  for (const run of r.runs) {
    const h = run.phases.flatMap((p) => p.history);
    const who = `${runName(run)}, seed ${run.seed}`;
    const flagged = run as PageRun;
    const status = flagged.status === 'diverged' || flagged.status === 'not-improved' ? ` (${flagged.status === 'diverged' ? 'diverged' : 'did not learn'}: ${flagged.note ?? ''})` : '';
    if (h.length === 0) { out.push(`${who}: no finished epoch yet${status}.`); continue; }
    const a = h[0], b = h[h.length - 1];
    const f = what === 'loss' ? fmtLoss : fmtPct;
    const key = what === 'loss' ? (['trainLoss', 'testLoss'] as const) : (['trainAcc', 'testAcc'] as const);
    const span = h.length === 1 ? `after epoch ${a.epoch}` : `from epoch ${a.epoch} to ${b.epoch}`;
    const val = (m: typeof a, k: (typeof key)[number]) => f(m[k] as number | null);
    out.push(`${who}: train ${what === 'loss' ? 'cross-entropy' : 'accuracy'} ${h.length === 1 ? val(a, key[0]) : `${val(a, key[0])} → ${val(b, key[0])}`}, test ${h.length === 1 ? val(a, key[1]) : `${val(a, key[1])} → ${val(b, key[1])}`} ${span}${status}.`);
  }
  return out.join(' ') || 'No training curves yet.';
}

/** Per seed: values at α = 0 (SB) and α = 1 (LB) and the extreme over the plotted range. */
export function parametricText(r: ResultsFile, what: 'loss' | 'acc'): string {
  if (r.interpolations.length === 0) return 'No parametric plot yet.';
  const f = what === 'loss' ? fmtLoss : fmtPct;
  return r.interpolations.map((ip) => {
    const at = (arr: number[], a: number) => { const i = ip.alphas.findIndex((x) => Math.abs(x - a) < 1e-9); return i < 0 ? '–' : f(arr[i]); };
    const ext = (arr: number[]) => {
      let j = 0;
      for (let i = 1; i < arr.length; i++) if (what === 'loss' ? arr[i] > arr[j] : arr[i] < arr[j]) j = i;
      return `${what === 'loss' ? 'highest' : 'lowest'} ${f(arr[j])} at ${alphaText(ip.alphas[j])}`;
    };
    const [tr, te] = what === 'loss' ? [ip.trainLoss, ip.testLoss] : [ip.trainAcc, ip.testAcc];
    return `Seed ${ip.seed}, ${ip.alphas.length} points from ${alphaText(ip.alphas[0])} to ${alphaText(ip.alphas[ip.alphas.length - 1])}: ` +
      `train ${at(tr, 0)} at α = 0 (SB), ${at(tr, 1)} at α = 1 (LB), ${ext(tr)}; test ${at(te, 0)} at SB, ${at(te, 1)} at LB, ${ext(te)}.`;
  }).join(' ');
}
