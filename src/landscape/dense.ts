// Small dense f64 linear algebra (matrices up to a few hundred rows) for the landscape
// tools: the L-BFGS-B middle matrix, the random-subspace Gram matrix, Lanczos'
// tridiagonal matrix. Row-major Float64Array, size k×k.
import { FactorizationError } from './errors.js';

/** Inverse by Gauss–Jordan with partial pivoting; null if (numerically) singular. */
export function invert(a: Float64Array, k: number): Float64Array | null {
  const m = Float64Array.from(a);
  const inv = new Float64Array(k * k);
  for (let i = 0; i < k; i++) inv[i * k + i] = 1;
  let scale = 0;
  for (let i = 0; i < k * k; i++) scale = Math.max(scale, Math.abs(a[i]));
  for (let c = 0; c < k; c++) {
    let piv = c;
    for (let r = c + 1; r < k; r++) if (Math.abs(m[r * k + c]) > Math.abs(m[piv * k + c])) piv = r;
    const pv = m[piv * k + c];
    if (!(Math.abs(pv) > 1e-14 * scale)) return null;
    if (piv !== c) {
      for (let j = 0; j < k; j++) {
        let t = m[c * k + j]; m[c * k + j] = m[piv * k + j]; m[piv * k + j] = t;
        t = inv[c * k + j]; inv[c * k + j] = inv[piv * k + j]; inv[piv * k + j] = t;
      }
    }
    for (let j = 0; j < k; j++) { m[c * k + j] /= pv; inv[c * k + j] /= pv; }
    for (let r = 0; r < k; r++) {
      if (r === c) continue;
      const f = m[r * k + c];
      if (f === 0) continue;
      for (let j = 0; j < k; j++) { m[r * k + j] -= f * m[c * k + j]; inv[r * k + j] -= f * inv[c * k + j]; }
    }
  }
  return inv;
}

/** y = A·x for a k×k matrix. */
export function matVec(a: Float64Array, k: number, x: ArrayLike<number>, y: Float64Array = new Float64Array(k)): Float64Array {
  for (let i = 0; i < k; i++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += a[i * k + j] * x[j];
    y[i] = s;
  }
  return y;
}

/** Lower Cholesky factor L (A = L·Lᵀ) of a symmetric positive definite matrix. */
export function cholesky(a: Float64Array, k: number, name = 'A'): Float64Array {
  const l = new Float64Array(k * k);
  for (let j = 0; j < k; j++) {
    let d = a[j * k + j];
    for (let t = 0; t < j; t++) d -= l[j * k + t] * l[j * k + t];
    if (!(d > 0)) throw new FactorizationError(name, `not positive definite (pivot ${j} is ${d}); is it rank-deficient?`);
    const ljj = Math.sqrt(d);
    l[j * k + j] = ljj;
    for (let i = j + 1; i < k; i++) {
      let s = a[i * k + j];
      for (let t = 0; t < j; t++) s -= l[i * k + t] * l[j * k + t];
      l[i * k + j] = s / ljj;
    }
  }
  return l;
}

/** Solves L·Lᵀ·x = b given the Cholesky factor L. */
export function choleskySolve(l: Float64Array, k: number, b: ArrayLike<number>): Float64Array {
  const x = Float64Array.from(b as ArrayLike<number>);
  for (let i = 0; i < k; i++) {
    let s = x[i];
    for (let t = 0; t < i; t++) s -= l[i * k + t] * x[t];
    x[i] = s / l[i * k + i];
  }
  for (let i = k - 1; i >= 0; i--) {
    let s = x[i];
    for (let t = i + 1; t < k; t++) s -= l[t * k + i] * x[t];
    x[i] = s / l[i * k + i];
  }
  return x;
}

/**
 * Eigen-decomposition of a symmetric k×k matrix by cyclic Jacobi rotations:
 * values ascending, vectors[:, i] (column i of the row-major result) for values[i].
 */
export function symmetricEigen(a: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0, tot = 0;
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
      const x = m[i * k + j] * m[i * k + j];
      tot += x; if (i !== j) off += x;
    }
    if (off <= 1e-30 * tot || off === 0) break;
    for (let p = 0; p < k - 1; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = m[p * k + q];
        if (apq === 0) continue;
        const app = m[p * k + p], aqq = m[q * k + q];
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1), s = t * c;
        for (let r = 0; r < k; r++) {
          const arp = m[r * k + p], arq = m[r * k + q];
          m[r * k + p] = c * arp - s * arq;
          m[r * k + q] = s * arp + c * arq;
        }
        for (let r = 0; r < k; r++) {
          const apr = m[p * k + r], aqr = m[q * k + r];
          m[p * k + r] = c * apr - s * aqr;
          m[q * k + r] = s * apr + c * aqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p], vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const order = Array.from({ length: k }, (_, i) => i).sort((i, j) => m[i * k + i] - m[j * k + j]);
  const values = new Float64Array(k), vectors = new Float64Array(k * k);
  order.forEach((src, dst) => {
    values[dst] = m[src * k + src];
    for (let r = 0; r < k; r++) vectors[r * k + dst] = v[r * k + src];
  });
  return { values, vectors };
}
