// Filter-normalized coordinates (Li et al. 2018, "Visualizing the Loss Landscape of Neural
// Nets"): a perturbation of the weights is measured per filter (conv output channel) or
// neuron (dense output unit) f relative to that filter's size. Here x = x₀ + D·u with the
// diagonal D = diag(s), s_i = ‖x_f‖/√m_f for a weight entry i of filter f (m_f entries: the
// filter's RMS entry), and s_i = 0 for biases and batch-norm γ/β (Li et al.'s "ignore
// biasbn": those are not perturbed).
//
// Why: batch norm makes the loss invariant to scaling the weights of a unit that feeds it
// (Dinh et al. 2017: sharpness measured in raw coordinates can then be changed at will
// without changing the function). Scaling filter f by c scales s_f by c and its block of the
// Hessian by 1/c², so the box |u_i| ≤ ε and the Hessian in u, D·∇²f·D, are unchanged by it.
// - φ in these coordinates is the sharpness metric with half-widths ε·s_i (sharpness.ts,
//   `boxScale`): a box corner moves every filter by ε times its norm.
// - ScaledObjective is f(x₀ + D·u) as an Objective of u, with ∇_u = D·∇f and the exact
//   product ∇²_u·v = D·∇²f·(D·v): the Hessian tools on it give the top eigenvalue and trace
//   of D·∇²f·D (Σ_i s_i²·H_ii).
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError, KernelTypeError } from '../kernels/errors.js';
import type { Model } from '../nn/model.js';
import { checkObjective, checkPoint, type Objective } from './objective.js';

/** s_i = ‖x_f‖/√m_f on weights (filter/neuron f of entry i), 0 on biases and BN γ/β. */
export function filterScales(model: Model, x: Float32Array): Float32Array {
  if (typeof model !== 'object' || model === null || !Array.isArray(model.paramTensors)) throw new KernelTypeError('model', 'must be a Model');
  checkPoint('x', x, model.numParams);
  const s = new Float32Array(x.length);
  for (const t of model.paramTensors) {
    if (t.role !== 'weight') continue;
    const units = t.units, fan = t.length / units;
    const norm2 = new Float64Array(units);
    for (let i = 0; i < t.length; i++) { const v = x[t.offset + i]; norm2[i % units] += v * v; }
    const rms = Float64Array.from(norm2, (v) => Math.sqrt(v / fan));
    for (let i = 0; i < t.length; i++) s[t.offset + i] = rms[i % units];
  }
  return s;
}

/** f(x₀ + D·u) as an Objective of u (D = diag(scales)); u = 0 is x₀. */
export class ScaledObjective implements Objective {
  readonly n: number;
  private readonly point: Float32Array;
  private readonly dir: Float32Array;

  constructor(readonly k: Kernels, readonly obj: Objective, readonly x0: Float32Array, readonly scales: Float32Array) {
    checkObjective(obj);
    this.n = obj.n;
    checkPoint('x0', x0, this.n);
    checkPoint('scales', scales, this.n);
    for (let i = 0; i < this.n; i++) if (scales[i] < 0) throw new KernelRangeError('scales', `entry ${i} is ${scales[i]} (must be ≥ 0)`);
    this.point = new Float32Array(this.n);
    this.dir = new Float32Array(this.n);
  }

  /** x₀ + D·u (into this.point); u may be a view of Wasm memory (read before anything allocates). */
  private at(u: Float32Array): Float32Array {
    if (!(u instanceof Float32Array) || u.length !== this.n) throw new KernelRangeError('u', `must be a Float32Array of length ${this.n}`);
    const { point, x0, scales } = this;
    for (let i = 0; i < this.n; i++) point[i] = x0[i] + scales[i] * u[i];
    return point;
  }

  evalGrad(u: Float32Array, g: Float32Array): number {
    const gOff = g.byteOffset, inWasm = g.buffer === this.k.memory.buffer;
    const grad = new Float32Array(this.n);
    const f = this.obj.evalGrad(this.at(u), grad);
    const out = inWasm ? new Float32Array(this.k.memory.buffer, gOff, this.n) : g;
    for (let i = 0; i < this.n; i++) out[i] = this.scales[i] * grad[i];
    return f;
  }

  hvp(u: Float32Array, v: Float32Array, out: Float32Array): void {
    if (!this.obj.hvp) throw new KernelRangeError('obj', 'has no exact Hessian-vector product (hvp)');
    if (!(v instanceof Float32Array) || v.length !== this.n) throw new KernelRangeError('v', `must be a Float32Array of length ${this.n}`);
    const oOff = out.byteOffset, inWasm = out.buffer === this.k.memory.buffer;
    const { dir, scales } = this;
    for (let i = 0; i < this.n; i++) dir[i] = scales[i] * v[i];
    const x = this.at(u);
    const hv = new Float32Array(this.n);
    this.obj.hvp(x, dir, hv);
    const o = inWasm ? new Float32Array(this.k.memory.buffer, oOff, this.n) : out;
    for (let i = 0; i < this.n; i++) o[i] = scales[i] * hv[i];
  }
}
