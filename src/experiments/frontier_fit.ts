// The empirical model of large-batch training (McCandlish, Kaplan, Amodei et al. 2018, "An
// Empirical Model of Large-Batch Training", eq. 2.11) fitted to measured steps-to-target:
//
//   S(B) = S_min (1 + B_noise / B),   E(B) = B·S(B) = E_min (1 + B / B_noise),   B_noise = E_min / S_min,
//
// i.e. (S/S_min − 1)(E/E_min − 1) = 1. S(B) = S_min + E_min / B is linear in (S_min, E_min),
// so the fit is a weighted linear least squares: minimize Σ_i ((S_min + E_min/B_i) / S_i − 1)²,
// the relative errors of the predicted steps — the quantity the model is judged by. Both
// parameters are kept ≥ 0 (a boundary solution when the unconstrained one leaves that set).
export class FrontierFitError extends Error {
  override name = 'FrontierFitError';
}

/** One measured point: at batch size `batch`, the target took `steps` optimizer steps. */
export interface StepsPoint { batch: number; steps: number }

export interface FrontierFit {
  /** Fewest steps (B → ∞) and fewest training samples (B → 0) to the target. */
  sMin: number;
  eMin: number;
  /** E_min / S_min: the batch at which the model spends twice S_min steps and twice E_min samples (∞ when S_min = 0). */
  bNoise: number;
  /** Per point: the model's steps and the relative error (predicted − measured) / measured. */
  points: { batch: number; steps: number; predicted: number; error: number }[];
  /** Largest |error|. */
  maxAbsError: number;
}

/** The model's steps at batch B. */
export function predictedSteps(fit: Pick<FrontierFit, 'sMin' | 'eMin'>, batch: number): number {
  return fit.sMin + fit.eMin / batch;
}

/** The model's training samples at batch B. */
export function predictedExamples(fit: Pick<FrontierFit, 'sMin' | 'eMin'>, batch: number): number {
  return batch * predictedSteps(fit, batch);
}

export function fitFrontier(points: readonly StepsPoint[]): FrontierFit {
  points.forEach((p, i) => {
    if (!(Number.isFinite(p.batch) && p.batch > 0)) throw new FrontierFitError(`points[${i}].batch: must be a finite number > 0, got ${p.batch}`);
    if (!(Number.isFinite(p.steps) && p.steps > 0)) throw new FrontierFitError(`points[${i}].steps: must be a finite number > 0, got ${p.steps}`);
  });
  if (new Set(points.map((p) => p.batch)).size < 2) throw new FrontierFitError(`needs points at 2 or more batch sizes, got ${points.length === 0 ? 'none' : `only batch ${points[0].batch}`}`);
  // Residual of point i: sMin·a_i + eMin·b_i − 1 with a_i = 1/S_i, b_i = 1/(B_i·S_i).
  let aa = 0, ab = 0, bb = 0, a1 = 0, b1 = 0;
  for (const p of points) {
    const a = 1 / p.steps, b = 1 / (p.batch * p.steps);
    aa += a * a; ab += a * b; bb += b * b; a1 += a; b1 += b;
  }
  const loss = (s: number, e: number) => points.reduce((acc, p) => acc + ((s + e / p.batch) / p.steps - 1) ** 2, 0);
  const det = aa * bb - ab * ab;
  const candidates: [number, number][] = [[a1 / aa, 0], [0, b1 / bb]];
  if (det > 0) {
    const s = (a1 * bb - b1 * ab) / det, e = (aa * b1 - ab * a1) / det;
    if (s >= 0 && e >= 0) candidates.unshift([s, e]);
  }
  const [sMin, eMin] = candidates.reduce((best, c) => (loss(c[0], c[1]) < loss(best[0], best[1]) ? c : best));
  const out = points.map((p) => {
    const predicted = sMin + eMin / p.batch;
    return { batch: p.batch, steps: p.steps, predicted, error: (predicted - p.steps) / p.steps };
  });
  return { sMin, eMin, bNoise: sMin > 0 ? eMin / sMin : Infinity, points: out, maxAbsError: Math.max(...out.map((p) => Math.abs(p.error))) };
}

/**
 * Step time at any batch in [min, max] of the measured ones: piecewise linear in log–log
 * between neighbouring measurements (step cost is close to a power of B between them).
 */
export function interpolateStepSeconds(measured: readonly { batch: number; seconds: number }[], batch: number): number | null {
  const m = [...measured].filter((x) => x.seconds > 0).sort((a, b) => a.batch - b.batch);
  if (m.length === 0 || batch < m[0].batch || batch > m[m.length - 1].batch) return null;
  for (let i = 0; i < m.length; i++) {
    if (m[i].batch === batch) return m[i].seconds;
    if (m[i].batch > batch) {
      const lo = m[i - 1], hi = m[i];
      const t = Math.log(batch / lo.batch) / Math.log(hi.batch / lo.batch);
      return Math.exp(Math.log(lo.seconds) + t * Math.log(hi.seconds / lo.seconds));
    }
  }
  return null;
}
