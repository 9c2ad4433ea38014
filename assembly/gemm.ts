// GEMM, row-major: C = alpha * op(A) * op(B) + beta * C.
// op(A) is M x K, op(B) is K x N. transA/transB select op(X) = X^T.
// beta == 0 means C is write-only (NaN/Inf already in C are not propagated), as in BLAS.
// BASELINE (scalar) — to be replaced by the packed, register-tiled SIMD version.

/** Bytes of scratch the caller must pass as `work` for these sizes. */
export function gemm_f32_workspace_bytes(M: i32, N: i32, K: i32): usize {
  return 0;
}

export function gemm_f32(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, work: usize,
): void {
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let acc: f32 = 0;
      for (let p = 0; p < K; p++) {
        const a = transA ? load<f32>(A + ((<usize>p * lda + i) << 2)) : load<f32>(A + ((<usize>i * lda + p) << 2));
        const b = transB ? load<f32>(B + ((<usize>j * ldb + p) << 2)) : load<f32>(B + ((<usize>p * ldb + j) << 2));
        acc += a * b;
      }
      const c = C + ((<usize>i * ldc + j) << 2);
      store<f32>(c, beta == 0 ? alpha * acc : alpha * acc + beta * load<f32>(c));
    }
  }
}
