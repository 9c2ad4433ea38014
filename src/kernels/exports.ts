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
  // landscape_vec.ts — vectors for L-BFGS-B and the Hessian tools (src/landscape)
  box_project_f32(x: number, lo: number, hi: number, n: number): void;
  dot_f32_f64acc(a: number, b: number, n: number): number;
  add_scaled_f32(out: number, x: number, alpha: number, d: number, n: number): void;
  scale_f32(x: number, alpha: number, n: number): void;
  max_abs_f32(x: number, n: number): number;
  proj_grad_norm_inf_f32(x: number, g: number, lo: number, hi: number, n: number): number;
  max_step_in_box_f32(x: number, d: number, lo: number, hi: number, n: number): number;
  // randproj.ts — the on-the-fly random subspace matrix A (n×p) of the sharpness metric
  randproj_entry_f32(seed: number, row: number, col: number): number;
  randproj_apply_f32(seed: number, n: number, p: number, y: number, out: number, beta: number): void;
  randproj_apply_t_f32(seed: number, n: number, p: number, g: number, out: number): void;
  randproj_gram_workspace_bytes(p: number): number;
  randproj_gram_f64(seed: number, n: number, p: number, G: number, work: number): void;
}
