// LARS (You, Gitman, Ginsburg 2017): layer-wise adaptive rate scaling. For each slice l of the
// flat vector (a layer's parameters, see slices.ts):
//   ratio_l = trust·‖w_l‖ / (‖g_l‖ + β‖w_l‖)   (1 if ‖w_l‖ or ‖g_l‖ is 0)
//   v_l = μ·v_l + ratio_l·(g_l + β·w_l);   w_l −= lr·v_l
// The scaled gradient goes to a scratch vector (the model's gradient is left as it was);
// the momentum update is the SGD kernel per slice.
import type { Kernels } from '../kernels/kernels.js';
import { OptimizerBase } from './base.js';
import { checkHyper } from './optimizer.js';
import { checkSlices, type ParamSlice } from './slices.js';

export interface LarsOptions { lr?: number; momentum?: number; weightDecay?: number; trust?: number }

/** The LARS trust ratio of one slice from its norms. */
export function larsRatio(wNorm: number, gNorm: number, trust: number, weightDecay: number): number {
  return wNorm > 0 && gNorm > 0 ? trust * wNorm / (gNorm + weightDecay * wNorm) : 1;
}

export class Lars extends OptimizerBase {
  readonly type = 'lars';
  readonly momentum: number; readonly weightDecay: number; readonly trust: number;
  readonly slices: ParamSlice[];
  /** The ratios of the last step, one per slice (for inspection and tests). */
  readonly lastRatios: Float64Array;

  constructor(k: Kernels, n: number, slices: readonly ParamSlice[], opts: LarsOptions = {}) {
    checkHyper('lr', opts.lr ?? 1, 0, Infinity);
    const momentum = checkHyper('momentum', opts.momentum ?? 0.9, 0, 1);
    const weightDecay = checkHyper('weightDecay', opts.weightDecay ?? 0, 0, Infinity);
    const trust = checkHyper('trust', opts.trust ?? 0.01, 0, Infinity, true);
    const checked = checkSlices(slices, n);
    super(k, n, opts.lr ?? 1, ['velocity'], { scratch: true }); // after the checks: it allocates
    this.momentum = momentum; this.weightDecay = weightDecay; this.trust = trust;
    this.slices = checked;
    this.lastRatios = new Float64Array(checked.length);
  }

  protected hyper() { return { momentum: this.momentum, weightDecay: this.weightDecay, trust: this.trust }; }

  step(params: number, grads: number): void {
    this.beginStep();
    const e = this.k.exports, wd = this.weightDecay;
    e.copy_f32(this.n, grads, this.scratch);
    this.slices.forEach((s, i) => {
      const o = s.offset * 4, w = params + o, g = this.scratch + o;
      const ratio = larsRatio(Math.sqrt(e.sumsq_f32(w, s.length)), Math.sqrt(e.sumsq_f32(g, s.length)), this.trust, wd);
      this.lastRatios[i] = ratio;
      if (wd > 0) e.axpy_f32(s.length, wd, w, g);
      e.scal_f32(s.length, ratio, g);
      e.sgd_momentum_step_f32(w, g, this.vec.ptrs.velocity + o, s.length, this.lr, this.momentum, 0, 0);
    });
  }
}
