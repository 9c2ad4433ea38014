// Analytic test objectives (f64 arithmetic on the f32 inputs) with known minimizers.
import type { Objective } from '../../src/landscape/objective.js';

/** f(x) = ½ xᵀHx + bᵀx with a dense symmetric H (row-major n×n), exact hvp. */
export function quadratic(H: Float64Array, b: Float64Array): Objective & { count: number; value(x: ArrayLike<number>): number } {
  const n = b.length;
  const value = (x: ArrayLike<number>) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      let hx = 0;
      for (let j = 0; j < n; j++) hx += H[i * n + j] * x[j];
      f += 0.5 * x[i] * hx + b[i] * x[i];
    }
    return f;
  };
  const obj = {
    n, count: 0, value,
    evalGrad(x: Float32Array, g: Float32Array) {
      obj.count++;
      for (let i = 0; i < n; i++) {
        let hx = 0;
        for (let j = 0; j < n; j++) hx += H[i * n + j] * x[j];
        g[i] = hx + b[i];
      }
      return value(x);
    },
    hvp(_x: Float32Array, v: Float32Array, out: Float32Array) {
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let j = 0; j < n; j++) s += H[i * n + j] * v[j];
        out[i] = s;
      }
    },
  };
  return obj;
}

/** f(x) = Σ ½ h_i x_i² + b_i x_i (diagonal H), O(n) per evaluation. */
export function diagQuadratic(h: Float64Array, b: Float64Array): Objective & { value(x: ArrayLike<number>): number } {
  const n = h.length;
  const value = (x: ArrayLike<number>) => {
    let f = 0;
    for (let i = 0; i < n; i++) f += 0.5 * h[i] * x[i] * x[i] + b[i] * x[i];
    return f;
  };
  return {
    n, value,
    evalGrad(x, g) {
      for (let i = 0; i < n; i++) g[i] = h[i] * x[i] + b[i];
      return value(x);
    },
  };
}

/** 2-D Rosenbrock (1 − x)² + 100(y − x²)². */
export function rosenbrock(): Objective & { count: number } {
  const obj = {
    n: 2, count: 0,
    evalGrad(v: Float32Array, g: Float32Array) {
      obj.count++;
      const x = v[0], y = v[1];
      const r = y - x * x;
      g[0] = -2 * (1 - x) - 400 * x * r;
      g[1] = 200 * r;
      return (1 - x) * (1 - x) + 100 * r * r;
    },
  };
  return obj;
}

/** A symmetric matrix Q·diag(eigs)·Qᵀ with a random orthogonal Q (Householder products). */
export function withSpectrum(eigs: number[], seed: number): Float64Array {
  const n = eigs.length;
  let s = seed >>> 0;
  const rnd = () => { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; return s / 4294967296 - 0.5; };
  // Q = product of 3 Householder reflections.
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  for (let h = 0; h < 3; h++) {
    const v = Array.from({ length: n }, rnd);
    const nv = Math.hypot(...v);
    for (let i = 0; i < n; i++) v[i] /= nv;
    // Q ← Q (I − 2vvᵀ)
    for (let r = 0; r < n; r++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += Q[r * n + j] * v[j];
      for (let j = 0; j < n; j++) Q[r * n + j] -= 2 * d * v[j];
    }
  }
  const H = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
    let sum = 0;
    for (let t = 0; t < n; t++) sum += Q[i * n + t] * eigs[t] * Q[j * n + t];
    H[i * n + j] = sum;
  }
  return H;
}
