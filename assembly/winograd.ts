// Winograd F(2×2, 3×3) convolution, NHWC activations, HWIO weights [3][3][C][OC], stride 1,
// any top/left padding and output size (as conv2d.ts). Lavin & Gray (2016), "Fast Algorithms
// for Convolutional Neural Networks": per 2×2 output tile,
//   Y = Aᵀ [ Σ_c (G g_{c,oc} Gᵀ) ⊙ (Bᵀ d_c B) ] A
// with the 4×4 input tile d (rows 2·th − padT …+3, cols 2·tw − padL …+3, zeros outside) and
//   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],  G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],
//   Aᵀ = [1 1 1 0; 0 1 −1 −1].
// The channel sum is 16 GEMMs (one per Winograd-domain position ξν): M_ξν = V_ξν · U_ξν with
// V_ξν tiles × C and U_ξν C × OC: 4 multiplies per output instead of im2col's 9 (2.25× fewer
// flops), plus the transforms (adds, linear in C and OC).
//
// Backward-data is the same algorithm: dx is a stride-1 3×3 correlation of dy (zero outside
// OH × OW) with the flipped, transposed filter w'[kh][kw][oc][c] = w[2−kh][2−kw][c][oc] and
// padding 2 − padT, 2 − padL. Backward-filter is the adjoint of the forward in the Winograd
// domain: dU_ξν = Σ_tiles V_ξνᵀ · Z_ξν with Z = A dY Aᵀ (the 2×2 output-gradient tile, zero
// outside OH × OW), then dw = Gᵀ dU G.
//
// Layouts: U [16][Cin][Cout]; per chunk of tc tiles V [tc][16][Cin] and M (or Z) [tc][16][Cout],
// so each transform writes or reads one contiguous block per tile; the GEMMs read them with
// leading dimension 16·C. Tiles are numbered over (n, th, tw), TH = ⌈OH/2⌉, TW = ⌈OW/2⌉.
// The tile-range entry points (…_tiles_…, …_filter_grad_gemm) let the host split a call over
// threads (src/kernels/plans.ts); the conv2d_winograd_f2x3_*_nhwc drivers run a whole call.
import { gemm_f32, gemm_f32_kc, gemm_f32_mr, gemm_f32_workspace_bytes } from './gemm';

/** Bytes of V + M per chunk of tiles (a chunk stays in L2 between its transform and its GEMMs). */
const CHUNK_BUDGET: i32 = 1 << 20;
/** Fewest tiles per chunk (the GEMMs' M; below it packing U dominates). */
const MIN_CHUNK_TILES: i32 = 32;

// @ts-ignore: decorator
@inline function align64(n: usize): usize { return (n + 63) & ~(<usize>63); }
// @ts-ignore: decorator
@inline function maxu(a: usize, b: usize): usize { return a > b ? a : b; }

/**
 * Bytes between the 16 Winograd-position blocks of U (and dU): C·OC floats rounded up to a cache
 * line plus one line, so the 16 streams of the filter transforms do not alias in the cache (a
 * power-of-two block size would put them all in one set).
 */
export function winograd_f2x3_filter_stride(C: i32, OC: i32): usize {
  return align64(<usize>C * OC * 4) + 64;
}

/** Bytes of U (or dU): 16 blocks of winograd_f2x3_filter_stride. */
export function winograd_f2x3_filter_bytes(C: i32, OC: i32): usize {
  return 16 * winograd_f2x3_filter_stride(C, OC);
}

/**
 * Tiles per chunk for Cin input and Cout output channels and `tiles` tiles in all: a multiple
 * of the GEMM's MR (so a thread split at chunk boundaries keeps every GEMM row in the same kind
 * of register tile, and the bits do not depend on the thread count).
 */
export function winograd_f2x3_chunk_tiles(Cin: i32, Cout: i32, tiles: i32): i32 {
  const mr = gemm_f32_mr();
  let tc = CHUNK_BUDGET / (64 * max(Cin + Cout, 1));
  if (tc < MIN_CHUNK_TILES) tc = MIN_CHUNK_TILES;
  const all = (max(tiles, 1) + mr - 1) / mr * mr;
  if (tc > all) tc = all;
  return max(tc / mr * mr, mr);
}

/** Per-thread scratch of conv2d_winograd_f2x3_{fwd,bwd_data}_tiles_nhwc (Cin, Cout = C, OC or OC, C): [V chunk | M chunk | GEMM scratch]. */
export function winograd_f2x3_tiles_workspace_bytes(Cin: i32, Cout: i32, tiles: i32): usize {
  const tc = winograd_f2x3_chunk_tiles(Cin, Cout, tiles);
  return align64(<usize>tc * 16 * Cin * 4) + align64(<usize>tc * 16 * Cout * 4) + gemm_f32_workspace_bytes(tc, Cout, Cin);
}

/** Scratch of the backward-filter chunk: [V chunk | Z chunk] (the GEMM scratch is separate). */
export function winograd_f2x3_grad_chunk_bytes(C: i32, OC: i32, tiles: i32): usize {
  const tc = winograd_f2x3_chunk_tiles(C, OC, tiles);
  return align64(<usize>tc * 16 * C * 4) + align64(<usize>tc * 16 * OC * 4);
}

/** GEMM scratch of one backward-filter product dU_ξν (C × OC, depth ≤ one chunk). */
export function winograd_f2x3_grad_gemm_bytes(C: i32, OC: i32, tiles: i32): usize {
  const tc = winograd_f2x3_chunk_tiles(C, OC, tiles);
  return gemm_f32_workspace_bytes(C, OC, min(tc, gemm_f32_kc()));
}

// ---------------------------------------------------------------- filter transforms

/**
 * U[ξ][ν][c][oc] = (G g Gᵀ)[ξ][ν] with g = w[·][·][c][oc], for c in [c0, c1), the 16 C × OC
 * blocks winograd_f2x3_filter_stride(C, OC) bytes apart. SIMD over oc.
 */
export function winograd_f2x3_filter_fwd(w: usize, U: usize, C: i32, OC: i32, c0: i32, c1: i32): void {
  const s = <usize>C * OC << 2;        // bytes between kernel taps
  const us = winograd_f2x3_filter_stride(C, OC); // bytes between Winograd positions
  const half = f32x4.splat(0.5);
  for (let c = c0; c < c1; c++) {
    const row = (<usize>c * OC) << 2;
    let oc = 0;
    for (; oc + 4 <= OC; oc += 4) {
      const src = w + row + (<usize>oc << 2), dst = U + row + (<usize>oc << 2);
      // Columns first: t[kh][ν] = (g[kh][·] Gᵀ)[ν] …
      const p0 = src, p1 = src + 3 * s, p2 = src + 6 * s;
      const g00 = v128.load(p0), g01 = v128.load(p0 + s), g02 = v128.load(p0 + 2 * s);
      const g10 = v128.load(p1), g11 = v128.load(p1 + s), g12 = v128.load(p1 + 2 * s);
      const g20 = v128.load(p2), g21 = v128.load(p2 + s), g22 = v128.load(p2 + 2 * s);
      const a01 = f32x4.mul(half, f32x4.add(f32x4.add(g00, g01), g02)), a02 = f32x4.mul(half, f32x4.add(f32x4.sub(g00, g01), g02));
      const a11 = f32x4.mul(half, f32x4.add(f32x4.add(g10, g11), g12)), a12 = f32x4.mul(half, f32x4.add(f32x4.sub(g10, g11), g12));
      const a21 = f32x4.mul(half, f32x4.add(f32x4.add(g20, g21), g22)), a22 = f32x4.mul(half, f32x4.add(f32x4.sub(g20, g21), g22));
      // … then rows: U[ξ][ν] = (G t[·][ν])[ξ].
      v128.store(dst, g00); v128.store(dst + us, a01); v128.store(dst + 2 * us, a02); v128.store(dst + 3 * us, g02);
      v128.store(dst + 4 * us, f32x4.mul(half, f32x4.add(f32x4.add(g00, g10), g20)));
      v128.store(dst + 5 * us, f32x4.mul(half, f32x4.add(f32x4.add(a01, a11), a21)));
      v128.store(dst + 6 * us, f32x4.mul(half, f32x4.add(f32x4.add(a02, a12), a22)));
      v128.store(dst + 7 * us, f32x4.mul(half, f32x4.add(f32x4.add(g02, g12), g22)));
      v128.store(dst + 8 * us, f32x4.mul(half, f32x4.add(f32x4.sub(g00, g10), g20)));
      v128.store(dst + 9 * us, f32x4.mul(half, f32x4.add(f32x4.sub(a01, a11), a21)));
      v128.store(dst + 10 * us, f32x4.mul(half, f32x4.add(f32x4.sub(a02, a12), a22)));
      v128.store(dst + 11 * us, f32x4.mul(half, f32x4.add(f32x4.sub(g02, g12), g22)));
      v128.store(dst + 12 * us, g20); v128.store(dst + 13 * us, a21); v128.store(dst + 14 * us, a22); v128.store(dst + 15 * us, g22);
    }
    for (; oc < OC; oc++) filterOne(w + ((<usize>c * OC + oc) << 2), s, U + ((<usize>c * OC + oc) << 2), us);
  }
}

/** One (c, oc) filter: 9 taps `ss` bytes apart → 16 Winograd values `ds` bytes apart. */
function filterOne(src: usize, ss: usize, dst: usize, ds: usize): void {
  // Rows of g times Gᵀ: a[kh][ν] …
  const r0 = src, r1 = src + 3 * ss, r2 = src + 6 * ss;
  const g00 = load<f32>(r0), g01 = load<f32>(r0 + ss), g02 = load<f32>(r0 + 2 * ss);
  const g10 = load<f32>(r1), g11 = load<f32>(r1 + ss), g12 = load<f32>(r1 + 2 * ss);
  const g20 = load<f32>(r2), g21 = load<f32>(r2 + ss), g22 = load<f32>(r2 + 2 * ss);
  const a00 = g00, a01 = <f32>0.5 * (g00 + g01 + g02), a02 = <f32>0.5 * (g00 - g01 + g02), a03 = g02;
  const a10 = g10, a11 = <f32>0.5 * (g10 + g11 + g12), a12 = <f32>0.5 * (g10 - g11 + g12), a13 = g12;
  const a20 = g20, a21 = <f32>0.5 * (g20 + g21 + g22), a22 = <f32>0.5 * (g20 - g21 + g22), a23 = g22;
  // … then G on the left.
  store<f32>(dst + 0 * ds, a00); store<f32>(dst + 1 * ds, a01); store<f32>(dst + 2 * ds, a02); store<f32>(dst + 3 * ds, a03);
  store<f32>(dst + 4 * ds, <f32>0.5 * (a00 + a10 + a20)); store<f32>(dst + 5 * ds, <f32>0.5 * (a01 + a11 + a21));
  store<f32>(dst + 6 * ds, <f32>0.5 * (a02 + a12 + a22)); store<f32>(dst + 7 * ds, <f32>0.5 * (a03 + a13 + a23));
  store<f32>(dst + 8 * ds, <f32>0.5 * (a00 - a10 + a20)); store<f32>(dst + 9 * ds, <f32>0.5 * (a01 - a11 + a21));
  store<f32>(dst + 10 * ds, <f32>0.5 * (a02 - a12 + a22)); store<f32>(dst + 11 * ds, <f32>0.5 * (a03 - a13 + a23));
  store<f32>(dst + 12 * ds, a20); store<f32>(dst + 13 * ds, a21); store<f32>(dst + 14 * ds, a22); store<f32>(dst + 15 * ds, a23);
}

// ---------------------------------------------------------------- tile transforms

/**
 * V[t − t0][ξ][ν][c] = (Bᵀ d B)[ξ][ν] for tiles t in [t0, t0 + tc): d is x's 4×4 patch at rows
 * 2·th − padT …, cols 2·tw − padL … of image n (zeros outside H × W); TH × TW tiles per image.
 */
export function winograd_f2x3_input_nhwc(
  x: usize, V: usize, H: i32, W: i32, C: i32, padT: i32, padL: i32, TH: i32, TW: i32, t0: i32, tc: i32,
): void {
  const cs = <usize>C << 2;            // bytes per pixel, and between Winograd positions in V
  const per = TH * TW;
  const zero = f32x4.splat(0);
  for (let i = 0; i < tc; i++) {
    const t = t0 + i, n = t / per, rem = t % per;
    const h0 = (rem / TW) * 2 - padT, w0 = (rem % TW) * 2 - padL;
    // Bit 4·r + q set when patch cell (r, q) is inside the image.
    let mask = 0;
    for (let r = 0; r < 4; r++) {
      const ih = h0 + r;
      if (ih < 0 || ih >= H) continue;
      for (let q = 0; q < 4; q++) {
        const iw = w0 + q;
        if (iw >= 0 && iw < W) mask |= 1 << (4 * r + q);
      }
    }
    // Address of cell (0, 0) (it may lie outside; masked cells are never read).
    const base = x + (<usize>(((n * H + h0) * W + w0) * C) << 2);
    const rs = <usize>W * cs;           // bytes per image row
    const dst = V + ((<usize>i * 16 * C) << 2);
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const p = base + (<usize>c << 2), o = dst + (<usize>c << 2);
      // Rows: for each patch row r, (d[r][·] B)[ν] into V's positions 4r + ν.
      for (let r = 0; r < 4; r++) {
        const pr = p + <usize>r * rs, m = mask >> (4 * r);
        const d0 = (m & 1) ? v128.load(pr) : zero;
        const d1 = (m & 2) ? v128.load(pr + cs) : zero;
        const d2 = (m & 4) ? v128.load(pr + 2 * cs) : zero;
        const d3 = (m & 8) ? v128.load(pr + 3 * cs) : zero;
        const q = o + <usize>(4 * r) * cs;
        v128.store(q, f32x4.sub(d0, d2));
        v128.store(q + cs, f32x4.add(d1, d2));
        v128.store(q + 2 * cs, f32x4.sub(d2, d1));
        v128.store(q + 3 * cs, f32x4.sub(d1, d3));
      }
      // Columns: (Bᵀ t)[ξ][ν].
      for (let nu = 0; nu < 4; nu++) {
        const q = o + <usize>nu * cs;
        const a0 = v128.load(q), a1 = v128.load(q + 4 * cs), a2 = v128.load(q + 8 * cs), a3 = v128.load(q + 12 * cs);
        v128.store(q, f32x4.sub(a0, a2));
        v128.store(q + 4 * cs, f32x4.add(a1, a2));
        v128.store(q + 8 * cs, f32x4.sub(a2, a1));
        v128.store(q + 12 * cs, f32x4.sub(a1, a3));
      }
    }
    for (; c < C; c++) {
      const p = base + (<usize>c << 2), o = dst + (<usize>c << 2);
      for (let r = 0; r < 4; r++) {
        const pr = p + <usize>r * rs, m = mask >> (4 * r);
        const d0: f32 = (m & 1) ? load<f32>(pr) : 0;
        const d1: f32 = (m & 2) ? load<f32>(pr + cs) : 0;
        const d2: f32 = (m & 4) ? load<f32>(pr + 2 * cs) : 0;
        const d3: f32 = (m & 8) ? load<f32>(pr + 3 * cs) : 0;
        const q = o + <usize>(4 * r) * cs;
        store<f32>(q, d0 - d2); store<f32>(q + cs, d1 + d2); store<f32>(q + 2 * cs, d2 - d1); store<f32>(q + 3 * cs, d1 - d3);
      }
      for (let nu = 0; nu < 4; nu++) {
        const q = o + <usize>nu * cs;
        const a0 = load<f32>(q), a1 = load<f32>(q + 4 * cs), a2 = load<f32>(q + 8 * cs), a3 = load<f32>(q + 12 * cs);
        store<f32>(q, a0 - a2); store<f32>(q + 4 * cs, a1 + a2); store<f32>(q + 8 * cs, a2 - a1); store<f32>(q + 12 * cs, a1 - a3);
      }
    }
  }
}

/**
 * y[n][2·th + i][2·tw + j][oc] = (Aᵀ M A)[i][j] (+ bias[oc] unless bias == 0) for the tiles
 * t in [t0, t0 + tc) and the cells inside OH × OW; M is [tc][16][OC].
 */
export function winograd_f2x3_output_nhwc(
  M: usize, bias: usize, y: usize, OH: i32, OW: i32, OC: i32, TH: i32, TW: i32, t0: i32, tc: i32,
): void {
  const cs = <usize>OC << 2;
  const per = TH * TW;
  for (let i = 0; i < tc; i++) {
    const t = t0 + i, n = t / per, rem = t % per;
    const oh = (rem / TW) * 2, ow = (rem % TW) * 2;
    const down = oh + 1 < OH, right = ow + 1 < OW;
    const y00 = y + ((((<usize>n * OH + oh) * OW + ow) * OC) << 2);
    const y10 = y00 + <usize>OW * cs;
    const src = M + ((<usize>i * 16 * OC) << 2);
    let oc = 0;
    for (; oc + 4 <= OC; oc += 4) {
      const o = <usize>oc << 2, q = src + o;
      // s[i][ν] = (Aᵀ M)[i][ν] per column ν.
      const m00 = v128.load(q), m01 = v128.load(q + cs), m02 = v128.load(q + 2 * cs), m03 = v128.load(q + 3 * cs);
      const m10 = v128.load(q + 4 * cs), m11 = v128.load(q + 5 * cs), m12 = v128.load(q + 6 * cs), m13 = v128.load(q + 7 * cs);
      const m20 = v128.load(q + 8 * cs), m21 = v128.load(q + 9 * cs), m22 = v128.load(q + 10 * cs), m23 = v128.load(q + 11 * cs);
      const m30 = v128.load(q + 12 * cs), m31 = v128.load(q + 13 * cs), m32 = v128.load(q + 14 * cs), m33 = v128.load(q + 15 * cs);
      const s00 = f32x4.add(f32x4.add(m00, m10), m20), s01 = f32x4.add(f32x4.add(m01, m11), m21);
      const s02 = f32x4.add(f32x4.add(m02, m12), m22), s03 = f32x4.add(f32x4.add(m03, m13), m23);
      const s10 = f32x4.sub(f32x4.sub(m10, m20), m30), s11 = f32x4.sub(f32x4.sub(m11, m21), m31);
      const s12 = f32x4.sub(f32x4.sub(m12, m22), m32), s13 = f32x4.sub(f32x4.sub(m13, m23), m33);
      const b = bias ? v128.load(bias + o) : f32x4.splat(0);
      v128.store(y00 + o, f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), b));
      if (right) v128.store(y00 + cs + o, f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), b));
      if (down) {
        v128.store(y10 + o, f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), b));
        if (right) v128.store(y10 + cs + o, f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), b));
      }
    }
    for (; oc < OC; oc++) {
      const o = <usize>oc << 2, q = src + o;
      const m00 = load<f32>(q), m01 = load<f32>(q + cs), m02 = load<f32>(q + 2 * cs), m03 = load<f32>(q + 3 * cs);
      const m10 = load<f32>(q + 4 * cs), m11 = load<f32>(q + 5 * cs), m12 = load<f32>(q + 6 * cs), m13 = load<f32>(q + 7 * cs);
      const m20 = load<f32>(q + 8 * cs), m21 = load<f32>(q + 9 * cs), m22 = load<f32>(q + 10 * cs), m23 = load<f32>(q + 11 * cs);
      const m30 = load<f32>(q + 12 * cs), m31 = load<f32>(q + 13 * cs), m32 = load<f32>(q + 14 * cs), m33 = load<f32>(q + 15 * cs);
      const s00 = m00 + m10 + m20, s01 = m01 + m11 + m21, s02 = m02 + m12 + m22, s03 = m03 + m13 + m23;
      const s10 = m10 - m20 - m30, s11 = m11 - m21 - m31, s12 = m12 - m22 - m32, s13 = m13 - m23 - m33;
      const b: f32 = bias ? load<f32>(bias + o) : 0;
      store<f32>(y00 + o, s00 + s01 + s02 + b);
      if (right) store<f32>(y00 + cs + o, s01 - s02 - s03 + b);
      if (down) {
        store<f32>(y10 + o, s10 + s11 + s12 + b);
        if (right) store<f32>(y10 + cs + o, s11 - s12 - s13 + b);
      }
    }
  }
}

/**
 * Z[t − t0][ξ][ν][oc] = (A e Aᵀ)[ξ][ν] for tiles t in [t0, t0 + tc), e the 2×2 patch of dy at
 * rows 2·th, cols 2·tw (zeros outside OH × OW): the backward-filter's output-gradient transform.
 */
export function winograd_f2x3_grad_output_nhwc(
  dy: usize, Z: usize, OH: i32, OW: i32, OC: i32, TH: i32, TW: i32, t0: i32, tc: i32,
): void {
  const cs = <usize>OC << 2;
  const per = TH * TW;
  const zero = f32x4.splat(0);
  for (let i = 0; i < tc; i++) {
    const t = t0 + i, n = t / per, rem = t % per;
    const oh = (rem / TW) * 2, ow = (rem % TW) * 2;
    const down = oh + 1 < OH, right = ow + 1 < OW;
    const e00p = dy + ((((<usize>n * OH + oh) * OW + ow) * OC) << 2);
    const e10p = e00p + <usize>OW * cs;
    const dst = Z + ((<usize>i * 16 * OC) << 2);
    let oc = 0;
    for (; oc + 4 <= OC; oc += 4) {
      const o = <usize>oc << 2, q = dst + o;
      const e00 = v128.load(e00p + o);
      const e01 = right ? v128.load(e00p + cs + o) : zero;
      const e10 = down ? v128.load(e10p + o) : zero;
      const e11 = down && right ? v128.load(e10p + cs + o) : zero;
      // Rows of A e: r0 = e0, r1 = e0 + e1, r2 = e0 − e1, r3 = −e1 (per column); then the same on columns.
      const r00 = e00, r01 = e01;
      const r10 = f32x4.add(e00, e10), r11 = f32x4.add(e01, e11);
      const r20 = f32x4.sub(e00, e10), r21 = f32x4.sub(e01, e11);
      const r30 = f32x4.neg(e10), r31 = f32x4.neg(e11);
      v128.store(q, r00); v128.store(q + cs, f32x4.add(r00, r01)); v128.store(q + 2 * cs, f32x4.sub(r00, r01)); v128.store(q + 3 * cs, f32x4.neg(r01));
      v128.store(q + 4 * cs, r10); v128.store(q + 5 * cs, f32x4.add(r10, r11)); v128.store(q + 6 * cs, f32x4.sub(r10, r11)); v128.store(q + 7 * cs, f32x4.neg(r11));
      v128.store(q + 8 * cs, r20); v128.store(q + 9 * cs, f32x4.add(r20, r21)); v128.store(q + 10 * cs, f32x4.sub(r20, r21)); v128.store(q + 11 * cs, f32x4.neg(r21));
      v128.store(q + 12 * cs, r30); v128.store(q + 13 * cs, f32x4.add(r30, r31)); v128.store(q + 14 * cs, f32x4.sub(r30, r31)); v128.store(q + 15 * cs, f32x4.neg(r31));
    }
    for (; oc < OC; oc++) {
      const o = <usize>oc << 2, q = dst + o;
      const e00 = load<f32>(e00p + o);
      const e01: f32 = right ? load<f32>(e00p + cs + o) : 0;
      const e10: f32 = down ? load<f32>(e10p + o) : 0;
      const e11: f32 = down && right ? load<f32>(e10p + cs + o) : 0;
      const r00 = e00, r01 = e01, r10 = e00 + e10, r11 = e01 + e11, r20 = e00 - e10, r21 = e01 - e11, r30 = -e10, r31 = -e11;
      store<f32>(q, r00); store<f32>(q + cs, r00 + r01); store<f32>(q + 2 * cs, r00 - r01); store<f32>(q + 3 * cs, -r01);
      store<f32>(q + 4 * cs, r10); store<f32>(q + 5 * cs, r10 + r11); store<f32>(q + 6 * cs, r10 - r11); store<f32>(q + 7 * cs, -r11);
      store<f32>(q + 8 * cs, r20); store<f32>(q + 9 * cs, r20 + r21); store<f32>(q + 10 * cs, r20 - r21); store<f32>(q + 11 * cs, -r21);
      store<f32>(q + 12 * cs, r30); store<f32>(q + 13 * cs, r30 + r31); store<f32>(q + 14 * cs, r30 - r31); store<f32>(q + 15 * cs, -r31);
    }
  }
}

/** dw[kh][kw][c][oc] = (Gᵀ dU G)[kh][kw] with dU [16][C][OC] (blocks winograd_f2x3_filter_stride apart), for c in [c0, c1). SIMD over oc. */
export function winograd_f2x3_filter_grad(dU: usize, dw: usize, C: i32, OC: i32, c0: i32, c1: i32): void {
  const s = <usize>C * OC << 2, us = winograd_f2x3_filter_stride(C, OC);
  const half = f32x4.splat(0.5);
  for (let c = c0; c < c1; c++) {
    const row = (<usize>c * OC) << 2;
    let oc = 0;
    for (; oc + 4 <= OC; oc += 4) {
      const q = dU + row + (<usize>oc << 2), d = dw + row + (<usize>oc << 2);
      // Gᵀ on columns ν (per row ξ): h[ξ][kw], then on rows.
      let h00 = f32x4.splat(0), h01 = h00, h02 = h00, h10 = h00, h11 = h00, h12 = h00;
      let h20 = h00, h21 = h00, h22 = h00, h30 = h00, h31 = h00, h32 = h00;
      for (let xi = 0; xi < 4; xi++) {
        const p = q + <usize>(4 * xi) * us;
        const u0 = v128.load(p), u1 = v128.load(p + us), u2 = v128.load(p + 2 * us), u3 = v128.load(p + 3 * us);
        const a = f32x4.mul(half, f32x4.add(u1, u2));
        const g0 = f32x4.add(u0, a), g1 = f32x4.mul(half, f32x4.sub(u1, u2)), g2 = f32x4.add(a, u3);
        if (xi == 0) { h00 = g0; h01 = g1; h02 = g2; }
        else if (xi == 1) { h10 = g0; h11 = g1; h12 = g2; }
        else if (xi == 2) { h20 = g0; h21 = g1; h22 = g2; }
        else { h30 = g0; h31 = g1; h32 = g2; }
      }
      const b0 = f32x4.mul(half, f32x4.add(h10, h20)), b1 = f32x4.mul(half, f32x4.add(h11, h21)), b2 = f32x4.mul(half, f32x4.add(h12, h22));
      v128.store(d, f32x4.add(h00, b0)); v128.store(d + s, f32x4.add(h01, b1)); v128.store(d + 2 * s, f32x4.add(h02, b2));
      v128.store(d + 3 * s, f32x4.mul(half, f32x4.sub(h10, h20)));
      v128.store(d + 4 * s, f32x4.mul(half, f32x4.sub(h11, h21)));
      v128.store(d + 5 * s, f32x4.mul(half, f32x4.sub(h12, h22)));
      v128.store(d + 6 * s, f32x4.add(b0, h30)); v128.store(d + 7 * s, f32x4.add(b1, h31)); v128.store(d + 8 * s, f32x4.add(b2, h32));
    }
    for (; oc < OC; oc++) {
      const q = dU + row + (<usize>oc << 2), d = dw + row + (<usize>oc << 2);
      let h00: f32 = 0, h01: f32 = 0, h02: f32 = 0, h10: f32 = 0, h11: f32 = 0, h12: f32 = 0;
      let h20: f32 = 0, h21: f32 = 0, h22: f32 = 0, h30: f32 = 0, h31: f32 = 0, h32: f32 = 0;
      for (let xi = 0; xi < 4; xi++) {
        const p = q + <usize>(4 * xi) * us;
        const u0 = load<f32>(p), u1 = load<f32>(p + us), u2 = load<f32>(p + 2 * us), u3 = load<f32>(p + 3 * us);
        const a = <f32>0.5 * (u1 + u2);
        const g0 = u0 + a, g1 = <f32>0.5 * (u1 - u2), g2 = a + u3;
        if (xi == 0) { h00 = g0; h01 = g1; h02 = g2; }
        else if (xi == 1) { h10 = g0; h11 = g1; h12 = g2; }
        else if (xi == 2) { h20 = g0; h21 = g1; h22 = g2; }
        else { h30 = g0; h31 = g1; h32 = g2; }
      }
      const b0 = <f32>0.5 * (h10 + h20), b1 = <f32>0.5 * (h11 + h21), b2 = <f32>0.5 * (h12 + h22);
      store<f32>(d, h00 + b0); store<f32>(d + s, h01 + b1); store<f32>(d + 2 * s, h02 + b2);
      store<f32>(d + 3 * s, <f32>0.5 * (h10 - h20)); store<f32>(d + 4 * s, <f32>0.5 * (h11 - h21)); store<f32>(d + 5 * s, <f32>0.5 * (h12 - h22));
      store<f32>(d + 6 * s, b0 + h30); store<f32>(d + 7 * s, b1 + h31); store<f32>(d + 8 * s, b2 + h32);
    }
  }
}

// ---------------------------------------------------------------- tile-range drivers

// Backward-data reuses the forward filter transform: the flipped, transposed filter's
// transform is U'[ξ][ν] = U[σξ][σν]ᵀ with σ = (3, 1, 2, 0) (G·J = P·G for the 3×3 flip J, P
// swapping rows 0 and 3; G's rows 1 and 2 are symmetric), so its GEMMs read U transposed.
// @ts-ignore: decorator
@inline function sigma(e: i32): i32 {
  const xi = e >> 2, nu = e & 3;
  return ((xi == 0 ? 3 : xi == 3 ? 0 : xi) << 2) | (nu == 0 ? 3 : nu == 3 ? 0 : nu);
}

// @ts-ignore: decorator
@inline function tiles(
  x: usize, U: usize, bias: usize, y: usize, N: i32, H: i32, W: i32, Cin: i32, Cout: i32,
  padT: i32, padL: i32, OH: i32, OW: i32, t0: i32, t1: i32, work: usize, bwdData: bool,
): void {
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const tcMax = winograd_f2x3_chunk_tiles(Cin, Cout, N * TH * TW);
  const V = work, M = V + align64(<usize>tcMax * 16 * Cin * 4), gws = M + align64(<usize>tcMax * 16 * Cout * 4);
  const ldv = 16 * Cin, ldm = 16 * Cout, us = winograd_f2x3_filter_stride(Cin, Cout);
  for (let a = t0; a < t1; a += tcMax) {
    const tc = min(tcMax, t1 - a);
    winograd_f2x3_input_nhwc(x, V, H, W, Cin, padT, padL, TH, TW, a, tc);
    for (let e = 0; e < 16; e++) {
      const Ve = V + ((<usize>e * Cin) << 2), Me = M + ((<usize>e * Cout) << 2);
      if (bwdData) gemm_f32(0, 1, tc, Cout, Cin, 1, Ve, ldv, U + <usize>sigma(e) * us, Cin, 0, Me, ldm, gws);
      else gemm_f32(0, 0, tc, Cout, Cin, 1, Ve, ldv, U + <usize>e * us, Cout, 0, Me, ldm, gws);
    }
    winograd_f2x3_output_nhwc(M, bias, y, OH, OW, Cout, TH, TW, a, tc);
  }
}

/**
 * y = Winograd conv of x (N × H × W × C) with U = winograd_f2x3_filter_fwd(w) for the output
 * tiles [t0, t1) of N·⌈OH/2⌉·⌈OW/2⌉ (+ bias unless 0), in chunks of
 * winograd_f2x3_chunk_tiles(C, OC, all tiles) from t0 (the same chunk size for any range).
 * `work`: winograd_f2x3_tiles_workspace_bytes(C, OC, all tiles).
 */
export function conv2d_winograd_f2x3_fwd_tiles_nhwc(
  x: usize, U: usize, bias: usize, y: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
  padT: i32, padL: i32, OH: i32, OW: i32, t0: i32, t1: i32, work: usize,
): void {
  tiles(x, U, bias, y, N, H, W, C, OC, padT, padL, OH, OW, t0, t1, work, false);
}

/**
 * dx = convᵀ(dy, w) for the tiles [t0, t1) of N·⌈H/2⌉·⌈W/2⌉, with U = winograd_f2x3_filter_fwd(w)
 * (C × OC blocks). Arguments as the forward's; `work`: winograd_f2x3_tiles_workspace_bytes(OC, C, all tiles).
 */
export function conv2d_winograd_f2x3_bwd_data_tiles_nhwc(
  dy: usize, U: usize, dx: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
  padT: i32, padL: i32, OH: i32, OW: i32, t0: i32, t1: i32, work: usize,
): void {
  tiles(dy, U, 0, dx, N, OH, OW, OC, C, 2 - padT, 2 - padL, H, W, t0, t1, work, true);
}

/** dU[ξν] (+)= V_ξνᵀ · Z_ξν for Winograd positions ξν in [e0, e1), over a chunk of tc tiles (beta 0: overwrite). */
export function conv2d_winograd_f2x3_filter_grad_gemm(V: usize, Z: usize, dU: usize, C: i32, OC: i32, tc: i32, beta: f32, e0: i32, e1: i32, gws: usize): void {
  const us = winograd_f2x3_filter_stride(C, OC);
  for (let e = e0; e < e1; e++) {
    gemm_f32(1, 0, C, OC, tc, 1, V + ((<usize>e * C) << 2), 16 * C, Z + ((<usize>e * OC) << 2), 16 * OC, beta, dU + <usize>e * us, OC, gws);
  }
}

// ---------------------------------------------------------------- whole-call drivers

// @ts-ignore: decorator
@inline function fwdTiles(N: i32, OH: i32, OW: i32): i32 { return N * ((OH + 1) >> 1) * ((OW + 1) >> 1); }

/**
 * Bytes of `work` for the three conv2d_winograd_f2x3_*_nhwc calls at batch N (and any smaller
 * batch): [U or dU (winograd_f2x3_filter_bytes) | the largest of the three calls' chunk scratch].
 */
export function conv2d_winograd_f2x3_workspace_bytes(N: i32, H: i32, W: i32, C: i32, OC: i32, OH: i32, OW: i32): usize {
  const tf = fwdTiles(N, OH, OW), tb = fwdTiles(N, H, W);
  const fwd = winograd_f2x3_tiles_workspace_bytes(C, OC, tf);
  const bwdData = winograd_f2x3_tiles_workspace_bytes(OC, C, tb);
  const bwdFilter = winograd_f2x3_grad_chunk_bytes(C, OC, tf) + winograd_f2x3_grad_gemm_bytes(C, OC, tf);
  return winograd_f2x3_filter_bytes(C, OC) + maxu(fwd, maxu(bwdData, bwdFilter));
}

/** y = conv(x, w) (+ bias unless 0), 3×3, stride 1, by Winograd F(2×2, 3×3). */
export function conv2d_winograd_f2x3_fwd_nhwc(
  x: usize, w: usize, bias: usize, y: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
  padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const T = fwdTiles(N, OH, OW);
  if (T <= 0 || OC <= 0) return;
  const U = work, rest = U + winograd_f2x3_filter_bytes(C, OC);
  winograd_f2x3_filter_fwd(w, U, C, OC, 0, C);
  conv2d_winograd_f2x3_fwd_tiles_nhwc(x, U, bias, y, N, H, W, C, OC, padT, padL, OH, OW, 0, T, rest);
}

/** dx = convᵀ(dy, w) (overwritten), 3×3, stride 1, by Winograd F(2×2, 3×3). */
export function conv2d_winograd_f2x3_bwd_data_nhwc(
  dy: usize, w: usize, dx: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
  padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const T = fwdTiles(N, H, W);
  if (T <= 0 || C <= 0) return;
  const U = work, rest = U + winograd_f2x3_filter_bytes(C, OC);
  winograd_f2x3_filter_fwd(w, U, C, OC, 0, C);
  conv2d_winograd_f2x3_bwd_data_tiles_nhwc(dy, U, dx, N, H, W, C, OC, padT, padL, OH, OW, 0, T, rest);
}

/** dw = ∂(Σ dy·y)/∂w (overwritten), 3×3, stride 1, by Winograd F(2×2, 3×3). */
export function conv2d_winograd_f2x3_bwd_filter_nhwc(
  x: usize, dy: usize, dw: usize, N: i32, H: i32, W: i32, C: i32, OC: i32,
  padT: i32, padL: i32, OH: i32, OW: i32, work: usize,
): void {
  const T = fwdTiles(N, OH, OW);
  if (T <= 0) { const n = <usize>9 * C * OC; if (n) memory.fill(dw, 0, n << 2); return; }
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1;
  const tc = winograd_f2x3_chunk_tiles(C, OC, T);
  const dU = work, V = dU + winograd_f2x3_filter_bytes(C, OC);
  const Z = V + align64(<usize>tc * 16 * C * 4), gws = Z + align64(<usize>tc * 16 * OC * 4);
  for (let a = 0; a < T; a += tc) {
    const m = min(tc, T - a);
    winograd_f2x3_input_nhwc(x, V, H, W, C, padT, padL, TH, TW, a, m);
    winograd_f2x3_grad_output_nhwc(dy, Z, OH, OW, OC, TH, TW, a, m);
    conv2d_winograd_f2x3_filter_grad_gemm(V, Z, dU, C, OC, m, a == 0 ? 0 : 1, 0, 16, gws);
  }
  winograd_f2x3_filter_grad(dU, dw, C, OC, 0, C);
}

/**
 * 1 where conv2d_fwd/bwd_data/bwd_filter_nhwc take the Winograd path for a stride-1 3×3
 * convolution of these sizes, else 0 (im2col + GEMM). Winograd's GEMMs have 2.25× fewer flops
 * but are only C (or OC) deep, and its transforms cost O(C + OC) per tile plus O(C·OC) per call
 * (the filter), so it loses with few channels or few tiles. Measured crossover
 * (bench/conv.bench.mjs --winograd, bench/RESULTS.md): C or OC = 8 loses, 16 wins; 16 tiles
 * lose, 64 win.
 */
export function conv2d_winograd_f2x3_pays(N: i32, C: i32, OC: i32, OH: i32, OW: i32): i32 {
  return C >= 16 && OC >= 16 && fwdTiles(N, OH, OW) >= 32 ? 1 : 0;
}
