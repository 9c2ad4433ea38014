// Batch normalization over the last axis: rows = N for [d] inputs, N·H·W for NHWC images.
// Training mode normalizes with the batch statistics (biased variance) and updates the
// running statistics (unbiased variance, PyTorch-convention momentum); evaluation mode uses
// the running statistics. gamma/beta are parameters; running mean/var live in the model's
// buffer vector (state that is saved but not trained, so sharpness and optimizers skip it).
//
// backward differentiates whichever forward ran last. After an evaluation-mode forward the
// layer is the per-channel affine map y = γ·(x − μ_run)·invstd + β, invstd = 1/√(σ²_run + eps),
// so dx = dy·γ·invstd, dγ = Σ_r dy·x̂, dβ = Σ_r dy (the running statistics are constants).
// That lets a loss-landscape probe differentiate the deployed network's loss (Model's
// `bn: 'running'`). It is composed from the existing BN kernels: the training backward with
// mean := μ_run and invstd := the running invstd gives exactly dγ and dβ (its dx, which holds
// the batch-statistics terms, is discarded), and the inference forward applied to dy with
// μ = 0, β = 0 gives dx. One row pass more than a dedicated kernel would need.
import type { Arena } from '../kernels/arena.js';
import type { Layer, LayerContext } from './layer.js';

export class BatchNorm implements Layer {
  readonly type = 'batchnorm';
  readonly paramCount: number;
  readonly bufferCount: number;
  readonly outShape: readonly number[];
  /** Channels (the last axis) and rows per sample. */
  readonly C: number;
  private readonly perSample: number;
  private gamma = 0; private beta = 0; private dgamma = 0; private dbeta = 0;
  private runMean = 0; private runVar = 0;
  private y = 0; private mean = 0; private invstd = 0; private x = 0;
  /** C ones followed by C zeros: the constant γ/x = 1 and μ/β = 0 rows of the running-mode backward. */
  private consts = 0;
  /** The last forward normalized with the running statistics (evaluation mode). */
  private lastRunning = false;

  constructor(private readonly ctx: LayerContext, readonly inShape: readonly number[], readonly momentum: number, readonly eps: number) {
    this.outShape = inShape;
    this.C = inShape[inShape.length - 1];
    this.perSample = inShape.reduce((a, b) => a * b, 1) / this.C;
    this.paramCount = 2 * this.C;
    this.bufferCount = 2 * this.C;
  }

  bind(params: number, grads: number, buffers: number): void {
    this.gamma = params; this.beta = params + this.C * 4;
    this.dgamma = grads; this.dbeta = grads + this.C * 4;
    this.runMean = buffers; this.runVar = buffers + this.C * 4;
  }

  init(params: Float32Array, buffers: Float32Array): void {
    params.fill(1, 0, this.C); params.fill(0, this.C);
    buffers.fill(0, 0, this.C); buffers.fill(1, this.C);
  }

  allocate(arena: Arena, cap: number): void {
    this.y = arena.alloc(cap * this.perSample * this.C * 4);
    this.mean = arena.alloc(this.C * 4);
    this.invstd = arena.alloc(this.C * 4);
    this.consts = arena.alloc(2 * this.C * 4);
    const e = this.ctx.exports;
    e.fill_f32(this.C, 1, this.consts);
    e.fill_f32(this.C, 0, this.consts + this.C * 4);
  }
  release(arena: Arena): void {
    arena.release(this.y); arena.release(this.mean); arena.release(this.invstd); arena.release(this.consts);
    this.y = this.mean = this.invstd = this.consts = 0;
  }
  workspaceBytes(): number { return 0; }

  forward(x: number, batch: number, train: boolean): number {
    const e = this.ctx.exports, rows = batch * this.perSample;
    this.x = x;
    this.lastRunning = !train;
    if (train) {
      e.batchnorm_fwd_train_f32(x, this.gamma, this.beta, this.y, this.mean, this.invstd, this.runMean, this.runVar, rows, this.C, this.momentum, this.eps);
    } else {
      e.batchnorm_fwd_infer_f32(x, this.gamma, this.beta, this.runMean, this.runVar, this.y, rows, this.C, this.eps);
    }
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx = true): number {
    const e = this.ctx.exports, rows = batch * this.perSample, C = this.C;
    if (!this.lastRunning) {
      // The kernel always writes dx (it is most of the work and shares the reductions).
      e.batchnorm_bwd_f32(this.x, dy, this.gamma, this.mean, this.invstd, spare, this.dgamma, this.dbeta, rows, C);
      return spare;
    }
    const zeros = this.consts + C * 4;
    this.runningInvstd();
    e.batchnorm_bwd_f32(this.x, dy, this.gamma, this.runMean, this.invstd, spare, this.dgamma, this.dbeta, rows, C);
    if (needDx) e.batchnorm_fwd_infer_f32(dy, this.gamma, zeros, zeros, this.runVar, spare, rows, C, this.eps);
    return spare;
  }

  /** invstd_run into this.invstd with the inference forward's own f32 rounding: the affine map of a row of ones with γ = 1, μ = β = 0. */
  private runningInvstd(): void {
    const C = this.C, ones = this.consts, zeros = this.consts + C * 4;
    this.ctx.exports.batchnorm_fwd_infer_f32(ones, ones, zeros, zeros, this.runVar, this.invstd, 1, C, this.eps);
  }

  // R-ops (assembly/batchnorm_rop.ts has the formulas): with batch statistics R(μ) and R(σ²)
  // follow R(x); with running statistics they are constants.
  private vgamma = 0; private vbeta = 0; private hgamma = 0; private hbeta = 0;
  private rx = 0; private ry = 0; private rstat = 0; private racc = 0;
  bindR(dir: number, out: number): void {
    this.vgamma = dir; this.vbeta = dir + this.C * 4;
    this.hgamma = out; this.hbeta = out + this.C * 4;
  }
  allocateR(arena: Arena, cap: number): void {
    this.ry = arena.alloc(cap * this.perSample * this.C * 4);
    this.rstat = arena.alloc(2 * this.C * 4);
    this.racc = arena.alloc(56 * this.C);
  }
  releaseR(arena: Arena): void {
    arena.release(this.ry); arena.release(this.rstat); arena.release(this.racc);
    this.ry = this.rstat = this.racc = 0;
  }

  rForward(rx: number, batch: number): number {
    const rows = batch * this.perSample, running = this.lastRunning;
    if (running) this.runningInvstd();
    this.rx = rx;
    this.ctx.exports.batchnorm_rfwd_f32(this.x, rx, this.gamma, this.vgamma, this.vbeta, running ? this.runMean : this.mean, this.invstd,
      this.ry, this.rstat, this.racc, rows, this.C, running ? 0 : 1);
    return this.ry;
  }

  rBackward(dy: number, rdy: number, _rspare: number, batch: number): number {
    const rows = batch * this.perSample, running = this.lastRunning;
    if (running) this.runningInvstd();
    this.ctx.exports.batchnorm_rbwd_f32(this.x, this.rx, dy, rdy, this.gamma, this.vgamma, running ? this.runMean : this.mean, this.invstd,
      this.rstat, rdy, this.hgamma, this.hbeta, this.racc, rows, this.C, running ? 0 : 1);
    return rdy;
  }
}
