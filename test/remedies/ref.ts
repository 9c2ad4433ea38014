// f64 references for the remedies (tests only).

export interface Slice { offset: number; length: number }

const norm = (a: ArrayLike<number>, off: number, len: number) => {
  let s = 0;
  for (let i = off; i < off + len; i++) s += a[i] * a[i];
  return Math.sqrt(s);
};

/** One LARS step (see src/optim/lars.ts) in f64; updates p and vel in place, returns the ratios. */
export function larsStepRef(p: Float64Array, g: ArrayLike<number>, vel: Float64Array, slices: Slice[], h: { lr: number; momentum: number; weightDecay: number; trust: number }): number[] {
  const ratios: number[] = [];
  for (const s of slices) {
    const wn = norm(p, s.offset, s.length), gn = norm(g, s.offset, s.length);
    const r = wn > 0 && gn > 0 ? h.trust * wn / (gn + h.weightDecay * wn) : 1;
    ratios.push(r);
    for (let i = s.offset; i < s.offset + s.length; i++) {
      vel[i] = h.momentum * vel[i] + r * (g[i] + h.weightDecay * p[i]);
      p[i] -= h.lr * vel[i];
    }
  }
  return ratios;
}

/** One LAMB step at step count t (see src/optim/lamb.ts) in f64; updates p, m, v; returns the ratios. */
export function lambStepRef(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, slices: Slice[], h: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }): number[] {
  const bc1 = 1 - h.beta1 ** t, bc2 = 1 - h.beta2 ** t;
  const r = new Float64Array(p.length);
  for (let i = 0; i < p.length; i++) {
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * g[i];
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * g[i] * g[i];
    r[i] = (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + h.eps) + h.weightDecay * p[i];
  }
  const ratios: number[] = [];
  for (const s of slices) {
    const wn = norm(p, s.offset, s.length), rn = norm(r, s.offset, s.length);
    const q = wn > 0 && rn > 0 ? wn / rn : 1;
    ratios.push(q);
    for (let i = s.offset; i < s.offset + s.length; i++) p[i] -= h.lr * q * r[i];
  }
  return ratios;
}

/** Shift (content moves by dy rows, dx columns; zeros enter) then optional horizontal flip of one HWC image. */
export function shiftFlipRef(img: ArrayLike<number>, H: number, W: number, C: number, dy: number, dx: number, flip: boolean): Float64Array {
  const out = new Float64Array(H * W * C);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      const sj = flip ? W - 1 - j : j; // flip after the shift: out(i, j) = shifted(i, W−1−j)
      const si = i - dy, sx = sj - dx;
      for (let c = 0; c < C; c++) out[(i * W + j) * C + c] = si >= 0 && si < H && sx >= 0 && sx < W ? img[(si * W + sx) * C + c] : 0;
    }
  }
  return out;
}
