// Adam (Kingma & Ba) over the flat parameter vector, one kernel call per step.
// Defaults are Keras' (the paper's code): lr 1e-3, β1 0.9, β2 0.999, eps 1e-7 (PyTorch uses 1e-8).
// weightDecay is L2 added to the gradient (Adam, not AdamW). β1, β2 and the bias corrections
// 1 − β^t go to the kernel as f64, which forms 1 − β and 1/bc before rounding to f32.
import type { Kernels } from '../kernels/kernels.js';
import { OptimizerBase } from './base.js';
import { checkHyper, OptimizerOptionError } from './optimizer.js';

export interface AdamOptions { lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }

/** Checks Adam-style moments: β in [0, 1), eps > 0, weightDecay ≥ 0 (also LAMB's). */
export function checkMoments(opts: AdamOptions, epsDefault: number): { beta1: number; beta2: number; eps: number; weightDecay: number } {
  const beta1 = checkHyper('beta1', opts.beta1 ?? 0.9, 0, 1);
  const beta2 = checkHyper('beta2', opts.beta2 ?? 0.999, 0, 1);
  if (beta1 === 1) throw new OptimizerOptionError('beta1', 'must be < 1');
  if (beta2 === 1) throw new OptimizerOptionError('beta2', 'must be < 1');
  return { beta1, beta2, eps: checkHyper('eps', opts.eps ?? epsDefault, 0, 1, true), weightDecay: checkHyper('weightDecay', opts.weightDecay ?? 0, 0, Infinity) };
}

export class Adam extends OptimizerBase {
  readonly type = 'adam';
  readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number;

  constructor(k: Kernels, n: number, opts: AdamOptions = {}) {
    checkHyper('lr', opts.lr ?? 1e-3, 0, Infinity);
    const h = checkMoments(opts, 1e-7); // before super() allocates the state vectors
    super(k, n, opts.lr ?? 1e-3, ['m', 'v']);
    this.beta1 = h.beta1; this.beta2 = h.beta2; this.eps = h.eps; this.weightDecay = h.weightDecay;
  }

  protected hyper() { return { beta1: this.beta1, beta2: this.beta2, eps: this.eps, weightDecay: this.weightDecay }; }

  step(params: number, grads: number): void {
    const t = this.beginStep();
    const bc1 = 1 - Math.pow(this.beta1, t), bc2 = 1 - Math.pow(this.beta2, t);
    this.k.exports.adam_step_f32(params, grads, this.vec.ptrs.m, this.vec.ptrs.v, this.n, this.lr, this.beta1, this.beta2, this.eps, bc1, bc2, this.weightDecay);
  }
}
