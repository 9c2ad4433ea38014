// Named bindings of the elementwise and row-broadcast kernels the layers use: ReLU, bias,
// dropout masks, fill and copy. Pointers are byte offsets of f32 (or i32) arrays in Wasm
// memory; nothing is allocated per call.
import type { KernelExports } from '../exports.js';

export class ElementwiseKernels {
  constructor(private readonly e: KernelExports) {}

  /** y = max(x, 0) (y may be x). */
  relu(x: number, y: number, n: number): void { this.e.relu_fwd_f32(x, y, n); }

  /** out = d·[x > 0] (out may be d): ReLU's backward, and its R-operator with the same mask. */
  reluMask(x: number, d: number, out: number, n: number): void { this.e.relu_bwd_f32(x, d, out, n); }

  /** y[r][c] += bias[c] over rows × cols. */
  biasAdd(y: number, bias: number, rows: number, cols: number): void { this.e.bias_add_f32(y, bias, rows, cols); }

  /** dbias[c] = Σ_r dy[r][c] (overwritten). */
  biasGrad(dy: number, dbias: number, rows: number, cols: number): void { this.e.bias_grad_f32(dy, dbias, rows, cols); }

  /**
   * Inverted dropout: mask ∈ {0, 1/(1−rate)} from a counter-based hash of (seed, stream,
   * element), y = x·mask.
   */
  dropout(x: number, y: number, mask: number, n: number, rate: number, seed: number, stream: number): void {
    this.e.dropout_fwd_f32(x, y, mask, n, rate, seed, stream);
  }

  /** out = d·mask: dropout's backward, and its R-operator with the same mask. */
  maskMul(d: number, mask: number, out: number, n: number): void { this.e.dropout_bwd_f32(d, mask, out, n); }

  fill(x: number, value: number, n: number): void { this.e.fill_f32(n, value, x); }

  /** to[0..n) = from[0..n). */
  copy(from: number, to: number, n: number): void { this.e.copy_f32(n, from, to); }
}
