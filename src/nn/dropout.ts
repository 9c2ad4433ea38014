// Inverted dropout: in training y = x·mask with mask ∈ {0, 1/(1−rate)} drawn by the kernel
// from a counter-based hash of (seed, stream = layer index, element), so a mask depends only on
// the seed, never on chunking or call order. At evaluation it is the identity (returns x).
import type { Arena } from '../kernels/arena.js';
import type { Layer, LayerContext } from './layer.js';
import type { TensorDecl } from './tensors.js';

export class Dropout implements Layer {
  readonly type = 'dropout';
  readonly tensors: readonly TensorDecl[] = [];
  readonly paramCount = 0;
  readonly bufferCount = 0;
  readonly outShape: readonly number[];
  private readonly n: number;
  private y = 0;
  /** Kept-mask pointer (exposed for tests that rebuild the forward pass in f64). */
  mask = 0;
  private trained = false;

  constructor(private readonly ctx: LayerContext, readonly inShape: readonly number[], readonly rate: number, readonly stream: number) {
    this.outShape = inShape;
    this.n = inShape.reduce((a, b) => a * b, 1);
  }

  bind(): void {}
  init(): void {}
  allocate(arena: Arena, cap: number): void {
    this.y = arena.alloc(cap * this.n * 4);
    this.mask = arena.alloc(cap * this.n * 4);
  }
  release(arena: Arena): void { arena.release(this.y); arena.release(this.mask); this.y = this.mask = 0; }
  workspaceBytes(): number { return 0; }

  forward(x: number, batch: number, train: boolean, seed: number): number {
    this.trained = train;
    if (!train || this.rate === 0) return x;
    this.ctx.elementwise.dropout(x, this.y, this.mask, batch * this.n, this.rate, seed >>> 0, this.stream);
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx: boolean): number {
    if (!this.trained || this.rate === 0) return dy;
    if (needDx) this.ctx.elementwise.maskMul(dy, this.mask, spare, batch * this.n);
    return spare;
  }

  // R-ops: the forward's mask (or the identity when off): R(y) = R(x)·mask, R(dx) = R(dy)·mask.
  private ry = 0;
  bindR(): void {}
  allocateR(arena: Arena, cap: number): void { this.ry = arena.alloc(cap * this.n * 4); }
  releaseR(arena: Arena): void { arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    if (!rx || !this.trained || this.rate === 0) return rx;
    this.ctx.elementwise.maskMul(rx, this.mask, this.ry, batch * this.n);
    return this.ry;
  }

  rBackward(_dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number {
    return this.backward(rdy, rspare, batch, needDx);
  }
}
