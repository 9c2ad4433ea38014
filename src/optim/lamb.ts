// LAMB (You et al. 2020): Adam's bias-corrected direction plus decoupled weight decay,
//   r = m̂/(√v̂ + ε) + λ·w,
// scaled per slice by the trust ratio ‖w_l‖/‖r_l‖ (1 if either is 0): w_l −= lr·ratio_l·r_l.
// The Adam kernel runs with lr = 1 on a scratch copy u of w, so u = w − m̂/(√v̂+ε) and
// r = w − u + λw: three flat kernel calls, then two reductions and an axpy per slice.
import type { Kernels } from '../kernels/kernels.js';
import { checkHyper, OptimizerOptionError, checkStateFits, type Optimizer, type OptimizerState } from './optimizer.js';
import { checkSlices, type ParamSlice } from './segments.js';
import { StateVectors } from './state_vectors.js';

export interface LambOptions { lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }

export function lambRatio(wNorm: number, rNorm: number): number {
  return wNorm > 0 && rNorm > 0 ? wNorm / rNorm : 1;
}

export class Lamb implements Optimizer {
  readonly type = 'lamb';
  lr: number;
  readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number;
  readonly slices: ParamSlice[];
  readonly lastRatios: Float64Array;
  private tStep = 0;
  private readonly vec: StateVectors;
  private readonly scratch: number;

  constructor(private readonly k: Kernels, readonly n: number, slices: readonly ParamSlice[], opts: LambOptions = {}) {
    this.lr = checkHyper('lr', opts.lr ?? 1e-3, 0, Infinity);
    this.beta1 = checkHyper('beta1', opts.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkHyper('beta2', opts.beta2 ?? 0.999, 0, 1);
    if (this.beta1 === 1) throw new OptimizerOptionError('beta1', 'must be < 1');
    if (this.beta2 === 1) throw new OptimizerOptionError('beta2', 'must be < 1');
    this.eps = checkHyper('eps', opts.eps ?? 1e-6, 0, 1, true);
    this.weightDecay = checkHyper('weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    this.slices = checkSlices(slices, n);
    this.lastRatios = new Float64Array(this.slices.length);
    this.vec = new StateVectors(k, n, ['m', 'v']);
    this.scratch = k.arena.alloc(n * 4);
  }

  get t(): number { return this.tStep; }

  step(params: number, grads: number): void {
    checkHyper('lr', this.lr, 0, Infinity);
    const t = ++this.tStep, e = this.k.exports, n = this.n, u = this.scratch;
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

  state(): OptimizerState {
    return {
      type: this.type, t: this.tStep,
      hyper: { lr: this.lr, beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay },
      vectors: this.vec.copies(),
    };
  }

  setState(s: OptimizerState): void {
    checkStateFits(s, this.type, { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay });
    this.vec.restore(s);
    this.tStep = s.t;
  }

  reset(): void { this.vec.zero(); this.tStep = 0; }
  dispose(): void { this.vec.dispose(); this.k.arena.release(this.scratch); }
}
