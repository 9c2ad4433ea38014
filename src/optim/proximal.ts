// The proximal (conservative-training) term of Keskar et al.'s remedy: each step approximately
// solves min_x f_B(x) + λ/2·‖x − x_k‖² with a few optimizer steps, x_k the iterate the step
// started from. This holds x_k and adds the term's gradient λ(x − x_k) to the batch gradient.
import type { Kernels } from '../kernels/kernels.js';
import { checkHyper } from './optimizer.js';

export class ProximalTerm {
  readonly lambda: number;
  private readonly anchorPtr: number;
  private disposed = false;

  constructor(private readonly k: Kernels, readonly n: number, lambda: number) {
    this.lambda = checkHyper('lambda', lambda, 0, Infinity);
    this.anchorPtr = k.arena.alloc(n * 4);
    k.exports.fill_f32(n, 0, this.anchorPtr);
  }

  /** x_k = params (the start of a proximal sub-problem). */
  anchor(params: number): void {
    this.k.exports.copy_f32(this.n, params, this.anchorPtr);
  }

  /** grads += λ·(params − x_k). */
  addGradient(params: number, grads: number): void {
    const e = this.k.exports;
    e.axpy_f32(this.n, this.lambda, params, grads);
    e.axpy_f32(this.n, -this.lambda, this.anchorPtr, grads);
  }

  /** A copy of x_k. */
  anchorCopy(): Float32Array {
    return new Float32Array(this.k.memory.buffer, this.anchorPtr, this.n).slice();
  }

  dispose(): void {
    if (this.disposed) return;
    this.k.arena.release(this.anchorPtr);
    this.disposed = true;
  }
}
