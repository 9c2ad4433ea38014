// 2-D max pooling over NHWC. Forward records, per output, the index of the winning input
// (padding never wins); backward scatters dy through those indices (overlapping windows add).
import type { Arena } from '../kernels/arena.js';
import type { Layer, LayerContext } from './layer.js';

export interface PoolGeometry { KH: number; KW: number; SH: number; SW: number; padT: number; padL: number }

export class MaxPool implements Layer {
  readonly type = 'maxpool';
  readonly paramCount = 0;
  readonly bufferCount = 0;
  private readonly inSize: number; private readonly outSize: number;
  private y = 0; private argmax = 0;

  constructor(private readonly ctx: LayerContext, readonly inShape: readonly number[], readonly outShape: readonly number[], readonly g: PoolGeometry) {
    this.inSize = inShape[0] * inShape[1] * inShape[2];
    this.outSize = outShape[0] * outShape[1] * outShape[2];
  }

  bind(): void {}
  init(): void {}
  allocate(arena: Arena, cap: number): void {
    this.y = arena.alloc(cap * this.outSize * 4);
    this.argmax = arena.alloc(cap * this.outSize * 4);
  }
  release(arena: Arena): void { arena.release(this.y); arena.release(this.argmax); this.y = this.argmax = 0; }
  workspaceBytes(): number { return 0; }

  forward(x: number, batch: number): number {
    const [H, W, C] = this.inShape, [OH, OW] = this.outShape, g = this.g;
    this.ctx.exports.maxpool2d_fwd_nhwc(x, this.y, this.argmax, batch, H, W, C, g.KH, g.KW, g.SH, g.SW, g.padT, g.padL, OH, OW);
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx: boolean): number {
    if (needDx) this.ctx.exports.maxpool2d_bwd_nhwc(dy, this.argmax, spare, batch * this.outSize, batch * this.inSize);
    return spare;
  }

  // R-ops: the winners are fixed by the forward: R(y) = R(x) at the winner; R(dx) scatters R(dy).
  private ry = 0;
  bindR(): void {}
  allocateR(arena: Arena, cap: number): void { this.ry = arena.alloc(cap * this.outSize * 4); }
  releaseR(arena: Arena): void { arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    if (!rx) return 0;
    this.ctx.exports.maxpool2d_rfwd_nhwc(rx, this.argmax, this.ry, batch * this.outSize);
    return this.ry;
  }

  rBackward(_dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number {
    return this.backward(rdy, rspare, batch, needDx);
  }
}
