// f64 references for Hessian-vector products of a small model (tests only): mixed central
// second differences of ref_model.ts's f64 loss with the ReLU masks and max-pool winners
// frozen at the base point (a smooth function with the R-operator's Hessian there), i.e.
// central differences of its f64 gradient along v:
//   (H·v)_i ≈ [f(p + h·e_i + h·v) − f(p + h·e_i − h·v) − f(p − h·e_i + h·v) + f(p − h·e_i − h·v)] / (4h²)
// with ‖v‖∞ ≤ 1. Error O(h²) truncation + O(ε₆₄/h²) rounding ≈ 1e-8 at h = 1e-4.
import { BatchNorm } from '../../src/nn/batchnorm.js';
import { Dropout } from '../../src/nn/dropout.js';
import type { Model } from '../../src/nn/model.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { refLoss, type RefOptions } from './ref_model.js';

/** The f64 loss of `m`'s spec as a function of the parameters, pieces frozen at p (BN mode and dropout as given). */
export function frozenLoss(m: Model, spec: ModelSpec, p: Float64Array, x: ArrayLike<number>, y: ArrayLike<number>, B: number, bn: 'batch' | 'running', dropout: boolean): (q: Float64Array) => number {
  const o: RefOptions = { train: bn === 'batch', pieces: new Map() };
  if (bn === 'running') {
    o.running = new Map();
    const bv = m.buffers.view();
    let b = 0;
    m.layers.forEach((l, li) => {
      if (!(l instanceof BatchNorm)) return;
      o.running!.set(li, [bv.slice(b, b + l.C), bv.slice(b + l.C, b + 2 * l.C)]);
      b += 2 * l.C;
    });
  }
  // Dropout: refLoss applies masks only in training mode, so running mode is tested with dropout off.
  if (dropout) {
    o.masks = new Map();
    m.layers.forEach((l, li) => {
      if (l instanceof Dropout && l.rate > 0) o.masks!.set(li, new Float32Array(m.k.memory.buffer, l.mask, B * l.inShape.reduce((a, c) => a * c, 1)).slice());
    });
  } else if (o.train) {
    o.masks = new Map();
    m.layers.forEach((l, li) => { if (l instanceof Dropout && l.rate > 0) o.masks!.set(li, new Float64Array(B * l.inShape.reduce((a, c) => a * c, 1)).fill(1)); });
  }
  refLoss(spec, p, x, y, B, o); // records the pieces at p
  return (q) => refLoss(spec, q, x, y, B, o);
}

/** (H·v)_i of f at p for the listed coordinates, by mixed central differences (v scaled to ‖v‖∞ = 1 inside). */
export function refHvp(f: (q: Float64Array) => number, p: Float64Array, v: ArrayLike<number>, coords: number[], h = 1e-4): Float64Array {
  let vmax = 0;
  for (let i = 0; i < v.length; i++) vmax = Math.max(vmax, Math.abs(v[i]));
  const u = Float64Array.from(v, (t) => t / vmax);
  const q = new Float64Array(p.length);
  const at = (si: number, sv: number, i: number) => {
    for (let j = 0; j < p.length; j++) q[j] = p[j] + sv * h * u[j];
    q[i] += si * h;
    return f(q);
  };
  return Float64Array.from(coords, (i) => vmax * (at(1, 1, i) - at(1, -1, i) - at(-1, 1, i) + at(-1, -1, i)) / (4 * h * h));
}

/** Every coordinate when n ≤ max, else an even stride plus the last. */
export function someCoords(n: number, max: number): number[] {
  const stride = Math.max(1, Math.floor(n / max));
  const c: number[] = [];
  for (let i = 0; i < n; i += stride) c.push(i);
  if (c[c.length - 1] !== n - 1) c.push(n - 1);
  return c;
}
