// f64 reference optimizer steps (tests only), same formulas as assembly/optim.ts.

export interface AdamHyper { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number }

/** One Adam step at step count t (≥ 1), L2 decay added to the gradient; updates p, m, v in place. */
export function adamStepRef(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, t: number, h: AdamHyper): void {
  const bc1 = 1 - h.beta1 ** t, bc2 = 1 - h.beta2 ** t;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + h.weightDecay * p[i];
    m[i] = h.beta1 * m[i] + (1 - h.beta1) * gi;
    v[i] = h.beta2 * v[i] + (1 - h.beta2) * gi * gi;
    p[i] -= h.lr * (m[i] / bc1) / (Math.sqrt(v[i] / bc2) + h.eps);
  }
}

export interface SgdHyper { lr: number; momentum: number; nesterov: boolean; weightDecay: number }

/** One SGD-with-momentum step, PyTorch semantics (dampening 0); updates p and vel in place. */
export function sgdStepRef(p: Float64Array, g: ArrayLike<number>, vel: Float64Array, h: SgdHyper): void {
  for (let i = 0; i < p.length; i++) {
    const gi = g[i] + h.weightDecay * p[i];
    vel[i] = h.momentum * vel[i] + gi;
    p[i] -= h.lr * (h.nesterov ? gi + h.momentum * vel[i] : vel[i]);
  }
}
