// He (Kaiming) normal initialization: w ~ N(0, 2 / fan_in), the variance that keeps
// ReLU activations at unit scale through depth (He et al. 2015).
import type { Rng } from '../util/rng.js';

export function heNormal(w: Float32Array, fanIn: number, rng: Rng): void {
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
}
