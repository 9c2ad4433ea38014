// GEMM, row-major: C = alpha * op(A) * op(B) + beta * C, op(X) = transX ? X^T : X.
// op(A) is M x K, op(B) is K x N, C is M x N with leading dimensions lda, ldb, ldc.
// beta == 0 means C is write-only (NaN/Inf already in C are not propagated), as in BLAS;
// alpha == 0 means A and B are not read.
//
// BLIS-style structure (Goto & van de Geijn), with XNNPACK's wasmsimd x86 micro-kernel shape:
//   for jc in N by NC:            op(B) block KC x NC packed into NR-column panels
//     for pc in K by KC:          (packing absorbs transB; edges zero-padded to NR)
//       for ic in M by MC:        op(A) block MC x KC packed into MR-row panels
//         for jr in NC by NR:     (packing absorbs transA; edges zero-padded to MR)
//           for ir in MC by MR:   micro-kernel: MR x NR of C in registers, kc madds deep
// Because both operands are packed, one micro-kernel serves all four transposes, and
// it always runs full-size; only the store of an edge tile is partial.
// The packed B micro-panel (KC x NR) stays in L1 across the ir loop, the packed A block
// (MC x KC) in L2 across the jr loop.
//
// Why 4x8 and not 6x8: V8 (Turbofan) gives wasm 15 xmm registers on x86-64 and schedules
// all loads of a basic block before its arithmetic. 6x8 needs 12 accumulators plus the
// 8 values loaded per k step and spilled every iteration (measured ~2x slower); 4x8 needs
// 8 + 6 = 14. For the same reason the k loop is unrolled with an exit test between steps:
// each step is its own basic block, so the next step's loads are not hoisted above this
// step's madds. (XNNPACK picks 4x8 "loadsplat" for wasm on x86 for the same reason.)
// Blocking: KC = 512 keeps a B micro-panel (16 KiB) and an A micro-panel (8 KiB) in a
// 32 KiB L1; MC x KC (128 KiB) fits L2; measured on an AMD EPYC (Zen 3), the choice among
// KC 256..512, MC 48..192, NC 256..4096 moved results by only a few percent.
import { madd } from './simd';

const MR: i32 = 4;
const NR: i32 = 8;
const KC: i32 = 512;
const MC: i32 = 64;
const NC: i32 = 1024;
// The packing fast paths and the micro-kernel below are written for exactly this tile.
// @ts-ignore: compile-time check
if (MR != 4 || NR != 8) ERROR('gemm.ts: pack_a/pack_b fast paths and micro_kernel_f32 assume MR = 4, NR = 8');

/** Rows of the register tile (rows of C per micro-kernel call). */
export function gemm_f32_mr(): i32 { return MR; }
/** Columns of the register tile. */
export function gemm_f32_nr(): i32 { return NR; }
/** Depth of a K block (the packed panels' length). */
export function gemm_f32_kc(): i32 { return KC; }
/** Rows of a packed A block. */
export function gemm_f32_mc(): i32 { return MC; }
/** Columns of a packed B block. */
export function gemm_f32_nc(): i32 { return NC; }

// @ts-ignore: decorator
@inline function align64(n: usize): usize { return (n + 63) & ~<usize>63; }
// @ts-ignore: decorator
@inline function min_i32(a: i32, b: i32): i32 { return a < b ? a : b; }
// @ts-ignore: decorator
@inline function round_up(n: i32, m: i32): i32 { return (n + m - 1) / m * m; }

/** Blocks of at most `cap` that split n evenly (a 257-deep K becomes 129 + 128, not 256 + 1). */
// @ts-ignore: decorator
@inline function balanced_block(n: i32, cap: i32): i32 {
  const blocks = (n + cap - 1) / cap;
  return (n + blocks - 1) / blocks;
}

/**
 * Bytes of scratch the caller must pass as `work` for these sizes (64-byte aligned).
 * Non-decreasing in M and N, and in K up to K = KC; for K > KC it is at most the K = KC value
 * (K blocks are at most KC deep). So work sized for (M, N, min(Kmax, KC)) serves every
 * K ≤ Kmax: callers that split a product may size one workspace for the largest piece.
 */
export function gemm_f32_workspace_bytes(M: i32, N: i32, K: i32): usize {
  const kc = <usize>balanced_block(max(K, 1), KC);
  const mc = <usize>min_i32(round_up(max(M, 1), MR), MC);
  const nc = <usize>min_i32(round_up(max(N, 1), NR), NC);
  return align64(mc * kc << 2) + align64(kc * nc << 2) + align64(<usize>(MR * NR) << 2);
}

/** Packs op(A)[i0 .. i0+mc, p0 .. p0+kc] into MR-row panels: panel q holds, for each k, rows q*MR .. q*MR+MR-1. */
function pack_a(transA: i32, A: usize, lda: i32, i0: i32, p0: i32, mc: i32, kc: i32, dst: usize): void {
  const ldab = <usize>lda << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min_i32(MR, mc - ir);
    if (transA) {
      // op(A)[i][k] = A[k][i]: each k gives mr contiguous floats.
      let src = A + ((<usize>p0 * lda + i0 + ir) << 2);
      if (mr == MR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src)); // MR == 4 floats
          src += ldab; dst += MR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          let r = 0;
          for (; r < mr; r++) store<f32>(dst + (<usize>r << 2), load<f32>(src + (<usize>r << 2)));
          for (; r < MR; r++) store<f32>(dst + (<usize>r << 2), 0);
          src += ldab; dst += MR << 2;
        }
      }
    } else {
      // op(A)[i][k] = A[i][k]: rows are contiguous in k; transpose 4 k at a time.
      const src = A + ((<usize>(i0 + ir) * lda + p0) << 2);
      if (mr == MR) {
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          // MR == 4: one 4x4 transpose turns 4 rows x 4 k into 4 k x 4 rows.
          const s = src + (<usize>k << 2);
          const r0 = v128.load(s), r1 = v128.load(s + ldab), r2 = v128.load(s + 2 * ldab), r3 = v128.load(s + 3 * ldab);
          const t0 = v128.shuffle<u32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<u32>(r2, r3, 0, 4, 1, 5);
          const t2 = v128.shuffle<u32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<u32>(r2, r3, 2, 6, 3, 7);
          v128.store(dst, v128.shuffle<u64>(t0, t1, 0, 2), 0);
          v128.store(dst, v128.shuffle<u64>(t0, t1, 1, 3), 16);
          v128.store(dst, v128.shuffle<u64>(t2, t3, 0, 2), 32);
          v128.store(dst, v128.shuffle<u64>(t2, t3, 1, 3), 48);
          dst += (4 * MR) << 2;
        }
        for (; k < kc; k++) {
          const s = src + (<usize>k << 2);
          for (let r = 0; r < MR; r++) store<f32>(dst + (<usize>r << 2), load<f32>(s + <usize>r * ldab));
          dst += MR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const s = src + (<usize>k << 2);
          let r = 0;
          for (; r < mr; r++) store<f32>(dst + (<usize>r << 2), load<f32>(s + <usize>r * ldab));
          for (; r < MR; r++) store<f32>(dst + (<usize>r << 2), 0);
          dst += MR << 2;
        }
      }
    }
  }
}

/** Packs op(B)[p0 .. p0+kc, j0 .. j0+nc] into NR-column panels: panel q holds, for each k, columns q*NR .. q*NR+NR-1. */
function pack_b(transB: i32, B: usize, ldb: i32, p0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
  const ldbb = <usize>ldb << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min_i32(NR, nc - jr);
    if (!transB) {
      // op(B)[k][j] = B[k][j]: each k gives nr contiguous floats.
      let src = B + ((<usize>p0 * ldb + j0 + jr) << 2);
      if (nr == NR) {
        for (let k = 0; k < kc; k++) {
          v128.store(dst, v128.load(src, 0), 0);
          v128.store(dst, v128.load(src, 16), 16);
          src += ldbb; dst += NR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          let j = 0;
          for (; j < nr; j++) store<f32>(dst + (<usize>j << 2), load<f32>(src + (<usize>j << 2)));
          for (; j < NR; j++) store<f32>(dst + (<usize>j << 2), 0);
          src += ldbb; dst += NR << 2;
        }
      }
    } else {
      // op(B)[k][j] = B[j][k]: columns of op(B) are contiguous; transpose 4x4 blocks.
      const src = B + ((<usize>(j0 + jr) * ldb + p0) << 2);
      if (nr == NR) {
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const s = src + (<usize>k << 2);
          for (let jq = 0; jq < NR; jq += 4) {
            const s0 = s + <usize>jq * ldbb;
            const r0 = v128.load(s0), r1 = v128.load(s0 + ldbb), r2 = v128.load(s0 + 2 * ldbb), r3 = v128.load(s0 + 3 * ldbb);
            const t0 = v128.shuffle<u32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<u32>(r2, r3, 0, 4, 1, 5);
            const t2 = v128.shuffle<u32>(r0, r1, 2, 6, 3, 7), t3 = v128.shuffle<u32>(r2, r3, 2, 6, 3, 7);
            const d = dst + (<usize>jq << 2);
            v128.store(d, v128.shuffle<u64>(t0, t1, 0, 2));
            v128.store(d, v128.shuffle<u64>(t0, t1, 1, 3), NR << 2);
            v128.store(d, v128.shuffle<u64>(t2, t3, 0, 2), NR << 3);
            v128.store(d, v128.shuffle<u64>(t2, t3, 1, 3), (NR << 2) * 3);
          }
          dst += (4 * NR) << 2;
        }
        for (; k < kc; k++) {
          const s = src + (<usize>k << 2);
          for (let j = 0; j < NR; j++) store<f32>(dst + (<usize>j << 2), load<f32>(s + <usize>j * ldbb));
          dst += NR << 2;
        }
      } else {
        for (let k = 0; k < kc; k++) {
          const s = src + (<usize>k << 2);
          let j = 0;
          for (; j < nr; j++) store<f32>(dst + (<usize>j << 2), load<f32>(s + <usize>j * ldbb));
          for (; j < NR; j++) store<f32>(dst + (<usize>j << 2), 0);
          dst += NR << 2;
        }
      }
    }
  }
}

/** Writes the valid mr x nr corner of an MR x NR tile to C (edge tiles only). */
function store_edge_tile(tile: usize, c: usize, ldc: i32, alpha: f32, beta: f32, mr: i32, nr: i32): void {
  for (let r = 0; r < mr; r++) {
    const t = tile + (<usize>(r * NR) << 2);
    const cr = c + (<usize>r * ldc << 2);
    if (beta == 0) {
      for (let j = 0; j < nr; j++) store<f32>(cr + (<usize>j << 2), alpha * load<f32>(t + (<usize>j << 2)));
    } else {
      for (let j = 0; j < nr; j++) {
        const p = cr + (<usize>j << 2);
        store<f32>(p, alpha * load<f32>(t + (<usize>j << 2)) + beta * load<f32>(p));
      }
    }
  }
}

// Register-tiled micro-kernel: a 4x8 block of C in 8 f32x4 accumulators.
// Per k: 2 vector loads of the packed B row, 4 broadcasts of packed A, 8 madds.
// Loads use immediate offsets from two moving pointers (pa, pb); packing made every
// load full-width, so there is no bounds logic inside the k loop.
// @ts-ignore: decorator
@inline
function micro_kernel_f32(kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, alpha: f32, beta: f32, mr: i32, nr: i32, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let k = kc;
  while (true) {
    const b0_0 = v128.load(pb, 0);
    const b1_0 = v128.load(pb, 16);
    const a0_0 = v128.load32_splat(pa, 0);
    c00 = madd(a0_0, b0_0, c00);
    c01 = madd(a0_0, b1_0, c01);
    const a1_0 = v128.load32_splat(pa, 4);
    c10 = madd(a1_0, b0_0, c10);
    c11 = madd(a1_0, b1_0, c11);
    const a2_0 = v128.load32_splat(pa, 8);
    c20 = madd(a2_0, b0_0, c20);
    c21 = madd(a2_0, b1_0, c21);
    const a3_0 = v128.load32_splat(pa, 12);
    c30 = madd(a3_0, b0_0, c30);
    c31 = madd(a3_0, b1_0, c31);
    if (--k == 0) break;
    const b0_1 = v128.load(pb, 32);
    const b1_1 = v128.load(pb, 48);
    const a0_1 = v128.load32_splat(pa, 16);
    c00 = madd(a0_1, b0_1, c00);
    c01 = madd(a0_1, b1_1, c01);
    const a1_1 = v128.load32_splat(pa, 20);
    c10 = madd(a1_1, b0_1, c10);
    c11 = madd(a1_1, b1_1, c11);
    const a2_1 = v128.load32_splat(pa, 24);
    c20 = madd(a2_1, b0_1, c20);
    c21 = madd(a2_1, b1_1, c21);
    const a3_1 = v128.load32_splat(pa, 28);
    c30 = madd(a3_1, b0_1, c30);
    c31 = madd(a3_1, b1_1, c31);
    if (--k == 0) break;
    pa += 32; pb += 64;
  }
  const va = f32x4.splat(alpha);
  if (mr == MR && nr == NR) {
    const ldcb = <usize>ldc << 2;
    const c0 = c;
    const c1 = c0 + ldcb;
    const c2 = c1 + ldcb;
    const c3 = c2 + ldcb;
    if (beta == 0) {
      v128.store(c0, f32x4.mul(va, c00), 0);
      v128.store(c0, f32x4.mul(va, c01), 16);
      v128.store(c1, f32x4.mul(va, c10), 0);
      v128.store(c1, f32x4.mul(va, c11), 16);
      v128.store(c2, f32x4.mul(va, c20), 0);
      v128.store(c2, f32x4.mul(va, c21), 16);
      v128.store(c3, f32x4.mul(va, c30), 0);
      v128.store(c3, f32x4.mul(va, c31), 16);
    } else {
      const vb = f32x4.splat(beta);
      v128.store(c0, madd(va, c00, f32x4.mul(vb, v128.load(c0, 0))), 0);
      v128.store(c0, madd(va, c01, f32x4.mul(vb, v128.load(c0, 16))), 16);
      v128.store(c1, madd(va, c10, f32x4.mul(vb, v128.load(c1, 0))), 0);
      v128.store(c1, madd(va, c11, f32x4.mul(vb, v128.load(c1, 16))), 16);
      v128.store(c2, madd(va, c20, f32x4.mul(vb, v128.load(c2, 0))), 0);
      v128.store(c2, madd(va, c21, f32x4.mul(vb, v128.load(c2, 16))), 16);
      v128.store(c3, madd(va, c30, f32x4.mul(vb, v128.load(c3, 0))), 0);
      v128.store(c3, madd(va, c31, f32x4.mul(vb, v128.load(c3, 16))), 16);
    }
  } else {
    // Edge tile: spill the accumulators and copy only the valid mr x nr part.
    v128.store(tile, c00, 0);
    v128.store(tile, c01, 16);
    v128.store(tile, c10, 32);
    v128.store(tile, c11, 48);
    v128.store(tile, c20, 64);
    v128.store(tile, c21, 80);
    v128.store(tile, c30, 96);
    v128.store(tile, c31, 112);
    store_edge_tile(tile, c, ldc, alpha, beta, mr, nr);
  }
}


/** C = beta * C (the alpha == 0 case; beta == 0 writes zeros without reading C). */
function scale_c(M: i32, N: i32, beta: f32, C: usize, ldc: i32): void {
  for (let i = 0; i < M; i++) {
    const cr = C + (<usize>i * ldc << 2);
    if (beta == 0) memory.fill(cr, 0, <usize>N << 2);
    else if (beta != 1) for (let j = 0; j < N; j++) store<f32>(cr + (<usize>j << 2), beta * load<f32>(cr + (<usize>j << 2)));
  }
}

/**
 * C = alpha * op(A) * op(B) + beta * C. `work` must hold gemm_f32_workspace_bytes(M, N, K)
 * bytes, 64-byte aligned. C must not overlap A, B or work. Sizes ≤ 0 do nothing (K ≤ 0
 * gives C = beta * C). Callable from other kernels (conv via im2col).
 */
export function gemm_f32(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  alpha: f32, A: usize, lda: i32, B: usize, ldb: i32,
  beta: f32, C: usize, ldc: i32, work: usize,
): void {
  if (M <= 0 || N <= 0) return;
  if (alpha == 0 || K <= 0) { scale_c(M, N, beta, C, ldc); return; }
  const kcb = balanced_block(K, KC);
  const mcMax = min_i32(round_up(M, MR), MC);
  const apack = work;
  const bpack = apack + align64(<usize>mcMax * kcb << 2);
  const ncMax = min_i32(round_up(N, NR), NC);
  const tile = bpack + align64(<usize>kcb * ncMax << 2);
  const ldcb = <usize>ldc << 2;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min_i32(NC, N - jc);
    for (let pc = 0; pc < K; pc += kcb) {
      const kc = min_i32(kcb, K - pc);
      pack_b(transB, B, ldb, pc, jc, kc, nc, bpack);
      // Later K blocks accumulate onto what the first one wrote.
      const betaBlock: f32 = pc == 0 ? beta : 1;
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min_i32(MC, M - ic);
        pack_a(transA, A, lda, ic, pc, mc, kc, apack);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min_i32(NR, nc - jr);
          const pb = bpack + (<usize>jr * kc << 2);
          let c = C + <usize>ic * ldcb + (<usize>(jc + jr) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            micro_kernel_f32(kc, apack + (<usize>ir * kc << 2), pb, c, ldc, alpha, betaBlock, min_i32(MR, mc - ir), nr, tile);
            c += ldcb * MR;
          }
        }
      }
    }
  }
}
