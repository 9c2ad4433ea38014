// 2-D convolution, NHWC activations, HWIO weights [KH][KW][C][OC], by im2col + GEMM, or by
// Winograd F(2×2, 3×3) (winograd.ts) for stride-1 3×3 convolutions where it pays.
// The flattened output pixels (n, oh, ow) are processed in chunks of R rows so the
// column buffer stays within COL_BUDGET_BYTES whatever the batch; a 1×1, stride-1,
// unpadded conv needs no column buffer (x already is the column matrix).
// The caller passes `work` of conv2d_workspace_bytes(...) bytes: [col | gemm scratch].
import { gemm_f32, gemm_f32_kc, gemm_f32_workspace_bytes } from './gemm';
import { bias_add_f32 } from './bias';
import { im2col_nhwc, col2im_nhwc } from './im2col';
import {
  conv2d_winograd_f2x3_pays, conv2d_winograd_f2x3_workspace_bytes,
  conv2d_winograd_f2x3_fwd_nhwc, conv2d_winograd_f2x3_bwd_data_nhwc, conv2d_winograd_f2x3_bwd_filter_nhwc,
} from './winograd';

const COL_BUDGET_BYTES: i64 = 4 << 20;
const MIN_CHUNK_ROWS: i64 = 64;

@inline function isPointwise(H: i32, W: i32, KH: i32, KW: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32): bool {
  return KH == 1 && KW == 1 && SH == 1 && SW == 1 && padT == 0 && padL == 0 && OH == H && OW == W;
}

/** Rows (output pixels) per im2col chunk for `total` pixels and K = KH·KW·C. */
export function conv2d_chunk_rows(total: i32, K: i32): i32 {
  let r = COL_BUDGET_BYTES / (<i64>max(K, 1) * 4);
  if (r < MIN_CHUNK_ROWS) r = MIN_CHUNK_ROWS;
  if (r > <i64>total) r = <i64>total;
  return max(<i32>r, 1);
}

/** Stride-1 3×3 convolutions with enough channels run by Winograd F(2×2, 3×3) (winograd.ts). */
@inline function useWinograd(N: i32, C: i32, KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, OH: i32, OW: i32): bool {
  return KH == 3 && KW == 3 && SH == 1 && SW == 1 && conv2d_winograd_f2x3_pays(N, C, OC, OH, OW) != 0;
}

@inline function chunkRows(total: i32, K: i32): i32 { return conv2d_chunk_rows(total, K); }

@inline function alignUp64(n: usize): usize { return (n + 63) & ~(<usize>63); }

@inline function maxu(a: usize, b: usize): usize { return a > b ? a : b; }

/**
 * GEMM scratch enough for the three products of ANY chunk of m ≤ R output pixels:
 * fwd (m × OC, depth K), bwd_data (m × K, depth OC), bwd_filter (K × OC, depth m).
 * The GEMM's scratch grows with M and N, but not monotonically with the depth (it
 * splits depth into balanced blocks of ≤ gemm_f32_kc()), so the depth-m product is
 * bounded by its value at depth min(R, kc), the largest block any m ≤ R can produce.
 * test/kernels/conv2d.test.ts checks this bound against every chunk of every batch ≤ N.
 */
function gemmScratch(R: i32, K: i32, OC: i32): usize {
  return maxu(gemm_f32_workspace_bytes(R, OC, K),
    maxu(gemm_f32_workspace_bytes(R, K, OC), gemm_f32_workspace_bytes(K, OC, min(R, gemm_f32_kc()))));
}

/**
 * Bytes of `work` needed by conv2d_fwd/bwd_data/bwd_filter_nhwc (the same for all three)
 * for a batch of N — and for any smaller batch, so a layer can size it for its capacity.
 */
export function conv2d_workspace_bytes(N: i32, H: i32, W: i32, C: i32, KH: i32, KW: i32, OC: i32, OH: i32, OW: i32): usize {
  const total = N * OH * OW;
  if (total <= 0) return 0;
  const K = KH * KW * C;
  const R = chunkRows(total, K);
  let bytes = alignUp64(<usize>R * K * 4) + gemmScratch(R, K, OC);
  // The pointwise path (1×1, stride 1, no padding) runs one GEMM over all pixels and no
  // column buffer; stride and padding are not arguments here, so cover it whenever possible.
  if (KH == 1 && KW == 1 && OH == H && OW == W) bytes = maxu(bytes, gemmScratch(total, K, OC));
  // A 3×3 conv may take the Winograd path (if stride 1, which is not an argument here either).
  if (KH == 3 && KW == 3) bytes = maxu(bytes, conv2d_winograd_f2x3_workspace_bytes(N, H, W, C, OC, OH, OW));
  return bytes;
}

/** y = conv(x, w) (+ bias[oc] unless bias == 0). y is [N][OH][OW][OC]. */
export function conv2d_fwd_nhwc(
  x: usize, w: usize, bias: usize, y: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  if (total <= 0 || OC <= 0) return;
  if (useWinograd(N, C, KH, KW, OC, SH, SW, OH, OW)) {
    conv2d_winograd_f2x3_fwd_nhwc(x, w, bias, y, N, H, W, C, OC, padT, padL, OH, OW, work);
    return;
  }
  conv2d_im2col_fwd_nhwc(x, w, bias, y, N, H, W, C, KH, KW, OC, SH, SW, padT, padL, OH, OW, work);
}

/** The im2col + GEMM path of conv2d_fwd_nhwc (any shape; the benchmarks compare it with Winograd). */
export function conv2d_im2col_fwd_nhwc(
  x: usize, w: usize, bias: usize, y: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  if (total <= 0 || OC <= 0) return;
  const K = KH * KW * C;
  if (isPointwise(H, W, KH, KW, SH, SW, padT, padL, OH, OW)) {
    gemm_f32(0, 0, total, OC, K, 1, x, K, w, OC, 0, y, OC, work);
  } else {
    const R = chunkRows(total, K);
    const col = work, gws = work + alignUp64(<usize>R * K * 4);
    for (let r0 = 0; r0 < total; r0 += R) {
      const m = min(R, total - r0);
      im2col_nhwc(x, col, H, W, C, KH, KW, SH, SW, padT, padL, OH, OW, r0, m);
      gemm_f32(0, 0, m, OC, K, 1, col, K, w, OC, 0, y + ((<usize>r0 * OC) << 2), OC, gws);
    }
  }
  if (bias) bias_add_f32(y, bias, total, OC);
}

/** dx = ∂(Σ dy·y)/∂x (overwritten), dx is [N][H][W][C]. */
export function conv2d_bwd_data_nhwc(
  dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  if (total > 0 && useWinograd(N, C, KH, KW, OC, SH, SW, OH, OW)) {
    conv2d_winograd_f2x3_bwd_data_nhwc(dy, w, dx, N, H, W, C, OC, padT, padL, OH, OW, work);
    return;
  }
  conv2d_im2col_bwd_data_nhwc(dy, w, dx, N, H, W, C, KH, KW, OC, SH, SW, padT, padL, OH, OW, work);
}

/** The im2col + GEMM path of conv2d_bwd_data_nhwc (any shape; the benchmarks compare it with Winograd). */
export function conv2d_im2col_bwd_data_nhwc(
  dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  const K = KH * KW * C;
  if (total > 0 && isPointwise(H, W, KH, KW, SH, SW, padT, padL, OH, OW)) {
    gemm_f32(0, 1, total, C, OC, 1, dy, OC, w, OC, 0, dx, C, work);
    return;
  }
  const inCount = <usize>N * H * W * C;
  if (inCount) memory.fill(dx, 0, inCount << 2);
  if (total <= 0) return;
  const R = chunkRows(total, K);
  const col = work, gws = work + alignUp64(<usize>R * K * 4);
  for (let r0 = 0; r0 < total; r0 += R) {
    const m = min(R, total - r0);
    // dcol = dy_chunk · Wᵀ, W viewed as K × OC.
    gemm_f32(0, 1, m, K, OC, 1, dy + ((<usize>r0 * OC) << 2), OC, w, OC, 0, col, K, gws);
    col2im_nhwc(col, dx, H, W, C, KH, KW, SH, SW, padT, padL, OH, OW, r0, m);
  }
}

/** dw = ∂(Σ dy·y)/∂w (overwritten), dw is HWIO [KH][KW][C][OC]. */
export function conv2d_bwd_filter_nhwc(
  x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  const K = KH * KW * C;
  if (total <= 0) {
    const n = <usize>K * OC;
    if (n) memory.fill(dw, 0, n << 2);
    return;
  }
  if (useWinograd(N, C, KH, KW, OC, SH, SW, OH, OW)) {
    conv2d_winograd_f2x3_bwd_filter_nhwc(x, dy, dw, N, H, W, C, OC, padT, padL, OH, OW, work);
    return;
  }
  conv2d_im2col_bwd_filter_nhwc(x, dy, dw, N, H, W, C, KH, KW, OC, SH, SW, padT, padL, OH, OW, work);
}

/** The im2col + GEMM path of conv2d_bwd_filter_nhwc (any shape; the benchmarks compare it with Winograd). */
export function conv2d_im2col_bwd_filter_nhwc(
  x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, OC: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const total = N * OH * OW;
  const K = KH * KW * C;
  if (total <= 0) {
    const n = <usize>K * OC;
    if (n) memory.fill(dw, 0, n << 2);
    return;
  }
  if (isPointwise(H, W, KH, KW, SH, SW, padT, padL, OH, OW)) {
    gemm_f32(1, 0, K, OC, total, 1, x, K, dy, OC, 0, dw, OC, work);
    return;
  }
  const R = chunkRows(total, K);
  const col = work, gws = work + alignUp64(<usize>R * K * 4);
  for (let r0 = 0; r0 < total; r0 += R) {
    const m = min(R, total - r0);
    im2col_nhwc(x, col, H, W, C, KH, KW, SH, SW, padT, padL, OH, OW, r0, m);
    // dw (+)= col_chunkᵀ · dy_chunk; the first chunk overwrites.
    gemm_f32(1, 0, K, OC, m, 1, col, K, dy + ((<usize>r0 * OC) << 2), OC, r0 == 0 ? 0 : 1, dw, OC, gws);
  }
}
