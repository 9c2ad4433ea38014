// ReLU. In place when the model allows it (its input is another layer's output that no
// backward pass needs): then backward masks with the OUTPUT, which is > 0 exactly where the
// input was, so relu_bwd gives the same dx.
import type { Arena } from '../kernels/arena.js';
import type { Layer, LayerContext } from './layer.js';
import type { TensorDecl } from './tensors.js';

export class Relu implements Layer {
  readonly type = 'relu';
  readonly tensors: readonly TensorDecl[] = [];
  readonly paramCount = 0;
  readonly bufferCount = 0;
  readonly outShape: readonly number[];
  private readonly n: number;
  private y = 0; private x = 0;

  constructor(private readonly ctx: LayerContext, readonly inShape: readonly number[], readonly inPlace: boolean) {
    this.outShape = inShape;
    this.n = inShape.reduce((a, b) => a * b, 1);
  }

  bind(): void {}
  init(): void {}
  allocate(arena: Arena, cap: number): void { if (!this.inPlace) this.y = arena.alloc(cap * this.n * 4); }
  release(arena: Arena): void { if (!this.inPlace) arena.release(this.y); this.y = 0; }
  workspaceBytes(): number { return 0; }

  forward(x: number, batch: number): number {
    const y = this.inPlace ? x : this.y;
    this.ctx.elementwise.relu(x, y, batch * this.n);
    this.x = y; // sign of the output equals sign of the input where it matters (> 0)
    return y;
  }

  backward(dy: number, _spare: number, batch: number, needDx: boolean): number {
    if (needDx) this.ctx.elementwise.reluMask(this.x, dy, dy, batch * this.n);
    return dy;
  }

  // R-ops: the forward's mask, so no kink is crossed: R(y) = R(x)·[x > 0], R(dx) = R(dy)·[x > 0].
  private ry = 0;
  bindR(): void {}
  allocateR(arena: Arena, cap: number): void { if (!this.inPlace) this.ry = arena.alloc(cap * this.n * 4); }
  releaseR(arena: Arena): void { if (!this.inPlace) arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    if (!rx) return 0;
    const ry = this.inPlace ? rx : this.ry;
    this.ctx.elementwise.reluMask(this.x, rx, ry, batch * this.n);
    return ry;
  }

  rBackward(_dy: number, rdy: number, _rspare: number, batch: number, needDx: boolean): number {
    if (needDx) this.ctx.elementwise.reluMask(this.x, rdy, rdy, batch * this.n);
    return rdy;
  }
}
