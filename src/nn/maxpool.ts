// 2-D max pooling over NHWC. Forward records, per output, the index of the winning input
// (padding never wins); backward scatters dy through those indices (overlapping windows add).
import type { Arena } from '../kernels/arena.js';
import { MaxPoolKernels } from '../kernels/bindings/maxpool.js';
import type { Layer, LayerContext } from './layer.js';
import type { TensorDecl } from './tensors.js';

export interface PoolGeometry { KH: number; KW: number; SH: number; SW: number; padT: number; padL: number }

export class MaxPool implements Layer {
  readonly type = 'maxpool';
  readonly tensors: readonly TensorDecl[] = [];
  readonly paramCount = 0;
  readonly bufferCount = 0;
  private readonly outSize: number;
  private readonly pool: MaxPoolKernels;
  private y = 0; private argmax = 0;

  constructor(ctx: LayerContext, readonly inShape: readonly number[], readonly outShape: readonly number[], readonly g: PoolGeometry) {
    const [H, W, C] = inShape, [OH, OW] = outShape;
    this.outSize = outShape[0] * outShape[1] * outShape[2];
    this.pool = new MaxPoolKernels(ctx.exports, { H, W, C, KH: g.KH, KW: g.KW, SH: g.SH, SW: g.SW, padT: g.padT, padL: g.padL, OH, OW });
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
    this.pool.forward(x, this.y, this.argmax, batch);
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx: boolean): number {
    if (needDx) this.pool.backward(dy, this.argmax, spare, batch);
    return spare;
  }

  // R-ops: the winners are fixed by the forward: R(y) = R(x) at the winner; R(dx) scatters R(dy).
  private ry = 0;
  bindR(): void {}
  allocateR(arena: Arena, cap: number): void { this.ry = arena.alloc(cap * this.outSize * 4); }
  releaseR(arena: Arena): void { arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    if (!rx) return 0;
    this.pool.rForward(rx, this.argmax, this.ry, batch);
    return this.ry;
  }

  rBackward(_dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number {
    return this.backward(rdy, rspare, batch, needDx);
  }
}
