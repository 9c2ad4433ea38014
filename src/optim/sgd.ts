// SGD with momentum, PyTorch semantics: v = μ·v + g (g including L2 weight decay);
// p −= lr·(nesterov ? g + μ·v : v). One kernel call per step over the flat vector.
import type { Kernels } from '../kernels/kernels.js';
import { checkHyper, OptimizerOptionError, checkStateFits, type Optimizer, type OptimizerState } from './optimizer.js';
import { StateVectors } from './state_vectors.js';

export interface SgdOptions { lr?: number; momentum?: number; nesterov?: boolean; weightDecay?: number }

export class Sgd implements Optimizer {
  readonly type = 'sgd';
  lr: number;
  readonly momentum: number; readonly nesterov: boolean; readonly weightDecay: number;
  private tStep = 0;
  private readonly vec: StateVectors;

  constructor(private readonly k: Kernels, readonly n: number, opts: SgdOptions = {}) {
    this.lr = checkHyper('lr', opts.lr ?? 0.01, 0, Infinity);
    this.momentum = checkHyper('momentum', opts.momentum ?? 0.9, 0, 1);
    if (opts.nesterov !== undefined && typeof opts.nesterov !== 'boolean') throw new OptimizerOptionError('nesterov', `must be a boolean, got ${opts.nesterov}`);
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = checkHyper('weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    this.vec = new StateVectors(k, n, ['velocity']);
  }

  get t(): number { return this.tStep; }

  step(params: number, grads: number): void {
    checkHyper('lr', this.lr, 0, Infinity);
    this.tStep++;
    this.k.exports.sgd_momentum_step_f32(params, grads, this.vec.ptrs.velocity, this.n, this.lr, this.momentum, this.nesterov ? 1 : 0, this.weightDecay);
  }

  state(): OptimizerState {
    return {
      type: this.type, t: this.tStep,
      hyper: { lr: this.lr, momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay },
      vectors: this.vec.copies(),
    };
  }

  setState(s: OptimizerState): void {
    checkStateFits(s, this.type, { momentum: this.momentum, nesterov: this.nesterov, weightDecay: this.weightDecay });
    this.vec.restore(s);
    this.tStep = s.t;
  }

  reset(): void { this.vec.zero(); this.tStep = 0; }
  dispose(): void { this.vec.dispose(); }
}
