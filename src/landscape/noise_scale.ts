// The gradient noise scale and the critical batch size (McCandlish, Kaplan, Amodei et al.
// 2018, "An Empirical Model of Large-Batch Training", appendix A.1).
//
// A batch gradient G_B of B iid samples has E|G_B|² = |G|² + tr(Σ)/B (Σ: per-sample
// gradient covariance). From squared norms at two batch sizes B_small < B_big:
//   |G|² ≈ (B_big·|G_big|² − B_small·|G_small|²) / (B_big − B_small)      (unbiased)
//   S    ≈ (|G_small|² − |G_big|²) / (1/B_small − 1/B_big)                (unbiased for tr Σ)
//   B_simple = S / |G|²
// Single pairs are very noisy, so estimates average |G|² and S over many pairs and then
// take the ratio (ratio of means, as McCandlish et al. do with moving averages).
// Critical batch size: B_crit ≈ B_noise = tr(HΣ)/(GᵀHG), which equals B_simple when the
// Hessian is a multiple of the identity; B_simple is the estimate reported here. Training
// at batch B then takes ≈ (1 + B_crit/B)·S_min steps and (1 + B/B_crit)·E_min examples.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';
import { NonFiniteObjectiveError } from './errors.js';
import { VecOps } from './vec.js';

export interface GradNormPair {
  bSmall: number;
  bBig: number;
  /** |G_small|² — a mean over several small batches is fine (still unbiased). */
  gSmallSq: number;
  /** |G_big|² */
  gBigSq: number;
}

export interface NoiseScale {
  /** Estimate of |G|², the squared norm of the true gradient. */
  gradSq: number;
  /** Estimate of tr Σ, the per-sample gradient noise. */
  traceSigma: number;
  /** S / |G|². */
  bSimple: number;
}

export interface NoiseScaleEstimate extends NoiseScale {
  /** Standard errors of the means over the pairs (0 for one pair). */
  gradSqStdErr: number;
  traceSigmaStdErr: number;
  /** Delta-method standard error of the ratio. */
  bSimpleStdErr: number;
  /** B_crit ≈ B_simple (see the header for the assumption). */
  criticalBatch: number;
  pairs: number;
}

function checkPair(p: GradNormPair, i?: number): void {
  const at = i === undefined ? '' : `[${i}]`;
  if (typeof p !== 'object' || p === null) throw new KernelTypeError(`pairs${at}`, 'must be { bSmall, bBig, gSmallSq, gBigSq }');
  if (!(Number.isFinite(p.bSmall) && p.bSmall >= 1)) throw new KernelRangeError(`bSmall${at}`, `must be a finite number ≥ 1, got ${p.bSmall}`);
  if (!(Number.isFinite(p.bBig) && p.bBig > p.bSmall)) throw new KernelRangeError(`bBig${at}`, `must be finite and > bSmall = ${p.bSmall}, got ${p.bBig}`);
  if (!(Number.isFinite(p.gSmallSq) && p.gSmallSq >= 0)) throw new KernelRangeError(`gSmallSq${at}`, `must be a finite number ≥ 0, got ${p.gSmallSq}`);
  if (!(Number.isFinite(p.gBigSq) && p.gBigSq >= 0)) throw new KernelRangeError(`gBigSq${at}`, `must be a finite number ≥ 0, got ${p.gBigSq}`);
}

/** |G|², tr Σ and B_simple from one pair of squared gradient norms. */
export function noiseScaleFromNorms(p: GradNormPair): NoiseScale {
  checkPair(p);
  return ratio(unbiasedGradSq(p), unbiasedTraceSigma(p));
}

function unbiasedGradSq(p: GradNormPair): number {
  return (p.bBig * p.gBigSq - p.bSmall * p.gSmallSq) / (p.bBig - p.bSmall);
}

function unbiasedTraceSigma(p: GradNormPair): number {
  return (p.gSmallSq - p.gBigSq) / (1 / p.bSmall - 1 / p.bBig);
}

function ratio(gradSq: number, traceSigma: number): NoiseScale {
  // |G|² ≤ 0 means the noise swamps the signal at these batch sizes: B_simple is unbounded.
  return { gradSq, traceSigma, bSimple: gradSq > 0 ? traceSigma / gradSq : Infinity };
}

/** Averages |G|² and S over many pairs, then takes the ratio; with standard errors. */
export function estimateNoiseScale(pairs: GradNormPair[]): NoiseScaleEstimate {
  if (!Array.isArray(pairs) || pairs.length === 0) throw new KernelRangeError('pairs', 'must be a non-empty array');
  pairs.forEach(checkPair);
  const m = pairs.length;
  const g = pairs.map(unbiasedGradSq), s = pairs.map(unbiasedTraceSigma);
  const mg = mean(g), ms = mean(s);
  let vg = 0, vs = 0, cgs = 0;
  for (let i = 0; i < m; i++) { vg += (g[i] - mg) ** 2; vs += (s[i] - ms) ** 2; cgs += (g[i] - mg) * (s[i] - ms); }
  const d = m > 1 ? m - 1 : 1;
  vg /= d * m; vs /= d * m; cgs /= d * m; // variances and covariance of the means
  const r = ratio(mg, ms);
  // Var(S/G) ≈ (1/G²)·Var S − 2(S/G³)·Cov + (S²/G⁴)·Var G
  const se = mg > 0 ? Math.sqrt(Math.max(0, vs / mg ** 2 - 2 * ms * cgs / mg ** 3 + ms ** 2 * vg / mg ** 4)) : Infinity;
  return {
    ...r, gradSqStdErr: Math.sqrt(vg), traceSigmaStdErr: Math.sqrt(vs), bSimpleStdErr: m > 1 ? se : 0,
    criticalBatch: r.bSimple, pairs: m,
  };
}

function mean(a: number[]): number {
  return a.reduce((x, y) => x + y, 0) / a.length;
}

export interface MeasureOptions {
  /** Parameter count (gradient length). */
  n: number;
  /** Small batch size. */
  bSmall: number;
  /** Big batch size: a multiple (≥ 2×) of bSmall; it is the union of bBig/bSmall small batches. */
  bBig: number;
  /** Independent big batches to average over (default 16). */
  draws?: number;
}

/**
 * Measures the noise scale from a gradient oracle: `smallBatchGradient(draw, part, g)`
 * must write into g the mean gradient of small batch `part` (0 ≤ part < bBig/bSmall,
 * bSmall fresh samples each) of draw `draw`. Per draw, |G_small|² is the mean of the
 * parts' squared norms and G_big is the mean of the parts (the big batch is their
 * union), so the same samples serve both sizes; both estimators stay unbiased.
 */
export function measureNoiseScale(
  k: Kernels,
  smallBatchGradient: (draw: number, part: number, g: Float32Array) => void,
  options: MeasureOptions,
): NoiseScaleEstimate {
  const { n, bSmall, bBig } = options;
  const draws = options.draws ?? 16;
  if (typeof smallBatchGradient !== 'function') throw new KernelTypeError('smallBatchGradient', 'must be a function (draw, part, g) => void');
  if (!Number.isInteger(n) || n < 1) throw new KernelRangeError('n', `must be an integer ≥ 1, got ${n}`);
  if (!Number.isInteger(bSmall) || bSmall < 1) throw new KernelRangeError('bSmall', `must be an integer ≥ 1, got ${bSmall}`);
  if (!Number.isInteger(bBig) || bBig < 2 * bSmall || bBig % bSmall !== 0) throw new KernelRangeError('bBig', `must be a multiple of bSmall = ${bSmall} and at least twice it, got ${bBig}`);
  if (!Number.isInteger(draws) || draws < 1) throw new KernelRangeError('draws', `must be an integer ≥ 1, got ${draws}`);
  const parts = bBig / bSmall;
  const ops = new VecOps(k);
  try {
    const g = ops.alloc(n), big = ops.alloc(n);
    const pairs: GradNormPair[] = [];
    for (let d = 0; d < draws; d++) {
      big.v.fill(0);
      let smallSq = 0;
      for (let p = 0; p < parts; p++) {
        g.v.fill(NaN); // an entry the oracle does not write is an error, not a silent 0
        smallBatchGradient(d, p, g.v);
        const m = ops.maxAbs(g);
        if (!Number.isFinite(m)) throw new NonFiniteObjectiveError('g', d * parts + p + 1, m);
        smallSq += ops.dot(g, g);
        ops.addScaled(big, big, 1 / parts, g);
      }
      pairs.push({ bSmall, bBig, gSmallSq: smallSq / parts, gBigSq: ops.dot(big, big) });
    }
    return estimateNoiseScale(pairs);
  } finally {
    ops.dispose();
  }
}
