// n-length f32 vectors that live in Wasm memory, and the SIMD kernels on them
// (assembly/landscape_vec.ts). Every landscape tool keeps its working vectors here so
// the n-length work runs in Wasm; views are re-derived on every access because a
// memory growth (by the objective or anyone) detaches old ones.
import type { Kernels } from '../kernels/index.js';
import { NonFiniteObjectiveError } from './errors.js';
import type { Objective } from './objective.js';

export class WVec {
  constructor(private readonly k: Kernels, readonly ptr: number, readonly n: number) {}
  /** A live view (do not keep it across calls that may allocate). */
  get v(): Float32Array {
    const o = this.ptr >>> 2;
    return this.k.heapF32().subarray(o, o + this.n);
  }
}

export class VecOps {
  private live: number[] = [];
  constructor(readonly k: Kernels) {}

  alloc(n: number, fill = 0): WVec {
    const ptr = this.k.arena.alloc(Math.max(1, n) * 4);
    this.live.push(ptr);
    const w = new WVec(this.k, ptr, n);
    w.v.fill(fill);
    return w;
  }

  from(a: ArrayLike<number>): WVec {
    const w = this.alloc(a.length);
    w.v.set(a);
    return w;
  }

  /** Releases every vector this instance allocated. */
  dispose(): void {
    for (const p of this.live) this.k.arena.release(p);
    this.live = [];
  }

  copy(dst: WVec, src: WVec): void {
    const h = this.k.heapF32();
    h.copyWithin(dst.ptr >>> 2, src.ptr >>> 2, (src.ptr >>> 2) + src.n);
  }

  dot(a: WVec, b: WVec): number {
    return this.k.exports.dot_f32_f64acc(a.ptr, b.ptr, a.n);
  }

  /** out = x + alpha·d */
  addScaled(out: WVec, x: WVec, alpha: number, d: WVec): void {
    this.k.exports.add_scaled_f32(out.ptr, x.ptr, alpha, d.ptr, out.n);
  }

  scale(x: WVec, alpha: number): void {
    this.k.exports.scale_f32(x.ptr, alpha, x.n);
  }

  project(x: WVec, lo: WVec, hi: WVec): void {
    this.k.exports.box_project_f32(x.ptr, lo.ptr, hi.ptr, x.n);
  }

  maxAbs(x: WVec): number {
    return this.k.exports.max_abs_f32(x.ptr, x.n);
  }

  projGradNormInf(x: WVec, g: WVec, lo: WVec, hi: WVec): number {
    return this.k.exports.proj_grad_norm_inf_f32(x.ptr, g.ptr, lo.ptr, hi.ptr, x.n);
  }

  maxStep(x: WVec, d: WVec, lo: WVec, hi: WVec): number {
    return this.k.exports.max_step_in_box_f32(x.ptr, d.ptr, lo.ptr, hi.ptr, x.n);
  }
}

/**
 * Calls obj.evalGrad on Wasm-resident x and g and checks the result: a NaN/Infinity
 * loss or gradient is a NonFiniteObjectiveError, never a silent wrong answer. g is
 * pre-filled with NaN, so a gradient that was not written (e.g. through a view that a
 * memory growth inside evalGrad detached) is reported instead of reusing stale values.
 */
export function evaluate(ops: VecOps, obj: Objective, x: WVec, g: WVec, evaluation: number): number {
  g.v.fill(NaN);
  const f = obj.evalGrad(x.v, g.v);
  if (typeof f !== 'number' || !Number.isFinite(f)) throw new NonFiniteObjectiveError('f', evaluation, f);
  const gm = ops.maxAbs(g);
  if (!Number.isFinite(gm)) throw new NonFiniteObjectiveError('g', evaluation, gm);
  return f;
}
