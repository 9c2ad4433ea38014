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
import { BatchNormKernels } from '../kernels/bindings/batchnorm.js';
import type { Layer, LayerContext } from './layer.js';
import { storeCount, tensorPointers, type TensorDecl } from './tensors.js';

export class BatchNorm implements Layer {
  readonly type = 'batchnorm';
  readonly tensors: readonly TensorDecl[];
  readonly paramCount: number;
  readonly bufferCount: number;
  readonly outShape: readonly number[];
  /** Channels (the last axis) and rows per sample. */
  readonly C: number;
  private readonly perSample: number;
  private readonly bn: BatchNormKernels;
  private gamma = 0; private beta = 0; private dgamma = 0; private dbeta = 0;
  private runMean = 0; private runVar = 0;
  private y = 0; private mean = 0; private invstd = 0; private x = 0;
  /**
   * C ones, C zeros, then 2·C floats of sink: the constant γ/x = 1 and μ/β = 0 rows of the
   * running-mode backward, and where a batch-statistics backward without paramGrads puts dγ, dβ.
   */
  private consts = 0;
  /** The last forward normalized with the running statistics (evaluation mode). */
  private lastRunning = false;

  constructor(private readonly ctx: LayerContext, readonly inShape: readonly number[], readonly momentum: number, readonly eps: number) {
    this.outShape = inShape;
    this.C = inShape[inShape.length - 1];
    this.perSample = inShape.reduce((a, b) => a * b, 1) / this.C;
    const C = this.C;
    this.tensors = [
      { name: 'gamma', shape: [C], role: 'gamma' },
      { name: 'beta', shape: [C], role: 'beta' },
      { name: 'running_mean', shape: [C], role: 'running-mean' },
      { name: 'running_var', shape: [C], role: 'running-var' },
    ];
    this.paramCount = storeCount(this.tensors, 'params');
    this.bufferCount = storeCount(this.tensors, 'buffers');
    this.bn = new BatchNormKernels(ctx.exports, C, momentum, eps);
  }

  bind(params: number, grads: number, buffers: number): void {
    [this.gamma, this.beta] = tensorPointers(params, this.tensors, 'params');
    [this.dgamma, this.dbeta] = tensorPointers(grads, this.tensors, 'params');
    [this.runMean, this.runVar] = tensorPointers(buffers, this.tensors, 'buffers');
  }

  init(params: Float32Array, buffers: Float32Array): void {
    params.fill(1, 0, this.C); params.fill(0, this.C);
    buffers.fill(0, 0, this.C); buffers.fill(1, this.C);
  }

  allocate(arena: Arena, cap: number): void {
    this.y = arena.alloc(cap * this.perSample * this.C * 4);
    this.mean = arena.alloc(this.C * 4);
    this.invstd = arena.alloc(this.C * 4);
    this.consts = arena.alloc(4 * this.C * 4);
    this.ctx.elementwise.fill(this.consts, 1, this.C);
    this.ctx.elementwise.fill(this.consts + this.C * 4, 0, this.C);
  }
  release(arena: Arena): void {
    arena.release(this.y); arena.release(this.mean); arena.release(this.invstd); arena.release(this.consts);
    this.y = this.mean = this.invstd = this.consts = 0;
  }
  workspaceBytes(): number { return 0; }

  forward(x: number, batch: number, train: boolean): number {
    const rows = batch * this.perSample;
    this.x = x;
    this.lastRunning = !train;
    if (train) this.bn.forwardTrain(x, this.gamma, this.beta, this.y, this.mean, this.invstd, this.runMean, this.runVar, rows);
    else this.bn.forwardInfer(x, this.gamma, this.beta, this.runMean, this.runVar, this.y, rows);
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx = true, paramGrads = true): number {
    const bn = this.bn, rows = batch * this.perSample;
    if (!this.lastRunning) {
      // The kernel always writes dx (it is most of the work and shares the reductions) and dγ, dβ
      // (their sums are dx's reductions; without paramGrads they go to the sink, not `grads`).
      if (!needDx && !paramGrads) return spare;
      const sink = this.consts + 2 * this.C * 4;
      bn.backward(this.x, dy, this.gamma, this.mean, this.invstd, spare,
        paramGrads ? this.dgamma : sink, paramGrads ? this.dbeta : sink + this.C * 4, rows);
      return spare;
    }
    const zeros = this.consts + this.C * 4;
    if (!paramGrads) {
      // dx = dy·γ·invstd_run needs no reduction: only the affine pass.
      if (needDx) bn.forwardInfer(dy, this.gamma, zeros, zeros, this.runVar, spare, rows);
      return spare;
    }
    this.runningInvstd();
    bn.backward(this.x, dy, this.gamma, this.runMean, this.invstd, spare, this.dgamma, this.dbeta, rows);
    if (needDx) bn.forwardInfer(dy, this.gamma, zeros, zeros, this.runVar, spare, rows);
    return spare;
  }

  /** invstd_run into this.invstd with the inference forward's own f32 rounding: the affine map of a row of ones with γ = 1, μ = β = 0. */
  private runningInvstd(): void {
    const ones = this.consts, zeros = this.consts + this.C * 4;
    this.bn.forwardInfer(ones, ones, zeros, zeros, this.runVar, this.invstd, 1);
  }

  // R-ops (assembly/batchnorm_rop.ts has the formulas): with batch statistics R(μ) and R(σ²)
  // follow R(x); with running statistics they are constants.
  private vgamma = 0; private vbeta = 0; private hgamma = 0; private hbeta = 0;
  private rx = 0; private ry = 0; private rstat = 0; private racc = 0;
  bindR(dir: number, out: number): void {
    [this.vgamma, this.vbeta] = tensorPointers(dir, this.tensors, 'params');
    [this.hgamma, this.hbeta] = tensorPointers(out, this.tensors, 'params');
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
    this.bn.rForward(this.x, rx, this.gamma, this.vgamma, this.vbeta, running ? this.runMean : this.mean, this.invstd,
      this.ry, this.rstat, this.racc, rows, !running);
    return this.ry;
  }

  rBackward(dy: number, rdy: number, _rspare: number, batch: number): number {
    const rows = batch * this.perSample, running = this.lastRunning;
    if (running) this.runningInvstd();
    this.bn.rBackward(this.x, this.rx, dy, rdy, this.gamma, this.vgamma, running ? this.runMean : this.mean, this.invstd,
      this.rstat, rdy, this.hgamma, this.hbeta, this.racc, rows, !running);
    return rdy;
  }
}
