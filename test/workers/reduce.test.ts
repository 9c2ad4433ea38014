// The shard/slice arithmetic and the gradient reduction: against an f64 reference on awkward
// sizes, for both builds, and slice by slice == whole vector bit for bit (what makes the
// shared-memory reduce-scatter agree with the main-thread fallback).
import { describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/kernels/index.js';
import { reduceShardGradients, soleShard } from '../../src/workers/reduce.js';
import { shardRanges, shardWeights, sliceRanges, SLICE_ALIGN } from '../../src/workers/shards.js';

const SIZES = [1, 3, 17, 65, 255];

function rand(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  });
}

describe('shardRanges / shardWeights / sliceRanges', () => {
  it('cover the batch contiguously, sizes differ by at most one, weights are n_s/B', () => {
    for (const B of [1, 2, 3, 17, 32, 6000]) {
      for (const N of [1, 2, 3, 7]) {
        const r = shardRanges(B, N);
        expect(r.length).toBe(N);
        expect(r[0].lo).toBe(0);
        expect(r[N - 1].hi).toBe(B);
        r.slice(1).forEach((x, i) => expect(x.lo).toBe(r[i].hi));
        const sizes = r.map((x) => x.hi - x.lo);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
        const w = shardWeights(B, N);
        sizes.forEach((n, s) => expect(w[s]).toBe(Math.fround(n / B)));
      }
    }
  });

  it('slices cover the vector with boundaries on multiples of SLICE_ALIGN', () => {
    for (const n of [1, 3, 17, 65, 255, 1_000_003]) {
      for (const N of [1, 2, 3, 8]) {
        const r = sliceRanges(n, N);
        expect(r[0].lo).toBe(0);
        expect(r[N - 1].hi).toBe(n);
        r.slice(1).forEach((x, i) => expect(x.lo).toBe(r[i].hi));
        for (const x of r) if (x.lo < n) expect(x.lo % SLICE_ALIGN).toBe(0);
      }
    }
  });

  it('soleShard finds the shard that needs no reduction', () => {
    expect(soleShard(Float32Array.of(1))).toBe(0);
    expect(soleShard(Float32Array.of(0, 1, 0))).toBe(1);
    expect(soleShard(Float32Array.of(0.5, 0.5))).toBe(-1);
  });
});

describe.each(['simd', 'relaxed-simd'] as const)('reduceShardGradients, %s', (build) => {
  it.each(SIZES)('n = %i: matches the f64 reference, and slice-wise equals whole-vector bit for bit', async (n) => {
    const k = await loadKernels({ build });
    for (const [B, N] of [[5, 3], [4, 2], [2, 3]] as const) {
      const w = shardWeights(B, N);
      const grads = Array.from({ length: N }, (_, s) => { const g = k.f32(n); g.set(rand(n, 10 * s + n)); return g; });
      const ptrs = grads.map((g) => k.ptr(g)!);
      const whole = k.f32(n), sliced = k.f32(n);
      sliced.fill(NaN); // every element must be written
      reduceShardGradients(k.exports, k.ptr(whole)!, ptrs, w, 0, n);
      for (const r of sliceRanges(n, 3)) reduceShardGradients(k.exports, k.ptr(sliced)!, ptrs, w, r.lo, r.hi);
      const views = grads.map((g) => k.view(g));
      const out = k.view(whole), out2 = k.view(sliced);
      for (let i = 0; i < n; i++) {
        let ref = 0;
        for (let s = 0; s < N; s++) ref += w[s] * views[s][i];
        expect(Math.abs(out[i] - ref)).toBeLessThan(1e-6);
      }
      expect(Buffer.compare(Buffer.from(out.buffer, out.byteOffset, 4 * n), Buffer.from(out2.buffer, out2.byteOffset, 4 * n))).toBe(0);
      for (const g of grads) k.free(g);
      k.free(whole); k.free(sliced);
    }
  });
});
