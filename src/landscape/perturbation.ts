// f restricted to perturbations of a point: y ↦ s·f(x + A·y), with ∇ = s·Aᵀ∇f(x + A·y),
// where A = I (full space, y ∈ Rⁿ) or a subspace matrix (y ∈ Rᵖ: a RandomSubspace, or any
// SubspaceBasis of subspace_basis.ts) and s = ±1 (−1 turns the sharpness maximization into a
// minimization). x + A·y is formed in f32 in Wasm memory.
import type { Kernels } from '../kernels/index.js';
import { KernelRangeError } from '../kernels/errors.js';
import { checkObjective, checkPoint, type Objective } from './objective.js';
import { RandomSubspace } from './randproj.js';
import { UniformColumns, type SubspaceBasis } from './subspace_basis.js';
import { VecOps, WVec, evaluate } from './vec.js';

export class PerturbedObjective implements Objective {
  readonly n: number;
  /** Evaluations of the underlying objective. */
  evaluations = 0;
  /** f at the first evaluation (NaN before any). */
  firstValue = NaN;
  private x: WVec; private z: WVec; private gz: WVec | null;
  private yTmp: WVec; private gTmp: WVec;
  readonly sub: SubspaceBasis | null;

  constructor(
    readonly k: Kernels, readonly ops: VecOps, readonly obj: Objective, x: Float32Array,
    sub: RandomSubspace | SubspaceBasis | null = null, readonly sign: 1 | -1 = 1,
  ) {
    this.sub = sub instanceof RandomSubspace ? new UniformColumns(k, sub.n, sub.p, sub.seed) : sub;
    checkObjective(obj);
    checkPoint('x', x, obj.n);
    if (sub && sub.n !== obj.n) throw new KernelRangeError('sub', `subspace has n = ${sub.n}, the objective n = ${obj.n}`);
    this.n = sub ? sub.p : obj.n;
    this.x = ops.from(x);
    this.z = ops.alloc(obj.n);
    this.gz = sub ? ops.alloc(obj.n) : null;
    this.yTmp = ops.alloc(this.n); this.gTmp = ops.alloc(this.n);
  }

  evalGrad(y: Float32Array, gy: Float32Array): number {
    const { k, ops, sub } = this;
    const N = this.obj.n;
    // Views of Wasm memory are used in place; other arrays go through scratch.
    const inWasm = (a: Float32Array) => a.buffer === k.memory.buffer;
    let yPtr: number;
    if (inWasm(y)) yPtr = y.byteOffset; else { this.yTmp.v.set(y); yPtr = this.yTmp.ptr; }
    const gOut = inWasm(gy) ? new WVec(k, gy.byteOffset, this.n) : this.gTmp;
    let f: number;
    if (sub) {
      ops.copy(this.z, this.x);
      sub.applyAt(yPtr, this.z.ptr, 1);
      f = evaluate(ops, this.obj, this.z, this.gz!, this.evaluations + 1);
      sub.applyTAt(this.gz!.ptr, gOut.ptr);
    } else {
      k.exports.add_scaled_f32(this.z.ptr, this.x.ptr, 1, yPtr, N);
      f = evaluate(ops, this.obj, this.z, gOut, this.evaluations + 1);
    }
    this.evaluations++;
    if (this.evaluations === 1) this.firstValue = f;
    if (this.sign < 0) ops.scale(gOut, -1);
    if (gOut === this.gTmp) gy.set(this.gTmp.v);
    return this.sign * f;
  }
}
