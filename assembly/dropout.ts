// Inverted dropout with a counter-based mask: element i is kept iff
// hash(seed, stream, i) ≥ p·2²⁴ (on the top 24 bits), so the mask depends only on
// (seed, stream, i) — not on n, chunking or call order — and a layer can recompute it.
// Hash: key1, key2 = splitmix64(seed‖stream) halves; h = fmix32(fmix32(i + key1) ^ key2)
// (murmur3's finalizer, a bijection of i for a fixed key). Kept elements are scaled
// by 1/(1−p). p ≥ 1 drops everything (mask 0, no division by zero); p ≤ 0 keeps all.

@inline function fmix32v(h: v128): v128 {
  h = v128.xor(h, i32x4.shr_u(h, 16));
  h = i32x4.mul(h, i32x4.splat(0x85ebca6b));
  h = v128.xor(h, i32x4.shr_u(h, 13));
  h = i32x4.mul(h, i32x4.splat(0xc2b2ae35));
  return v128.xor(h, i32x4.shr_u(h, 16));
}

@inline function fmix32(h: u32): u32 {
  h ^= h >>> 16; h *= 0x85ebca6b;
  h ^= h >>> 13; h *= 0xc2b2ae35;
  return h ^ (h >>> 16);
}

function splitmix64(z: u64): u64 {
  z += 0x9e3779b97f4a7c15;
  z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >>> 27)) * 0x94d049bb133111eb;
  return z ^ (z >>> 31);
}

/** mask[i] ∈ {0, 1/(1−p)} from (seed, stream, i); y = x·mask. y may alias x. */
export function dropout_fwd_f32(x: usize, y: usize, mask: usize, n: i32, p: f32, seed: u32, stream: u32): void {
  dropout_fwd_at_f32(x, y, mask, n, p, seed, stream, 0);
}

/**
 * dropout_fwd_f32 on a slice that starts at element `first` of a larger tensor: the
 * counter is first + i, so processing a batch in shards (workers, chunks) reproduces
 * exactly the mask of one call over the whole tensor.
 */
export function dropout_fwd_at_f32(x: usize, y: usize, mask: usize, n: i32, p: f32, seed: u32, stream: u32, first: u32): void {
  const key = splitmix64((<u64>seed << 32) | <u64>stream);
  const k1 = <u32>key, k2 = <u32>(key >>> 32);
  let keepScale: f32 = 0;
  let thr: u32 = 0;
  if (p >= 1) { keepScale = 0; thr = 0; } // everything dropped: mask 0 whatever the hash
  else if (p <= 0) { keepScale = 1; thr = 0; }
  else { keepScale = <f32>(1.0 / (1.0 - <f64>p)); thr = <u32>(<f64>p * 16777216.0); }
  const sv = f32x4.splat(keepScale), tv = i32x4.splat(thr);
  const k1v = i32x4.splat(k1), k2v = i32x4.splat(k2);
  let iv = i32x4.add(i32x4(0, 1, 2, 3), i32x4.splat(first));
  const four = i32x4.splat(4);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const h = fmix32v(v128.xor(fmix32v(i32x4.add(iv, k1v)), k2v));
    const keep = i32x4.ge_u(i32x4.shr_u(h, 8), tv);
    const m = v128.and(keep, sv);
    const o = <usize>i << 2;
    v128.store(mask + o, m);
    v128.store(y + o, f32x4.mul(v128.load(x + o), m));
    iv = i32x4.add(iv, four);
  }
  for (; i < n; i++) {
    const h = fmix32(fmix32(first + <u32>i + k1) ^ k2);
    const m: f32 = (h >>> 8) >= thr ? keepScale : 0;
    const o = <usize>i << 2;
    store<f32>(mask + o, m);
    store<f32>(y + o, load<f32>(x + o) * m);
  }
}

/** dx = dy·mask. dx may alias dy. */
export function dropout_bwd_f32(dy: usize, mask: usize, dx: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, f32x4.mul(v128.load(dy + o), v128.load(mask + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(dy + o) * load<f32>(mask + o));
  }
}
