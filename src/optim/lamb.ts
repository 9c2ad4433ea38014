// LAMB (You et al. 2020): Adam's bias-corrected direction plus decoupled weight decay,
//   r = m̂/(√v̂ + ε) + λ·w,
// scaled per slice by the trust ratio ‖w_l‖/‖r_l‖ (1 if either is 0): w_l −= lr·ratio_l·r_l.
// The Adam kernel runs with lr = 1 on a scratch copy u of w, so u = w − m̂/(√v̂+ε) and
// r = w − u + λw: three flat kernel calls, then two reductions and an axpy per slice.
import type { Kernels } from '../kernels/kernels.js';
import { checkMoments } from './adam.js';
import { OptimizerBase } from './base.js';
import { checkHyper } from './optimizer.js';
import { checkSlices, type ParamSlice } from './slices.js';

export interface LambOptions { lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }

export function lambRatio(wNorm: number, rNorm: number): number {
  return wNorm > 0 && rNorm > 0 ? wNorm / rNorm : 1;
}

export class Lamb extends OptimizerBase {
  readonly type = 'lamb';
  readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number;
  readonly slices: ParamSlice[];
  readonly lastRatios: Float64Array;

  constructor(k: Kernels, n: number, slices: readonly ParamSlice[], opts: LambOptions = {}) {
    checkHyper('lr', opts.lr ?? 1e-3, 0, Infinity);
    const h = checkMoments(opts, 1e-6);
    const checked = checkSlices(slices, n);
    super(k, n, opts.lr ?? 1e-3, ['m', 'v'], { scratch: true }); // after the checks: it allocates
    this.beta1 = h.beta1; this.beta2 = h.beta2; this.eps = h.eps; this.weightDecay = h.weightDecay;
    this.slices = checked;
    this.lastRatios = new Float64Array(checked.length);
  }

  protected hyper() { return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay }; }

  step(params: number, grads: number): void {
    const t = this.beginStep(), e = this.k.exports, n = this.n, u = this.scratch;
    const bc1 = 1 - Math.pow(this.beta1, t), bc2 = 1 - Math.pow(this.beta2, t);
    e.copy_f32(n, params, u);
    e.adam_step_f32(u, grads, this.vec.ptrs.m, this.vec.ptrs.v, n, 1, this.beta1, this.beta2, this.eps, bc1, bc2, 0);
    e.axpby_f32(n, 1, params, -1, u); // u = w − u = m̂/(√v̂+ε)
    if (this.weightDecay > 0) e.axpy_f32(n, this.weightDecay, params, u);
    this.slices.forEach((s, i) => {
      const o = s.offset * 4;
      const ratio = lambRatio(Math.sqrt(e.sumsq_f32(params + o, s.length)), Math.sqrt(e.sumsq_f32(u + o, s.length)));
      this.lastRatios[i] = ratio;
      e.axpy_f32(s.length, -this.lr * ratio, u + o, params + o);
    });
  }
}
