// Named bindings of gemm_f32 for dense (row-major, unpadded) matrices: the three products a
// layer's forward and backward need, named by which operand is transposed, so a call site
// reads `gemm.tn(I, O, batch, x, dy, dw, work)` instead of 14 positional arguments. Plain
// methods over numbers: nothing is allocated per call (these run every training step).
import type { KernelExports } from '../exports.js';

export class GemmKernels {
  constructor(private readonly e: KernelExports) {}

  /** Scratch bytes of any of the three products of these sizes. */
  workspaceBytes(M: number, N: number, K: number): number {
    return this.e.gemm_f32_workspace_bytes(M, N, K);
  }

  /** C[M×N] = A[M×K]·B[K×N] (+ C when accumulate). */
  nn(M: number, N: number, K: number, A: number, B: number, C: number, work: number, accumulate = false): void {
    this.e.gemm_f32(0, 0, M, N, K, 1, A, K, B, N, accumulate ? 1 : 0, C, N, work);
  }

  /** C[M×N] = Aᵀ·B with A stored K×M and B K×N (+ C when accumulate). */
  tn(M: number, N: number, K: number, A: number, B: number, C: number, work: number, accumulate = false): void {
    this.e.gemm_f32(1, 0, M, N, K, 1, A, M, B, N, accumulate ? 1 : 0, C, N, work);
  }

  /** C[M×N] = A·Bᵀ with A stored M×K and B N×K (+ C when accumulate). */
  nt(M: number, N: number, K: number, A: number, B: number, C: number, work: number, accumulate = false): void {
    this.e.gemm_f32(0, 1, M, N, K, 1, A, K, B, K, accumulate ? 1 : 0, C, N, work);
  }
}
