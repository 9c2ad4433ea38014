// f64 reference GEMM (row-major, BLAS semantics) used only by tests.
export function gemmRef(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: ArrayLike<number>, lda: number, B: ArrayLike<number>, ldb: number,
  beta: number, C: Float64Array, ldc: number,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let p = 0; p < K; p++) {
        const a = transA ? A[p * lda + i] : A[i * lda + p];
        const b = transB ? B[j * ldb + p] : B[p * ldb + j];
        acc += a * b;
      }
      C[i * ldc + j] = beta === 0 ? alpha * acc : alpha * acc + beta * C[i * ldc + j];
    }
  }
}
