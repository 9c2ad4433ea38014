// How a batch is cut into per-worker shards and the parameter vector into per-worker
// slices. Both are pure functions of the sizes, so every worker (and the main thread)
// computes the same cut without talking.

/** Floats per slice boundary: 16 floats = 64 bytes, a cache line (no false sharing) and a
 * multiple of the f32x4 width, so a kernel treats every element of a slice exactly as it
 * would in one call over the whole vector (only the vector's own tail runs the scalar loop). */
export const SLICE_ALIGN = 16;

export interface Range { lo: number; hi: number }

/** Contiguous shards of a batch of `batch` samples over `workers` workers; the first `batch mod workers` get one more. */
export function shardRanges(batch: number, workers: number): Range[] {
  const base = Math.floor(batch / workers), extra = batch % workers;
  const out: Range[] = [];
  let lo = 0;
  for (let s = 0; s < workers; s++) {
    const hi = lo + base + (s < extra ? 1 : 0);
    out.push({ lo, hi });
    lo = hi;
  }
  return out;
}

/** Per-shard weights n_s / B as f32 (the reduction computes Σ w_s·g_s in shard order). */
export function shardWeights(batch: number, workers: number): Float32Array {
  return Float32Array.from(shardRanges(batch, workers), (r) => (r.hi - r.lo) / batch);
}

/** Slices of a vector of n floats, one per worker, with boundaries on multiples of SLICE_ALIGN (some may be empty). */
export function sliceRanges(n: number, workers: number): Range[] {
  const chunks = Math.ceil(n / SLICE_ALIGN);
  const per = Math.floor(chunks / workers), extra = chunks % workers;
  const out: Range[] = [];
  let c = 0;
  for (let w = 0; w < workers; w++) {
    const c1 = c + per + (w < extra ? 1 : 0);
    out.push({ lo: Math.min(n, c * SLICE_ALIGN), hi: Math.min(n, c1 * SLICE_ALIGN) });
    c = c1;
  }
  return out;
}
