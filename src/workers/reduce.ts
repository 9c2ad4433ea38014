// The data-parallel gradient reduction, g[lo:hi) = Σ_s w_s·g_s[lo:hi) in shard order,
// w_s = n_s / B. The shared-memory path runs it per parameter slice in each worker; the
// transfer fallback runs it over the whole vector on the main thread. Same kernel calls
// in the same order and slice bounds on multiples of SLICE_ALIGN make them agree bit for bit.
import type { KernelExports } from '../kernels/exports.js';

export function reduceShardGradients(
  ex: KernelExports, out: number, shardGrads: readonly number[], weights: Float32Array, lo: number, hi: number,
): void {
  const len = hi - lo;
  if (len <= 0) return;
  const off = lo * 4;
  let first = true;
  for (let s = 0; s < shardGrads.length; s++) {
    const w = weights[s];
    if (w === 0) continue; // an empty shard (batch smaller than the worker count)
    if (first) {
      ex.copy_f32(len, shardGrads[s] + off, out + off);
      if (w !== 1) ex.scal_f32(len, w, out + off);
      first = false;
    } else {
      ex.axpy_f32(len, w, shardGrads[s] + off, out + off);
    }
  }
}

/**
 * The shard whose gradient IS the reduced gradient (the only non-empty shard, weight 1), or
 * -1. The optimizer then reads it in place: N = 1 costs no reduction pass at all.
 */
export function soleShard(weights: Float32Array): number {
  let found = -1;
  for (let s = 0; s < weights.length; s++) {
    if (weights[s] === 0) continue;
    if (found >= 0 || weights[s] !== 1) return -1;
    found = s;
  }
  return found;
}
