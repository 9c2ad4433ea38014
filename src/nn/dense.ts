// Fully connected layer: y = x·W + b with x [B, in], W [in, out] row-major (Keras layout), b [out].
// Backward: dW = xᵀ·dy, db = Σ_rows dy, dx = dy·Wᵀ. Three GEMM calls, no per-element JS.
import type { Arena } from '../kernels/arena.js';
import { heNormal } from './he_init.js';
import type { Layer, LayerContext } from './layer.js';
import type { Rng } from '../util/rng.js';

export class Dense implements Layer {
  readonly type = 'dense';
  readonly paramCount: number;
  readonly bufferCount = 0;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  private w = 0; private b = 0; private dw = 0; private db = 0;
  private x = 0; private y = 0;

  constructor(private readonly ctx: LayerContext, readonly inputs: number, readonly units: number) {
    this.inShape = [inputs];
    this.outShape = [units];
    this.paramCount = inputs * units + units;
  }

  bind(params: number, grads: number): void {
    this.w = params; this.b = params + this.inputs * this.units * 4;
    this.dw = grads; this.db = grads + this.inputs * this.units * 4;
  }

  init(params: Float32Array, _buffers: Float32Array, rng: Rng): void {
    heNormal(params.subarray(0, this.inputs * this.units), this.inputs, rng);
    params.fill(0, this.inputs * this.units);
  }

  allocate(arena: Arena, cap: number): void { this.y = arena.alloc(cap * this.units * 4); }
  release(arena: Arena): void { arena.release(this.y); this.y = 0; }

  workspaceBytes(cap: number): number {
    const e = this.ctx.exports, I = this.inputs, O = this.units;
    return Math.max(e.gemm_f32_workspace_bytes(cap, O, I), e.gemm_f32_workspace_bytes(I, O, cap), e.gemm_f32_workspace_bytes(cap, I, O));
  }

  forward(x: number, batch: number): number {
    const e = this.ctx.exports, I = this.inputs, O = this.units;
    this.x = x;
    e.gemm_f32(0, 0, batch, O, I, 1, x, I, this.w, O, 0, this.y, O, this.ctx.work());
    e.bias_add_f32(this.y, this.b, batch, O);
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx: boolean): number {
    const e = this.ctx.exports, I = this.inputs, O = this.units, work = this.ctx.work();
    e.gemm_f32(1, 0, I, O, batch, 1, this.x, I, dy, O, 0, this.dw, O, work);
    e.bias_grad_f32(dy, this.db, batch, O);
    if (needDx) e.gemm_f32(0, 1, batch, I, O, 1, dy, O, this.w, O, 0, spare, I, work);
    return spare;
  }

  // R-ops along V = (V_W, V_b):
  //   R(y) = R(x)·W + x·V_W + V_b
  //   R(dW) = xᵀ·R(dy) + R(x)ᵀ·dy,  R(db) = Σ_rows R(dy),  R(dx) = R(dy)·Wᵀ + dy·V_Wᵀ
  private vw = 0; private vb = 0; private hw = 0; private hb = 0;
  private rx = 0; private ry = 0;
  bindR(dir: number, out: number): void {
    this.vw = dir; this.vb = dir + this.inputs * this.units * 4;
    this.hw = out; this.hb = out + this.inputs * this.units * 4;
  }
  allocateR(arena: Arena, cap: number): void { this.ry = arena.alloc(cap * this.units * 4); }
  releaseR(arena: Arena): void { arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    const e = this.ctx.exports, I = this.inputs, O = this.units, work = this.ctx.work();
    this.rx = rx;
    e.gemm_f32(0, 0, batch, O, I, 1, this.x, I, this.vw, O, 0, this.ry, O, work);
    e.bias_add_f32(this.ry, this.vb, batch, O);
    if (rx) e.gemm_f32(0, 0, batch, O, I, 1, rx, I, this.w, O, 1, this.ry, O, work);
    return this.ry;
  }

  rBackward(dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number {
    const e = this.ctx.exports, I = this.inputs, O = this.units, work = this.ctx.work();
    e.gemm_f32(1, 0, I, O, batch, 1, this.x, I, rdy, O, 0, this.hw, O, work);
    if (this.rx) e.gemm_f32(1, 0, I, O, batch, 1, this.rx, I, dy, O, 1, this.hw, O, work);
    e.bias_grad_f32(rdy, this.hb, batch, O);
    if (needDx) {
      e.gemm_f32(0, 1, batch, I, O, 1, rdy, O, this.w, O, 0, rspare, I, work);
      e.gemm_f32(0, 1, batch, I, O, 1, dy, O, this.vw, O, 1, rspare, I, work);
    }
    return rspare;
  }
}
