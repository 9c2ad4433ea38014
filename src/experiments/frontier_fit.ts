// The empirical model of large-batch training (McCandlish, Kaplan, Amodei et al. 2018, "An
// Empirical Model of Large-Batch Training", eq. 2.11) fitted to measured steps-to-target:
//
//   S(B) = S_min (1 + B_noise / B),   E(B) = B·S(B) = E_min (1 + B / B_noise),   B_noise = E_min / S_min,
//
// i.e. (S/S_min − 1)(E/E_min − 1) = 1. S(B) = S_min + E_min / B is linear in (S_min, E_min),
// and the model is judged by the relative errors of its predicted steps,
// r_i = (S_min + E_min/B_i) / S_i − 1. Two fits of them, both with S_min, E_min ≥ 0:
// - 'minimax' (the default; Chebyshev): the smallest largest |r_i| — the fit that answers
//   "how close can this model come at EVERY batch size". A linear program in (S_min, E_min, t);
//   with two parameters its optimum is a vertex where three constraints are active, so all
//   vertices are enumerated (a few hundred 3×3 solves for ten batch sizes).
// - 'least-squares': the smallest Σ r_i² (weighted linear least squares), which trades a worse
//   worst case for a better typical one. Reports give both.
export class FrontierFitError extends Error {
  override name = 'FrontierFitError';
}

/** One measured point: at batch size `batch`, the target took `steps` optimizer steps. */
export interface StepsPoint { batch: number; steps: number }

export type FitMethod = 'minimax' | 'least-squares';

export interface FrontierFit {
  method: FitMethod;
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

export function fitFrontier(points: readonly StepsPoint[], method: FitMethod = 'minimax'): FrontierFit {
  points.forEach((p, i) => {
    if (!(Number.isFinite(p.batch) && p.batch > 0)) throw new FrontierFitError(`points[${i}].batch: must be a finite number > 0, got ${p.batch}`);
    if (!(Number.isFinite(p.steps) && p.steps > 0)) throw new FrontierFitError(`points[${i}].steps: must be a finite number > 0, got ${p.steps}`);
  });
  if (new Set(points.map((p) => p.batch)).size < 2) throw new FrontierFitError(`needs points at 2 or more batch sizes, got ${points.length === 0 ? 'none' : `only batch ${points[0].batch}`}`);
  if (method !== 'minimax' && method !== 'least-squares') throw new FrontierFitError(`method: must be 'minimax' or 'least-squares', got ${JSON.stringify(method)}`);
  // Residual of point i: sMin·a_i + eMin·b_i − 1 with a_i = 1/S_i, b_i = 1/(B_i·S_i).
  const rows = points.map((p) => [1 / p.steps, 1 / (p.batch * p.steps)] as const);
  const [sMin, eMin] = method === 'minimax' ? minimax(rows) : leastSquares(rows);
  const out = points.map((p) => {
    const predicted = sMin + eMin / p.batch;
    return { batch: p.batch, steps: p.steps, predicted, error: (predicted - p.steps) / p.steps };
  });
  return { method, sMin, eMin, bNoise: sMin > 0 ? eMin / sMin : Infinity, points: out, maxAbsError: Math.max(...out.map((p) => Math.abs(p.error))) };
}

type Row = readonly [number, number];

function leastSquares(rows: readonly Row[]): [number, number] {
  let aa = 0, ab = 0, bb = 0, a1 = 0, b1 = 0;
  for (const [a, b] of rows) { aa += a * a; ab += a * b; bb += b * b; a1 += a; b1 += b; }
  const loss = (s: number, e: number) => rows.reduce((acc, [a, b]) => acc + (a * s + b * e - 1) ** 2, 0);
  const det = aa * bb - ab * ab;
  const candidates: [number, number][] = [[a1 / aa, 0], [0, b1 / bb]];
  if (det > 0) {
    const s = (a1 * bb - b1 * ab) / det, e = (aa * b1 - ab * a1) / det;
    if (s >= 0 && e >= 0) candidates.unshift([s, e]);
  }
  return candidates.reduce((best, c) => (loss(c[0], c[1]) < loss(best[0], best[1]) ? c : best));
}

/**
 * min t subject to |a_i s + b_i e − 1| ≤ t, s ≥ 0, e ≥ 0. Every vertex of that polyhedron
 * has three active planes among a_i s + b_i e − σ t = 1 (σ = ±1), s = 0, e = 0; the optimum
 * is the feasible vertex of least t (feasibility is implied by taking t = the largest
 * residual at the vertex's (s, e), so each vertex is scored by its true largest residual).
 */
function minimax(unscaled: readonly Row[]): [number, number] {
  // In units where the largest a_i and b_i are 1 (they differ by ~B: conditioning).
  const ka = Math.max(...unscaled.map((r) => r[0])), kb = Math.max(...unscaled.map((r) => r[1]));
  const rows = unscaled.map(([a, b]) => [a / ka, b / kb] as const);
  // Planes as [cs, ce, ct, rhs]: cs·s + ce·e + ct·t = rhs.
  const planes: [number, number, number, number][] = [[1, 0, 0, 0], [0, 1, 0, 0]];
  for (const [a, b] of rows) planes.push([a, b, -1, 1], [a, b, 1, 1]);
  const worst = (s: number, e: number) => rows.reduce((m, [a, b]) => Math.max(m, Math.abs(a * s + b * e - 1)), 0);
  let best: [number, number] = leastSquares(rows), bestT = worst(best[0], best[1]);
  const n = planes.length;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      for (let k = j + 1; k < n; k++) {
        const v = solve3(planes[i], planes[j], planes[k]);
        if (!v) continue;
        const s = Math.max(0, v[0]), e = Math.max(0, v[1]);
        const t = worst(s, e);
        if (t < bestT) { best = [s, e]; bestT = t; }
      }
    }
  }
  return [best[0] / ka, best[1] / kb];
}

/** Cramer's rule for three planes; null when they do not meet in one point. */
function solve3(p: readonly number[], q: readonly number[], r: readonly number[]): [number, number, number] | null {
  const det3 = (a: readonly number[], b: readonly number[], c: readonly number[]) =>
    a[0] * (b[1] * c[2] - b[2] * c[1]) - a[1] * (b[0] * c[2] - b[2] * c[0]) + a[2] * (b[0] * c[1] - b[1] * c[0]);
  const d = det3(p, q, r);
  const scale = Math.max(...[p, q, r].flatMap((x) => x.slice(0, 3).map(Math.abs)));
  if (!(Math.abs(d) > 1e-12 * scale ** 3)) return null;
  const col = (m: readonly number[], i: number) => m.map((x, c) => (c === i ? m[3] : x));
  return [det3(col(p, 0), col(q, 0), col(r, 0)) / d, det3(col(p, 1), col(q, 1), col(r, 1)) / d, det3(col(p, 2), col(q, 2), col(r, 2)) / d];
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
