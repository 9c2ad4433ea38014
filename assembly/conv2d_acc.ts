// Accumulating variants of the convolution kernels (conv2d.ts) for the R-operator of a
// convolution, whose directional derivatives are sums of two convolutions:
//   Ry = conv(Rx, W) + conv(x, V) + Vb,  R(dW) = corr(Rx, dy) + corr(x, R(dy)),
//   R(dx) = convᵀ(R(dy), W) + convᵀ(dy, V).
// Each adds into its output instead of overwriting it (GEMM beta = 1; col2im adds), so the
// second term needs no temporary. Same arguments and `work` as conv2d.ts.
import { gemm_f32 } from './gemm';
import { im2col_nhwc, col2im_nhwc } from './im2col';
import { conv2d_chunk_rows } from './conv2d';

@inline function pointwise(H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32): bool {
  return KH == 1 && KW == 1 && SH == 1 && SW == 1 && padT == 0 && padL == 0 && OH == H && OW == W;
}
@inline function colBytes(R: i32, K: i32): usize { return (<usize>R * K * 4 + 63) & ~(<usize>63); }

/** y += conv(x, w) (no bias). */
export function conv2d_fwd_acc_nhwc(
  x: usize, w: usize, y: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  if (total <= 0 || OC <= 0) return;
  const K = KH * KW * C;
  if (pointwise(H, W, KH, KW, SH, SW, padT, padL, OH, OW)) {
    gemm_f32(0, 0, total, OC, K, 1, x, K, w, OC, 1, y, OC, work);
    return;
  }
  const R = conv2d_chunk_rows(total, K);
  const col = work, gws = work + colBytes(R, K);
  for (let r0 = 0; r0 < total; r0 += R) {
    const m = min(R, total - r0);
    im2col_nhwc(x, col, H, W, C, KH, KW, SH, SW, padT, padL, OH, OW, r0, m);
    gemm_f32(0, 0, m, OC, K, 1, col, K, w, OC, 1, y + ((<usize>r0 * OC) << 2), OC, gws);
  }
}

/** dx += ∂(Σ dy·conv(x, w))/∂x. */
export function conv2d_bwd_data_acc_nhwc(
  dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  if (total <= 0) return;
  const K = KH * KW * C;
  if (pointwise(H, W, KH, KW, SH, SW, padT, padL, OH, OW)) {
    gemm_f32(0, 1, total, C, OC, 1, dy, OC, w, OC, 1, dx, C, work);
    return;
  }
  const R = conv2d_chunk_rows(total, K);
  const col = work, gws = work + colBytes(R, K);
  for (let r0 = 0; r0 < total; r0 += R) {
    const m = min(R, total - r0);
    gemm_f32(0, 1, m, K, OC, 1, dy + ((<usize>r0 * OC) << 2), OC, w, OC, 0, col, K, gws);
    col2im_nhwc(col, dx, H, W, C, KH, KW, SH, SW, padT, padL, OH, OW, r0, m);
  }
}

/** dw += ∂(Σ dy·conv(x, w))/∂w. */
export function conv2d_bwd_filter_acc_nhwc(
  x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  if (total <= 0) return;
  const K = KH * KW * C;
  if (pointwise(H, W, KH, KW, SH, SW, padT, padL, OH, OW)) {
    gemm_f32(1, 0, K, OC, total, 1, x, K, dy, OC, 1, dw, OC, work);
    return;
  }
  const R = conv2d_chunk_rows(total, K);
  const col = work, gws = work + colBytes(R, K);
  for (let r0 = 0; r0 < total; r0 += R) {
    const m = min(R, total - r0);
    im2col_nhwc(x, col, H, W, C, KH, KW, SH, SW, padT, padL, OH, OW, r0, m);
    gemm_f32(1, 0, K, OC, m, 1, col, K, dy + ((<usize>r0 * OC) << 2), OC, 1, dw, OC, gws);
  }
}
