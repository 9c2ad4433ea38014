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
  // gemm.ts blocking constants (register tile MR x NR, cache blocks KC, MC, NC), for tests and benches
  gemm_f32_mr(): number;
  gemm_f32_nr(): number;
  gemm_f32_kc(): number;
  gemm_f32_mc(): number;
  gemm_f32_nc(): number;
  // landscape_vec.ts — vectors for L-BFGS-B and the Hessian tools (src/landscape)
  box_project_f32(x: number, lo: number, hi: number, n: number): void;
  dot_f32_f64acc(a: number, b: number, n: number): number;
  add_scaled_f32(out: number, x: number, alpha: number, d: number, n: number): void;
  scale_f32(x: number, alpha: number, n: number): void;
  max_abs_f32(x: number, n: number): number;
  proj_grad_norm_inf_f32(x: number, g: number, lo: number, hi: number, n: number): number;
  max_step_in_box_f32(x: number, d: number, lo: number, hi: number, n: number): number;
  // lbfgsb.ts — the O(n) passes of an L-BFGS-B iteration (Cauchy breakpoints and scan order, free/active split, WᵀZZᵀW)
  lbfgsb_breakpoints_f32(x: number, g: number, lo: number, hi: number, d: number, n: number, keys: number, idx: number, stats: number): number;
  lbfgsb_buckets(): number;
  lbfgsb_bucket_f64(keys: number, idx: number, nb: number, keys2: number, idx2: number, start: number): void;
  lbfgsb_sort_run_f64(keys: number, idx: number, s: number, e: number, tmpKeys: number, tmpIdx: number, count: number): void;
  lbfgsb_set_at_bound_f32(xcp: number, idx: number, count: number, g: number, lo: number, hi: number): void;
  lbfgsb_count_free_f32(x: number, lo: number, hi: number, n: number): number;
  lbfgsb_zero_active_f32(r: number, x: number, lo: number, hi: number, n: number): void;
  lbfgsb_gram_workspace_bytes(c: number): number;
  lbfgsb_gram_f32(x: number, lo: number, hi: number, n: number, wantFree: number, ptrs: number, c: number, theta: number, sign: number, work: number, G: number, tri: number): void;
  lbfgsb_cauchy_scan_f32(
    keys2: number, idx2: number, nb: number, start: number, keys: number, idx: number, count: number,
    x: number, g: number, lo: number, hi: number, ptrs: number, c: number, M: number, p: number, cv: number,
    wb: number, tmp: number, st: number,
  ): number;
  // randproj.ts — the on-the-fly random subspace matrix A (n×p) of the sharpness metric
  randproj_entry_f32(seed: number, row: number, col: number): number;
  randproj_apply_f32(seed: number, n: number, p: number, y: number, out: number, beta: number): void;
  randproj_apply_t_f32(seed: number, n: number, p: number, g: number, out: number): void;
  randproj_gram_workspace_bytes(p: number): number;
  randproj_gram_f64(seed: number, n: number, p: number, G: number, work: number): void;

  // --- neural-network kernels (assembly/{reduce,activation,bias,softmax_xent,dropout,batchnorm,pool,im2col,conv2d,optim}.ts)
  sum_f32(x: number, n: number): number;
  dot_f32(x: number, y: number, n: number): number;
  sumsq_f32(x: number, n: number): number;
  axpy_f32(n: number, a: number, x: number, y: number): void;
  scal_f32(n: number, a: number, x: number): void;
  copy_f32(n: number, x: number, y: number): void;
  fill_f32(n: number, v: number, x: number): void;
  axpby_f32(n: number, a: number, x: number, b: number, y: number): void;
  add_f32(n: number, x: number, y: number, z: number): void;
  is_finite_f32(x: number, n: number): number;
  relu_fwd_f32(x: number, y: number, n: number): void;
  relu_bwd_f32(x: number, dy: number, dx: number, n: number): void;
  bias_add_f32(y: number, bias: number, rows: number, cols: number): void;
  bias_grad_f32(dy: number, dbias: number, rows: number, cols: number): void;
  softmax_xent_fwd_bwd_f32(logits: number, labels: number, dlogits: number, rows: number, classes: number, scale: number): number;
  softmax_xent_fwd_f32(logits: number, labels: number, rows: number, classes: number): number;
  count_correct_f32(logits: number, labels: number, rows: number, classes: number): number;
  softmax_f32(logits: number, probs: number, rows: number, classes: number): void;
  dropout_fwd_f32(x: number, y: number, mask: number, n: number, p: number, seed: number, stream: number): void;
  dropout_fwd_at_f32(x: number, y: number, mask: number, n: number, p: number, seed: number, stream: number, first: number): void;
  dropout_bwd_f32(dy: number, mask: number, dx: number, n: number): void;
  batchnorm_fwd_train_f32(
    x: number, gamma: number, beta: number, y: number, mean: number, invstd: number,
    running_mean: number, running_var: number, rows: number, C: number, momentum: number, eps: number,
  ): void;
  batchnorm_fwd_infer_f32(
    x: number, gamma: number, beta: number, running_mean: number, running_var: number, y: number,
    rows: number, C: number, eps: number,
  ): void;
  batchnorm_bwd_f32(
    x: number, dy: number, gamma: number, mean: number, invstd: number,
    dx: number, dgamma: number, dbeta: number, rows: number, C: number,
  ): void;
  maxpool2d_fwd_nhwc(
    x: number, y: number, argmax: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number,
  ): void;
  maxpool2d_bwd_nhwc(dy: number, argmax: number, dx: number, outCount: number, inCount: number): void;
  im2col_nhwc(
    x: number, col: number, H: number, W: number, C: number, KH: number, KW: number,
    SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, row0: number, rows: number,
  ): void;
  col2im_nhwc(
    col: number, dx: number, H: number, W: number, C: number, KH: number, KW: number,
    SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, row0: number, rows: number,
  ): void;
  conv2d_chunk_rows(total: number, K: number): number;
  conv2d_workspace_bytes(N: number, H: number, W: number, C: number, KH: number, KW: number, OC: number, OH: number, OW: number): number;
  conv2d_fwd_nhwc(
    x: number, w: number, bias: number, y: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_bwd_data_nhwc(
    dy: number, w: number, dx: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_bwd_filter_nhwc(
    x: number, dy: number, dw: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  // the im2col + GEMM paths alone (conv2d_*_nhwc choose between them and Winograd)
  conv2d_im2col_fwd_nhwc(
    x: number, w: number, bias: number, y: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_im2col_bwd_data_nhwc(
    dy: number, w: number, dx: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_im2col_bwd_filter_nhwc(
    x: number, dy: number, dw: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  adam_step_f32(
    params: number, grads: number, m: number, v: number, n: number,
    lr: number, beta1: number, beta2: number, eps: number, bc1: number, bc2: number, weight_decay: number,
  ): void;
  sgd_momentum_step_f32(
    params: number, grads: number, vel: number, n: number,
    lr: number, momentum: number, nesterov: number, weight_decay: number,
  ): void;

  // --- R-operator kernels for exact Hessian-vector products (assembly/{batchnorm_rop,softmax_xent_rop,pool_rop,conv2d_acc}.ts)
  batchnorm_rfwd_f32(
    x: number, rx: number, gamma: number, vgamma: number, vbeta: number, mean: number, invstd: number,
    ry: number, rstat: number, acc: number, rows: number, C: number, batch: number,
  ): void;
  batchnorm_rbwd_f32(
    x: number, rx: number, dy: number, rdy: number, gamma: number, vgamma: number, mean: number, invstd: number,
    rstat: number, rdx: number, rdgamma: number, rdbeta: number, acc: number, rows: number, C: number, batch: number,
  ): void;
  softmax_xent_rbwd_f32(logits: number, rlogits: number, rdlogits: number, rows: number, classes: number, scale: number): void;
  maxpool2d_rfwd_nhwc(rx: number, argmax: number, ry: number, outCount: number): void;
  conv2d_fwd_acc_nhwc(
    x: number, w: number, y: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_bwd_data_acc_nhwc(
    dy: number, w: number, dx: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_bwd_filter_acc_nhwc(
    x: number, dy: number, dw: number, N: number, H: number, W: number, C: number,
    KH: number, KW: number, OC: number, SH: number, SW: number, padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;

  // --- Winograd F(2×2, 3×3) for stride-1 3×3 convolutions (assembly/winograd.ts)
  winograd_f2x3_chunk_tiles(Cin: number, Cout: number, tiles: number): number;
  winograd_f2x3_tiles_workspace_bytes(Cin: number, Cout: number, tiles: number): number;
  winograd_f2x3_grad_chunk_bytes(C: number, OC: number, tiles: number): number;
  winograd_f2x3_grad_gemm_bytes(C: number, OC: number, tiles: number): number;
  winograd_f2x3_filter_fwd(w: number, U: number, C: number, OC: number, c0: number, c1: number): void;
  winograd_f2x3_filter_stride(C: number, OC: number): number;
  winograd_f2x3_filter_bytes(C: number, OC: number): number;
  winograd_f2x3_input_nhwc(x: number, V: number, H: number, W: number, C: number, padT: number, padL: number, TH: number, TW: number, t0: number, tc: number): void;
  winograd_f2x3_output_nhwc(M: number, bias: number, y: number, OH: number, OW: number, OC: number, TH: number, TW: number, t0: number, tc: number): void;
  winograd_f2x3_grad_output_nhwc(dy: number, Z: number, OH: number, OW: number, OC: number, TH: number, TW: number, t0: number, tc: number): void;
  winograd_f2x3_filter_grad(dU: number, dw: number, C: number, OC: number, c0: number, c1: number): void;
  conv2d_winograd_f2x3_fwd_tiles_nhwc(
    x: number, U: number, bias: number, y: number, N: number, H: number, W: number, C: number, OC: number,
    padT: number, padL: number, OH: number, OW: number, t0: number, t1: number, work: number,
  ): void;
  conv2d_winograd_f2x3_bwd_data_tiles_nhwc(
    dy: number, U: number, dx: number, N: number, H: number, W: number, C: number, OC: number,
    padT: number, padL: number, OH: number, OW: number, t0: number, t1: number, work: number,
  ): void;
  conv2d_winograd_f2x3_filter_grad_gemm(V: number, Z: number, dU: number, C: number, OC: number, tc: number, beta: number, e0: number, e1: number, gws: number): void;
  conv2d_winograd_f2x3_workspace_bytes(N: number, H: number, W: number, C: number, OC: number, OH: number, OW: number): number;
  conv2d_winograd_f2x3_pays(N: number, C: number, OC: number, OH: number, OW: number): number;
  conv2d_winograd_f2x3_fwd_nhwc(
    x: number, w: number, bias: number, y: number, N: number, H: number, W: number, C: number, OC: number,
    padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_winograd_f2x3_bwd_data_nhwc(
    dy: number, w: number, dx: number, N: number, H: number, W: number, C: number, OC: number,
    padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
  conv2d_winograd_f2x3_bwd_filter_nhwc(
    x: number, dy: number, dw: number, N: number, H: number, W: number, C: number, OC: number,
    padT: number, padL: number, OH: number, OW: number, work: number,
  ): void;
}
