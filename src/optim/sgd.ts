// SGD with momentum, PyTorch semantics: v = μ·v + g (g including L2 weight decay);
// p −= lr·(nesterov ? g + μ·v : v). One kernel call per step over the flat vector.
import type { Kernels } from '../kernels/kernels.js';
import { OptimizerBase } from './base.js';
import { checkHyper, OptimizerOptionError } from './optimizer.js';

export interface SgdOptions { lr?: number; momentum?: number; nesterov?: boolean; weightDecay?: number }

export class Sgd extends OptimizerBase {
  readonly type = 'sgd';
  readonly momentum: number; readonly nesterov: boolean; readonly weightDecay: number;

  constructor(k: Kernels, n: number, opts: SgdOptions = {}) {
    checkHyper('lr', opts.lr ?? 0.01, 0, Infinity);
    const momentum = checkHyper('momentum', opts.momentum ?? 0.9, 0, 1);
    if (opts.nesterov !== undefined && typeof opts.nesterov !== 'boolean') throw new OptimizerOptionError('nesterov', `must be a boolean, got ${opts.nesterov}`);
    const weightDecay = checkHyper('weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    super(k, n, opts.lr ?? 0.01, ['velocity']); // after the checks: it allocates the state vectors
    this.momentum = momentum; this.nesterov = opts.nesterov ?? false; this.weightDecay = weightDecay;
  }

  protected hyper() { return { momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay }; }

  step(params: number, grads: number): void {
    this.beginStep();
    this.k.exports.sgd_momentum_step_f32(params, grads, this.vec.ptrs.velocity, this.n, this.lr, this.momentum, this.nesterov ? 1 : 0, this.weightDecay);
  }
}
