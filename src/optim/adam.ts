// Adam (Kingma & Ba) over the flat parameter vector, one kernel call per step.
// Defaults are Keras' (the paper's code): lr 1e-3, β1 0.9, β2 0.999, eps 1e-7 (PyTorch uses 1e-8).
// weightDecay is L2 added to the gradient (Adam, not AdamW). The bias corrections
// 1 − β^t are computed here in f64 and passed to the kernel.
import type { Kernels } from '../kernels/kernels.js';
import { checkHyper, OptimizerOptionError, checkStateFits, type Optimizer, type OptimizerState } from './optimizer.js';
import { StateVectors } from './state_vectors.js';

export interface AdamOptions { lr?: number; beta1?: number; beta2?: number; eps?: number; weightDecay?: number }

export class Adam implements Optimizer {
  readonly type = 'adam';
  lr: number;
  readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number;
  private tStep = 0;
  private readonly vec: StateVectors;

  constructor(private readonly k: Kernels, readonly n: number, opts: AdamOptions = {}) {
    this.lr = checkHyper('lr', opts.lr ?? 1e-3, 0, Infinity);
    this.beta1 = checkHyper('beta1', opts.beta1 ?? 0.9, 0, 1);
    this.beta2 = checkHyper('beta2', opts.beta2 ?? 0.999, 0, 1);
    if (this.beta1 === 1) throw new OptimizerOptionError('beta1', 'must be < 1');
    if (this.beta2 === 1) throw new OptimizerOptionError('beta2', 'must be < 1');
    this.eps = checkHyper('eps', opts.eps ?? 1e-7, 0, 1, true);
    this.weightDecay = checkHyper('weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    this.vec = new StateVectors(k, n, ['m', 'v']);
  }

  get t(): number { return this.tStep; }

  step(params: number, grads: number): void {
    checkHyper('lr', this.lr, 0, Infinity);
    const t = ++this.tStep;
    const bc1 = 1 - Math.pow(this.beta1, t), bc2 = 1 - Math.pow(this.beta2, t);
    this.k.exports.adam_step_f32(params, grads, this.vec.ptrs.m, this.vec.ptrs.v, this.n, this.lr, this.beta1, this.beta2, this.eps, bc1, bc2, this.weightDecay);
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
  dispose(): void { this.vec.dispose(); }
}
