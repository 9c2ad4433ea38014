// Named bindings of the batchnorm_*_f32 kernels for ONE layer: channels C, eps and momentum
// are bound once. Rows are N for [d] inputs and N·H·W for NHWC images; every vector below is
// a pointer to C (or rows × C) floats. Plain methods over numbers: nothing is allocated per call.
import type { KernelExports } from '../exports.js';

export class BatchNormKernels {
  constructor(private readonly e: KernelExports, readonly C: number, readonly momentum: number, readonly eps: number) {}

  /** y = γ·(x − μ_B)·invstd_B + β with the batch statistics (kept in mean/invstd); updates the running ones. */
  forwardTrain(x: number, gamma: number, beta: number, y: number, mean: number, invstd: number, runMean: number, runVar: number, rows: number): void {
    this.e.batchnorm_fwd_train_f32(x, gamma, beta, y, mean, invstd, runMean, runVar, rows, this.C, this.momentum, this.eps);
  }

  /** y = γ·(x − mean)/√(var + eps) + β per channel (evaluation mode with mean/var the running statistics). */
  forwardInfer(x: number, gamma: number, beta: number, mean: number, variance: number, y: number, rows: number): void {
    this.e.batchnorm_fwd_infer_f32(x, gamma, beta, mean, variance, y, rows, this.C, this.eps);
  }

  /** The training-mode backward around (mean, invstd): dx, dγ, dβ (all overwritten). */
  backward(x: number, dy: number, gamma: number, mean: number, invstd: number, dx: number, dgamma: number, dbeta: number, rows: number): void {
    this.e.batchnorm_bwd_f32(x, dy, gamma, mean, invstd, dx, dgamma, dbeta, rows, this.C);
  }

  /**
   * R-forward along (R(x), V_γ, V_β): R(y) into ry, R(μ), R(σ²) into rstat (assembly/batchnorm_rop.ts).
   * batchStats: the statistics follow x (training mode); false: they are constants.
   */
  rForward(x: number, rx: number, gamma: number, vgamma: number, vbeta: number, mean: number, invstd: number,
    ry: number, rstat: number, acc: number, rows: number, batchStats: boolean): void {
    this.e.batchnorm_rfwd_f32(x, rx, gamma, vgamma, vbeta, mean, invstd, ry, rstat, acc, rows, this.C, batchStats ? 1 : 0);
  }

  /** R-backward: R(dx) into rdx (may be rdy), R(dγ), R(dβ) (overwritten). */
  rBackward(x: number, rx: number, dy: number, rdy: number, gamma: number, vgamma: number, mean: number, invstd: number,
    rstat: number, rdx: number, rdgamma: number, rdbeta: number, acc: number, rows: number, batchStats: boolean): void {
    this.e.batchnorm_rbwd_f32(x, rx, dy, rdy, gamma, vgamma, mean, invstd, rstat, rdx, rdgamma, rdbeta, acc, rows, this.C, batchStats ? 1 : 0);
  }
}
