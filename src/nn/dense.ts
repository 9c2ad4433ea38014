// Fully connected layer: y = x·W + b with x [B, in], W [in, out] row-major (Keras layout), b [out].
// Backward: dW = xᵀ·dy, db = Σ_rows dy, dx = dy·Wᵀ. Three GEMM calls, no per-element JS.
import type { Arena } from '../kernels/arena.js';
import { heNormal } from './he_init.js';
import type { Layer, LayerContext } from './layer.js';
import { storeCount, tensorPointers, type TensorDecl } from './tensors.js';
import type { Rng } from '../util/rng.js';

export class Dense implements Layer {
  readonly type = 'dense';
  readonly tensors: readonly TensorDecl[];
  readonly paramCount: number;
  readonly bufferCount = 0;
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  private w = 0; private b = 0; private dw = 0; private db = 0;
  private x = 0; private y = 0;

  constructor(private readonly ctx: LayerContext, readonly inputs: number, readonly units: number) {
    this.inShape = [inputs];
    this.outShape = [units];
    this.tensors = [
      { name: 'weight', shape: [inputs, units], role: 'weight' },
      { name: 'bias', shape: [units], role: 'bias' },
    ];
    this.paramCount = storeCount(this.tensors, 'params');
  }

  bind(params: number, grads: number): void {
    [this.w, this.b] = tensorPointers(params, this.tensors, 'params');
    [this.dw, this.db] = tensorPointers(grads, this.tensors, 'params');
  }

  init(params: Float32Array, _buffers: Float32Array, rng: Rng): void {
    heNormal(params.subarray(0, this.inputs * this.units), this.inputs, rng);
    params.fill(0, this.inputs * this.units);
  }

  allocate(arena: Arena, cap: number): void { this.y = arena.alloc(cap * this.units * 4); }
  release(arena: Arena): void { arena.release(this.y); this.y = 0; }

  workspaceBytes(cap: number): number {
    const gemm = this.ctx.gemm, I = this.inputs, O = this.units;
    return Math.max(gemm.workspaceBytes(cap, O, I), gemm.workspaceBytes(I, O, cap), gemm.workspaceBytes(cap, I, O));
  }

  forward(x: number, batch: number): number {
    this.x = x;
    this.ctx.gemm.nn(batch, this.units, this.inputs, x, this.w, this.y, this.ctx.work());
    this.ctx.elementwise.biasAdd(this.y, this.b, batch, this.units);
    return this.y;
  }

  backward(dy: number, spare: number, batch: number, needDx: boolean, paramGrads = true): number {
    const gemm = this.ctx.gemm, I = this.inputs, O = this.units, work = this.ctx.work();
    if (paramGrads) {
      gemm.tn(I, O, batch, this.x, dy, this.dw, work);
      this.ctx.elementwise.biasGrad(dy, this.db, batch, O);
    }
    if (needDx) gemm.nt(batch, I, O, dy, this.w, spare, work);
    return spare;
  }

  // R-ops along V = (V_W, V_b):
  //   R(y) = R(x)·W + x·V_W + V_b
  //   R(dW) = xᵀ·R(dy) + R(x)ᵀ·dy,  R(db) = Σ_rows R(dy),  R(dx) = R(dy)·Wᵀ + dy·V_Wᵀ
  private vw = 0; private vb = 0; private hw = 0; private hb = 0;
  private rx = 0; private ry = 0;
  bindR(dir: number, out: number): void {
    [this.vw, this.vb] = tensorPointers(dir, this.tensors, 'params');
    [this.hw, this.hb] = tensorPointers(out, this.tensors, 'params');
  }
  allocateR(arena: Arena, cap: number): void { this.ry = arena.alloc(cap * this.units * 4); }
  releaseR(arena: Arena): void { arena.release(this.ry); this.ry = 0; }

  rForward(rx: number, batch: number): number {
    const gemm = this.ctx.gemm, I = this.inputs, O = this.units, work = this.ctx.work();
    this.rx = rx;
    gemm.nn(batch, O, I, this.x, this.vw, this.ry, work);
    this.ctx.elementwise.biasAdd(this.ry, this.vb, batch, O);
    if (rx) gemm.nn(batch, O, I, rx, this.w, this.ry, work, true);
    return this.ry;
  }

  rBackward(dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number {
    const gemm = this.ctx.gemm, I = this.inputs, O = this.units, work = this.ctx.work();
    gemm.tn(I, O, batch, this.x, rdy, this.hw, work);
    if (this.rx) gemm.tn(I, O, batch, this.rx, dy, this.hw, work, true);
    this.ctx.elementwise.biasGrad(rdy, this.hb, batch, O);
    if (needDx) {
      gemm.nt(batch, I, O, rdy, this.w, rspare, work);
      gemm.nt(batch, I, O, dy, this.vw, rspare, work, true);
    }
    return rspare;
  }
}
