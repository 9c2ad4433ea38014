// 2-D convolution over NHWC with HWIO weights [KH][KW][C][OC] and a bias per output channel.
// The kernels do im2col + GEMM in the shared workspace; backward gives dW, db and (unless
// this is the first layer) dx.
import type { Arena } from '../kernels/arena.js';
import { heNormal } from './he_init.js';
import type { Layer, LayerContext } from './layer.js';
import type { PoolGeometry } from './maxpool.js';
import type { Rng } from '../util/rng.js';

export class Conv2d implements Layer {
  readonly type = 'conv2d';
  readonly paramCount: number;
  readonly bufferCount = 0;
  private readonly wCount: number;
  private readonly outSize: number;
  private w = 0; private b = 0; private dw = 0; private db = 0;
  private x = 0; private y = 0;

  constructor(private readonly ctx: LayerContext, readonly inShape: readonly number[], readonly outShape: readonly number[], readonly g: PoolGeometry) {
    const C = inShape[2], OC = outShape[2];
    this.wCount = g.KH * g.KW * C * OC;
    this.paramCount = this.wCount + OC;
    this.outSize = outShape[0] * outShape[1] * OC;
  }

  bind(params: number, grads: number): void {
    this.w = params; this.b = params + this.wCount * 4;
    this.dw = grads; this.db = grads + this.wCount * 4;
  }

  init(params: Float32Array, _buffers: Float32Array, rng: Rng): void {
    heNormal(params.subarray(0, this.wCount), this.g.KH * this.g.KW * this.inShape[2], rng);
    params.fill(0, this.wCount);
  }

  allocate(arena: Arena, cap: number): void { this.y = arena.alloc(cap * this.outSize * 4); }
  release(arena: Arena): void { arena.release(this.y); this.y = 0; }

  workspaceBytes(cap: number): number {
    const [H, W, C] = this.inShape, [OH, OW, OC] = this.outShape, g = this.g;
    return this.ctx.exports.conv2d_workspace_bytes(cap, H, W, C, g.KH, g.KW, OC, OH, OW);
  }

  forward(x: number, batch: number): number {
    const [H, W, C] = this.inShape, [OH, OW, OC] = this.outShape, g = this.g;
    this.x = x;
    this.ctx.exports.conv2d_fwd_nhwc(x, this.w, this.b, this.y, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, this.ctx.work());
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx: boolean): number {
    const e = this.ctx.exports, [H, W, C] = this.inShape, [OH, OW, OC] = this.outShape, g = this.g, work = this.ctx.work();
    e.conv2d_bwd_filter_nhwc(this.x, dy, this.dw, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
    e.bias_grad_f32(dy, this.db, batch * OH * OW, OC);
    if (needDx) e.conv2d_bwd_data_nhwc(dy, this.w, spare, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
    return spare;
  }

  // R-ops along V = (V_W, V_b), the second term of each sum by an accumulating kernel:
  //   R(y) = conv(x, V_W) + V_b + conv(R(x), W)
  //   R(dW) = corr(x, R(dy)) + corr(R(x), dy),  R(db) = Σ R(dy),  R(dx) = convᵀ(R(dy), W) + convᵀ(dy, V_W)
  private vw = 0; private vb = 0; private hw = 0; private hb = 0;
  private rx = 0; private ry = 0;
  bindR(dir: number, out: number): void {
    this.vw = dir; this.vb = dir + this.wCount * 4;
    this.hw = out; this.hb = out + this.wCount * 4;
  }
  allocateR(arena: Arena, cap: number): void { this.ry = arena.alloc(cap * this.outSize * 4); }
  releaseR(arena: Arena): void { arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    const e = this.ctx.exports, [H, W, C] = this.inShape, [OH, OW, OC] = this.outShape, g = this.g, work = this.ctx.work();
    this.rx = rx;
    e.conv2d_fwd_nhwc(this.x, this.vw, this.vb, this.ry, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
    if (rx) e.conv2d_fwd_acc_nhwc(rx, this.w, this.ry, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
    return this.ry;
  }

  rBackward(dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number {
    const e = this.ctx.exports, [H, W, C] = this.inShape, [OH, OW, OC] = this.outShape, g = this.g, work = this.ctx.work();
    e.conv2d_bwd_filter_nhwc(this.x, rdy, this.hw, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
    if (this.rx) e.conv2d_bwd_filter_acc_nhwc(this.rx, dy, this.hw, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
    e.bias_grad_f32(rdy, this.hb, batch * OH * OW, OC);
    if (needDx) {
      e.conv2d_bwd_data_nhwc(rdy, this.w, rspare, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
      e.conv2d_bwd_data_acc_nhwc(dy, this.vw, rspare, batch, H, W, C, g.KH, g.KW, OC, g.SH, g.SW, g.padT, g.padL, OH, OW, work);
    }
    return rspare;
  }
}
