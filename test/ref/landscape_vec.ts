// f64 references of the landscape vector kernels (assembly/landscape_vec.ts). Tests only.
export const boxProjectRef = (x: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>) =>
  Float64Array.from({ length: x.length }, (_, i) => Math.min(Math.max(x[i], lo[i]), hi[i]));

export function dotRef(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export const addScaledRef = (x: ArrayLike<number>, alpha: number, d: ArrayLike<number>) =>
  Float64Array.from({ length: x.length }, (_, i) => x[i] + alpha * d[i]);

export function maxAbsRef(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

export function projGradNormInfRef(x: ArrayLike<number>, g: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(Math.min(Math.max(x[i] - g[i], lo[i]), hi[i]) - x[i]));
  return m;
}

export function maxStepRef(x: ArrayLike<number>, d: ArrayLike<number>, lo: ArrayLike<number>, hi: ArrayLike<number>): number {
  let t = Infinity;
  for (let i = 0; i < x.length; i++) {
    if (d[i] > 0 && hi[i] < Infinity) t = Math.min(t, Math.max(0, (hi[i] - x[i]) / d[i]));
    if (d[i] < 0 && lo[i] > -Infinity) t = Math.min(t, Math.max(0, (lo[i] - x[i]) / d[i]));
  }
  return t;
}
