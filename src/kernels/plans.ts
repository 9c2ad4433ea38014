// How sgemm and the im2col convolutions are split over T threads so that every output element
// is computed by ONE thread with exactly the arithmetic of a one-thread run:
// - gemm_f32's result for C[i][j] depends only on K (its depth blocking), alpha, beta and
//   whether (i, j) falls in a full MR×NR register tile or an edge tile (edge tiles store with
//   scalar ops, full tiles with f32x4/FMA). Splitting rows at multiples of MR, or columns at
//   multiples of NR, keeps every tile where it was, so the bits do not depend on T.
// - Convolutions run their im2col chunks at multiples of MR rows for the same reason; the
//   backward-data scatter (col2im adds into dx) is split by image so no two threads add into
//   one element and each element receives its terms in the same order; the backward-filter
//   reduction over pixels keeps its chunk order and splits dw's tiles instead.
import type { Call } from './threads.js';

export interface ConvShape {
  N: number; H: number; W: number; C: number; KH: number; KW: number; OC: number;
  SH: number; SW: number; padT: number; padL: number; OH: number; OW: number;
}

/** gemm_f32's register tile and depth block, and its scratch size (gemm_f32_workspace_bytes). */
export interface Tiles { mr: number; nr: number; kc: number; gemmBytes(M: number, N: number, K: number): number }

const align64 = (n: number) => Math.ceil(n / 64) * 64;

/** [start, end) ranges splitting n into at most `parts` pieces, each boundary a multiple of `unit`. */
export function splitAligned(n: number, parts: number, unit: number): [number, number][] {
  const units = Math.ceil(n / unit);
  const p = Math.max(1, Math.min(parts, units));
  const out: [number, number][] = [];
  for (let t = 0; t < p; t++) {
    const a = Math.floor((units * t) / p) * unit, b = Math.min(n, Math.floor((units * (t + 1)) / p) * unit);
    if (b > a) out.push([a, b]);
  }
  return out;
}

/** Below this many flops a call runs on the calling thread alone (waking helpers costs ~10–50 µs). */
export const MIN_PARALLEL_FLOPS = 1 << 21;

export interface GemmArgs {
  tA: boolean; tB: boolean; M: number; N: number; K: number; alpha: number;
  A: number; lda: number; B: number; ldb: number; beta: number; C: number; ldc: number;
}

/** Per-thread gemm_f32 calls for C = alpha·op(A)·op(B) + beta·C; `work(t)` is thread t's scratch. */
export function gemmPlan(g: GemmArgs, threads: number, tiles: Tiles, work: (t: number) => number): Call[][] {
  const { tA, tB, M, N, K } = g;
  const T = 2 * M * N * K < MIN_PARALLEL_FLOPS ? 1 : threads;
  // Split the dimension with more register tiles (the other operand's packing is repeated per thread).
  const byRows = Math.ceil(M / tiles.mr) >= Math.ceil(N / tiles.nr);
  const parts = byRows ? splitAligned(M, T, tiles.mr) : splitAligned(N, T, tiles.nr);
  return parts.map(([a, b], t) => {
    const A = byRows ? g.A + 4 * (tA ? a : a * g.lda) : g.A;
    const B = byRows ? g.B : g.B + 4 * (tB ? a * g.ldb : a);
    const C = g.C + 4 * (byRows ? a * g.ldc : a);
    const m = byRows ? b - a : M, n = byRows ? N : b - a;
    return [['gemm_f32', +tA, +tB, m, n, K, g.alpha, A, g.lda, B, g.ldb, g.beta, C, g.ldc, work(t)]];
  });
}

const COL_BUDGET = 2 << 20;

/** Output pixels per im2col chunk: a multiple of MR, the column chunk within COL_BUDGET. */
export function convChunkRows(K: number, total: number, mr: number): number {
  const r = Math.max(64, Math.floor(COL_BUDGET / (4 * Math.max(K, 1))));
  return Math.max(mr, Math.floor(Math.min(r, total + mr - 1) / mr) * mr);
}

export function isPointwise(g: ConvShape): boolean {
  return g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.padT === 0 && g.padL === 0 && g.OH === g.H && g.OW === g.W;
}

const geo = (g: ConvShape) => [g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.padT, g.padL, g.OH, g.OW] as const;

/** Bytes of scratch per thread for the conv plans below: [column chunk | gemm scratch]. */
export function convThreadBytes(g: ConvShape, tiles: Tiles): number {
  const total = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, R = convChunkRows(K, total, tiles.mr);
  // gemm_f32's scratch grows with M and N; in the depth it peaks at kc (deeper products are
  // split into balanced blocks ≤ kc), so a reduction over d pixels needs at most its depth-min(d, kc) size.
  const depth = (d: number) => Math.min(d, tiles.kc);
  const gemm = Math.max(tiles.gemmBytes(R, g.OC, K), tiles.gemmBytes(R, K, g.OC), tiles.gemmBytes(K, g.OC, depth(R)),
    isPointwise(g) ? Math.max(tiles.gemmBytes(total, g.OC, K), tiles.gemmBytes(total, g.C, g.OC), tiles.gemmBytes(K, g.OC, depth(total))) : 0);
  return align64(R * K * 4) + align64(gemm);
}

interface Ptrs { work: (t: number) => number; colBytes: number }

/** y = conv(x, w) (+ bias): pixel rows split at multiples of MR, each thread chunking its own rows. */
export function convForwardPlan(g: ConvShape, x: number, w: number, bias: number, y: number, threads: number, tiles: Tiles, p: Ptrs): Call[][] {
  const total = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, OC = g.OC;
  const T = 2 * total * K * OC < MIN_PARALLEL_FLOPS ? 1 : threads;
  const R = isPointwise(g) ? total : convChunkRows(K, total, tiles.mr);
  return splitAligned(total, T, tiles.mr).map(([a, b], t) => {
    const calls: Call[] = [];
    const col = p.work(t), gws = col + p.colBytes;
    for (let r0 = a; r0 < b; r0 += R) {
      const m = Math.min(R, b - r0), yr = y + 4 * r0 * OC;
      if (isPointwise(g)) calls.push(['gemm_f32', 0, 0, m, OC, K, 1, x + 4 * r0 * K, K, w, OC, 0, yr, OC, gws]);
      else calls.push(['im2col_nhwc', x, col, ...geo(g), r0, m], ['gemm_f32', 0, 0, m, OC, K, 1, col, K, w, OC, 0, yr, OC, gws]);
      if (bias) calls.push(['bias_add_f32', yr, bias, m, OC]);
    }
    return calls;
  });
}

/** dx = convᵀ(dy, w): images split over threads; dcol chunks start at multiples of MR (a few rows recomputed at image edges). */
export function convBackwardDataPlan(g: ConvShape, dy: number, w: number, dx: number, threads: number, tiles: Tiles, p: Ptrs): Call[][] {
  const P = g.OH * g.OW, total = g.N * P, K = g.KH * g.KW * g.C, OC = g.OC, img = g.H * g.W * g.C;
  const T = 2 * total * K * OC < MIN_PARALLEL_FLOPS ? 1 : threads;
  if (isPointwise(g)) {
    return splitAligned(total, T, tiles.mr).map(([a, b], t) =>
      [['gemm_f32', 0, 1, b - a, g.C, OC, 1, dy + 4 * a * OC, OC, w, OC, 0, dx + 4 * a * g.C, g.C, p.work(t) + p.colBytes]]);
  }
  const R = convChunkRows(K, total, tiles.mr), mr = tiles.mr;
  return splitAligned(g.N, T, 1).map(([n0, n1], t) => {
    const col = p.work(t), gws = col + p.colBytes;
    const calls: Call[] = [['fill_f32', (n1 - n0) * img, 0, dx + 4 * n0 * img]];
    const a = n0 * P, b = n1 * P;
    for (let c0 = Math.floor(a / mr) * mr; c0 < b; c0 += R) {
      const c1 = Math.min(c0 + R, total), lo = Math.max(c0, a), hi = Math.min(c1, b);
      calls.push(['gemm_f32', 0, 1, c1 - c0, K, OC, 1, dy + 4 * c0 * OC, OC, w, OC, 0, col, K, gws]);
      calls.push(['col2im_nhwc', col + 4 * (lo - c0) * K, dx, ...geo(g), lo, hi - lo]);
    }
    return calls;
  });
}

/**
 * dw = Σ over pixels of colᵀ·dy: rounds per chunk (all threads im2col their rows of one shared
 * column chunk, then each accumulates its tiles of dw); the chunk order is the same for any T.
 */
export function convBackwardFilterPlan(g: ConvShape, x: number, dy: number, dw: number, threads: number, tiles: Tiles, p: Ptrs): Call[][][] {
  const total = g.N * g.OH * g.OW, K = g.KH * g.KW * g.C, OC = g.OC;
  const T = 2 * total * K * OC < MIN_PARALLEL_FLOPS ? 1 : threads;
  const byRows = Math.ceil(K / tiles.mr) >= Math.ceil(OC / tiles.nr);
  const dwParts = byRows ? splitAligned(K, T, tiles.mr) : splitAligned(OC, T, tiles.nr);
  // Thread t's tiles of dw (+)= op(col)ᵀ·dy over `depth` pixels starting at pixel r0.
  const slice = (src: number, ld: number, depth: number, beta: number, r0: number) => dwParts.map(([a, b], t): Call[] => {
    const dyr = dy + 4 * r0 * OC;
    const A = byRows ? src + 4 * a : src, B = byRows ? dyr : dyr + 4 * a;
    const m = byRows ? b - a : K, n = byRows ? OC : b - a;
    return [['gemm_f32', 1, 0, m, n, depth, 1, A, ld, B, OC, beta, dw + 4 * (byRows ? a * OC : a), OC, p.work(t) + p.colBytes]];
  });
  if (isPointwise(g)) return [slice(x, K, total, 0, 0)];
  const R = convChunkRows(K, total, tiles.mr), col = p.work(0), rounds: Call[][][] = [];
  for (let r0 = 0; r0 < total; r0 += R) {
    const m = Math.min(R, total - r0);
    rounds.push(splitAligned(m, T, 1).map(([a, b]) => [['im2col_nhwc', x, col + 4 * a * K, ...geo(g), r0 + a, b - a]]));
    rounds.push(slice(col, K, m, r0 === 0 ? 0 : 1, r0));
  }
  return rounds;
}

// --- Winograd F(2×2, 3×3) (assembly/winograd.ts) for stride-1 3×3 convolutions where
// conv2d_winograd_f2x3_pays. A tile is one GEMM row (per Winograd position) whose bits depend
// only on the depth (C or OC) and on whether it falls in a full MR-row register tile: ranges
// split at multiples of MR, chunked (winograd_f2x3_chunk_tiles, a multiple of MR) from their
// start, keep every tile in a full register tile except the last partial one, as with one
// thread. The filter transforms are elementwise; the backward-filter reduction keeps its chunk
// order and splits the 16 Winograd positions instead.

export function isWinograd(g: ConvShape, pays: (N: number, C: number, OC: number, OH: number, OW: number) => number): boolean {
  return g.KH === 3 && g.KW === 3 && g.SH === 1 && g.SW === 1 && pays(g.N, g.C, g.OC, g.OH, g.OW) === 1;
}

/** Winograd sizes from the module: chunk tiles, per-thread scratch, filter block bytes. */
export interface WinogradSizes {
  /** gemm_f32's register tile rows (tile ranges split at its multiples). */
  mr: number;
  chunkTiles(Cin: number, Cout: number, tiles: number): number;
  tilesBytes(Cin: number, Cout: number, tiles: number): number;
  gradChunkBytes(C: number, OC: number, tiles: number): number;
  gradGemmBytes(C: number, OC: number, tiles: number): number;
  filterBytes(C: number, OC: number): number;
}

const tilesOf = (N: number, h: number, w: number) => N * Math.ceil(h / 2) * Math.ceil(w / 2);

/** Scratch of the three Winograd plans: [U or dU | the backward-filter's shared V, Z chunk | per-thread scratch × threads]. */
export function winogradLayout(g: ConvShape, s: WinogradSizes): { filterBytes: number; chunkBytes: number; perThread: number } {
  const tf = tilesOf(g.N, g.OH, g.OW), tb = tilesOf(g.N, g.H, g.W);
  return {
    filterBytes: align64(s.filterBytes(g.C, g.OC)),
    chunkBytes: align64(s.gradChunkBytes(g.C, g.OC, tf)),
    perThread: align64(Math.max(s.tilesBytes(g.C, g.OC, tf), s.tilesBytes(g.OC, g.C, tb), s.gradGemmBytes(g.C, g.OC, tf))),
  };
}

interface WinoPtrs { U: number; work: (t: number) => number }

const flops3x3 = (g: ConvShape) => 2 * g.N * g.OH * g.OW * 9 * g.C * g.OC;

/** The filter transform U = G w Gᵀ split over input channels. */
function filterRound(g: ConvShape, w: number, U: number, T: number): Call[][] {
  return splitAligned(g.C, T, 1).map(([c0, c1]) => [['winograd_f2x3_filter_fwd', w, U, g.C, g.OC, c0, c1]]);
}

/** y = conv(x, w) + bias by Winograd: the filter transform, then tile ranges per thread. */
export function winogradForwardPlan(g: ConvShape, x: number, w: number, bias: number, y: number, threads: number, s: WinogradSizes, p: WinoPtrs): Call[][][] {
  const T = flops3x3(g) < MIN_PARALLEL_FLOPS ? 1 : threads, all = tilesOf(g.N, g.OH, g.OW);
  return [filterRound(g, w, p.U, T), splitAligned(all, T, s.mr).map(([a, b], t) =>
    [['conv2d_winograd_f2x3_fwd_tiles_nhwc', x, p.U, bias, y, g.N, g.H, g.W, g.C, g.OC, g.padT, g.padL, g.OH, g.OW, a, b, p.work(t)]])];
}

/** dx = convᵀ(dy, w) by Winograd: the same filter transform (read transposed), dx's tiles per thread. */
export function winogradBackwardDataPlan(g: ConvShape, dy: number, w: number, dx: number, threads: number, s: WinogradSizes, p: WinoPtrs): Call[][][] {
  const T = flops3x3(g) < MIN_PARALLEL_FLOPS ? 1 : threads, all = tilesOf(g.N, g.H, g.W);
  return [filterRound(g, w, p.U, T), splitAligned(all, T, s.mr).map(([a, b], t) =>
    [['conv2d_winograd_f2x3_bwd_data_tiles_nhwc', dy, p.U, dx, g.N, g.H, g.W, g.C, g.OC, g.padT, g.padL, g.OH, g.OW, a, b, p.work(t)]])];
}

/**
 * dw by Winograd: per chunk of tiles, a round transforming the chunk (x and dy tiles split over
 * threads into the shared V | Z) and a round of the 16 products dU_ξν (+)= V_ξνᵀ·Z_ξν split by ξν;
 * then dw = Gᵀ dU G split over input channels. The chunk order is the same for any thread count.
 */
export function winogradBackwardFilterPlan(g: ConvShape, x: number, dy: number, dw: number, threads: number, s: WinogradSizes, p: WinoPtrs & { chunk: number }): Call[][][] {
  const T = flops3x3(g) < MIN_PARALLEL_FLOPS ? 1 : threads, all = tilesOf(g.N, g.OH, g.OW);
  const tc = s.chunkTiles(g.C, g.OC, all), TH = Math.ceil(g.OH / 2), TW = Math.ceil(g.OW / 2);
  const V = p.chunk, Z = V + align64(tc * 16 * g.C * 4), rounds: Call[][][] = [];
  for (let a = 0; a < all; a += tc) {
    const m = Math.min(tc, all - a);
    rounds.push(splitAligned(m, T, 1).map(([i0, i1]) => [
      ['winograd_f2x3_input_nhwc', x, V + 4 * i0 * 16 * g.C, g.H, g.W, g.C, g.padT, g.padL, TH, TW, a + i0, i1 - i0],
      ['winograd_f2x3_grad_output_nhwc', dy, Z + 4 * i0 * 16 * g.OC, g.OH, g.OW, g.OC, TH, TW, a + i0, i1 - i0],
    ]));
    rounds.push(splitAligned(16, T, 1).map(([e0, e1], t) =>
      [['conv2d_winograd_f2x3_filter_grad_gemm', V, Z, p.U, g.C, g.OC, m, a === 0 ? 0 : 1, e0, e1, p.work(t)]]));
  }
  rounds.push(splitAligned(g.C, T, 1).map(([c0, c1]) => [['winograd_f2x3_filter_grad', p.U, dw, g.C, g.OC, c0, c1]]));
  return rounds;
}
