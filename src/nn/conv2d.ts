// 2-D convolution over NHWC with HWIO weights [KH][KW][C][OC] and a bias per output channel.
// The kernels do im2col + GEMM in the shared workspace; backward gives dW, db and (unless
// this is the first layer) dx.
import type { Arena } from '../kernels/arena.js';
import { Conv2dKernels } from '../kernels/bindings/conv2d.js';
import { heNormal } from './he_init.js';
import type { Layer, LayerContext } from './layer.js';
import type { PoolGeometry } from './maxpool.js';
import { storeCount, tensorPointers, type TensorDecl } from './tensors.js';
import type { Rng } from '../util/rng.js';

export class Conv2d implements Layer {
  readonly type = 'conv2d';
  readonly tensors: readonly TensorDecl[];
  readonly paramCount: number;
  readonly bufferCount = 0;
  private readonly wCount: number;
  private readonly outSize: number;
  /** Output pixels per sample (OH·OW): the rows of the bias gradient. */
  private readonly pixels: number;
  private readonly OC: number;
  private readonly conv: Conv2dKernels;
  private w = 0; private b = 0; private dw = 0; private db = 0;
  private x = 0; private y = 0;

  constructor(private readonly ctx: LayerContext, readonly inShape: readonly number[], readonly outShape: readonly number[], readonly g: PoolGeometry) {
    const [H, W, C] = inShape, [OH, OW, OC] = outShape;
    this.tensors = [
      { name: 'weight', shape: [g.KH, g.KW, C, OC], role: 'weight' },
      { name: 'bias', shape: [OC], role: 'bias' },
    ];
    this.paramCount = storeCount(this.tensors, 'params');
    this.wCount = g.KH * g.KW * C * OC;
    this.outSize = OH * OW * OC;
    this.pixels = OH * OW;
    this.OC = OC;
    this.conv = new Conv2dKernels(ctx.exports, { H, W, C, KH: g.KH, KW: g.KW, OC, SH: g.SH, SW: g.SW, padT: g.padT, padL: g.padL, OH, OW });
  }

  bind(params: number, grads: number): void {
    [this.w, this.b] = tensorPointers(params, this.tensors, 'params');
    [this.dw, this.db] = tensorPointers(grads, this.tensors, 'params');
  }

  init(params: Float32Array, _buffers: Float32Array, rng: Rng): void {
    heNormal(params.subarray(0, this.wCount), this.g.KH * this.g.KW * this.inShape[2], rng);
    params.fill(0, this.wCount);
  }

  allocate(arena: Arena, cap: number): void { this.y = arena.alloc(cap * this.outSize * 4); }
  release(arena: Arena): void { arena.release(this.y); this.y = 0; }

  workspaceBytes(cap: number): number {
    return this.conv.workspaceBytes(cap);
  }

  forward(x: number, batch: number): number {
    this.x = x;
    this.conv.forward(x, this.w, this.b, this.y, batch, this.ctx.work());
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx: boolean, paramGrads = true): number {
    const work = this.ctx.work();
    if (paramGrads) {
      this.conv.backwardFilter(this.x, dy, this.dw, batch, work);
      this.ctx.elementwise.biasGrad(dy, this.db, batch * this.pixels, this.OC);
    }
    if (needDx) this.conv.backwardData(dy, this.w, spare, batch, work);
    return spare;
  }

  // R-ops along V = (V_W, V_b), the second term of each sum by an accumulating kernel:
  //   R(y) = conv(x, V_W) + V_b + conv(R(x), W)
  //   R(dW) = corr(x, R(dy)) + corr(R(x), dy),  R(db) = Σ R(dy),  R(dx) = convᵀ(R(dy), W) + convᵀ(dy, V_W)
  private vw = 0; private vb = 0; private hw = 0; private hb = 0;
  private rx = 0; private ry = 0;
  bindR(dir: number, out: number): void {
    [this.vw, this.vb] = tensorPointers(dir, this.tensors, 'params');
    [this.hw, this.hb] = tensorPointers(out, this.tensors, 'params');
  }
  allocateR(arena: Arena, cap: number): void { this.ry = arena.alloc(cap * this.outSize * 4); }
  releaseR(arena: Arena): void { arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    const work = this.ctx.work();
    this.rx = rx;
    this.conv.forward(this.x, this.vw, this.vb, this.ry, batch, work);
    if (rx) this.conv.forwardAcc(rx, this.w, this.ry, batch, work);
    return this.ry;
  }

  rBackward(dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number {
    const work = this.ctx.work();
    this.conv.backwardFilter(this.x, rdy, this.hw, batch, work);
    if (this.rx) this.conv.backwardFilterAcc(this.rx, dy, this.hw, batch, work);
    this.ctx.elementwise.biasGrad(rdy, this.hb, batch * this.pixels, this.OC);
    if (needDx) {
      this.conv.backwardData(rdy, this.w, rspare, batch, work);
      this.conv.backwardDataAcc(dy, this.vw, rspare, batch, work);
    }
    return rspare;
  }
}
