// The raw Wasm exports, typed. Pointers are byte offsets into the module's memory;
// booleans are passed as 0/1. Add each new kernel here when it is exported from
// assembly/index.ts.
export interface KernelExports {
  heap_base(): number;
  relaxed_build(): number;
  gemm_f32_workspace_bytes(M: number, N: number, K: number): number;
  gemm_f32(
    transA: number, transB: number, M: number, N: number, K: number,
    alpha: number, A: number, lda: number, B: number, ldb: number,
    beta: number, C: number, ldc: number, work: number,
  ): void;
}
