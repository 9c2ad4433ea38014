// The random n×p subspace matrix A of the sharpness metric (Keskar et al. §2.2),
// generated on the fly and never stored: A[r, c] is a pure function of (seed, r, c).
//
// Generator (counter-based, keyed by (seed, row, col)):
//   F(x)  = lowbias32: x ^= x>>>16; x *= 0x21f0aaad; x ^= x>>>15; x *= 0x735a2d97; x ^= x>>>15
//   sk    = F(seed ^ 0x9e3779b9)
//   hc    = F(col ^ sk),  ac = F(hc + 0x85ebca6b)          (per-column keys)
//   lo1   = row + ac;  hi2 = hc + F(lo1);  u = lo1 + F(hi2 ^ 0xc2b2ae35)
// (row, hc) → (u, hi2) is a 3-round Feistel bijection on 64 bits, so distinct (row, col)
// never share an input state: columns are not shifted copies of one stream.
// Distribution: v = ((u >>> 7) | 1) − 2^24 is an odd integer in (−2^24, 2^24), exact in
// f32; A[r, c] = f32(v) · f32(√3)·2^-24 — uniform on (−√3, √3) at 2^-24·√3 resolution,
// mean 0, variance 1 (so AᵀA ≈ n·I). One f32 multiply, so the value is bit-identical in
// both builds and in the TS reference (test/ref/randproj.ts).
import { madd } from './simd';

const C1: u32 = 0x21f0aaad;
const C2: u32 = 0x735a2d97;
const SEED_SALT: u32 = 0x9e3779b9;
const COL_SALT: u32 = 0x85ebca6b;
const ROUND_SALT: u32 = 0xc2b2ae35;
/** f32(√3) · 2^-24 (exact product of an f32 and a power of two). */
const SCALE: f32 = <f32>1.7320508075688772 / <f32>16777216.0;

@inline
function mix32(x: u32): u32 {
  x ^= x >>> 16; x *= C1; x ^= x >>> 15; x *= C2; x ^= x >>> 15;
  return x;
}

@inline
function mix32x4(x: v128): v128 {
  x = v128.xor(x, i32x4.shr_u(x, 16));
  x = i32x4.mul(x, i32x4.splat(C1));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  x = i32x4.mul(x, i32x4.splat(C2));
  x = v128.xor(x, i32x4.shr_u(x, 15));
  return x;
}

@inline
function seed_key(seed: u32): u32 {
  return mix32(seed ^ SEED_SALT);
}

@inline
function col_key_h(sk: u32, col: u32): u32 {
  return mix32(col ^ sk);
}

@inline
function col_key_a(hc: u32): u32 {
  return mix32(hc + COL_SALT);
}

@inline
function entry(row: u32, hc: u32, ac: u32): f32 {
  const lo1 = row + ac;
  const hi2 = hc + mix32(lo1);
  const u = lo1 + mix32(hi2 ^ ROUND_SALT);
  return <f32>(<i32>((u >>> 7) | 1) - (1 << 24)) * SCALE;
}

/** Four entries; lane l is (rows[l], column with keys hc[l], ac[l]). */
@inline
function entry4(rows: v128, hc: v128, ac: v128): v128 {
  const lo1 = i32x4.add(rows, ac);
  const hi2 = i32x4.add(hc, mix32x4(lo1));
  const u = i32x4.add(lo1, mix32x4(v128.xor(hi2, i32x4.splat(ROUND_SALT))));
  const v = i32x4.sub(v128.or(i32x4.shr_u(u, 7), i32x4.splat(1)), i32x4.splat(1 << 24));
  return f32x4.mul(f32x4.convert_i32x4_s(v), f32x4.splat(SCALE));
}

/** A[row, col] for one entry (for hosts that want to spot-check the generator). */
export function randproj_entry_f32(seed: u32, row: u32, col: u32): f32 {
  const hc = col_key_h(seed_key(seed), col);
  return entry(row, hc, col_key_a(hc));
}

/**
 * out = A·y (+ beta·out): y has p floats, out n floats. beta = 0 makes out write-only.
 * Rows go 16 at a time (four f32x4 accumulators), columns inner; per-output sums are
 * f32 over p terms. out must not overlap y.
 */
export function randproj_apply_f32(seed: u32, n: i32, p: i32, y: usize, out: usize, beta: f32): void {
  const sk = seed_key(seed);
  const lane = i32x4(0, 1, 2, 3);
  let r = 0;
  for (; r + 16 <= n; r += 16) {
    const r0 = i32x4.add(i32x4.splat(r), lane);
    const r1 = i32x4.add(r0, i32x4.splat(4));
    const r2 = i32x4.add(r0, i32x4.splat(8));
    const r3 = i32x4.add(r0, i32x4.splat(12));
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let c = 0; c < p; c++) {
      const hc = col_key_h(sk, c);
      const vh = i32x4.splat(hc), va = i32x4.splat(col_key_a(hc));
      const yc = v128.load32_splat(y + (<usize>c << 2));
      s0 = madd(entry4(r0, vh, va), yc, s0);
      s1 = madd(entry4(r1, vh, va), yc, s1);
      s2 = madd(entry4(r2, vh, va), yc, s2);
      s3 = madd(entry4(r3, vh, va), yc, s3);
    }
    const o = out + (<usize>r << 2);
    if (beta != 0) {
      const vb = f32x4.splat(beta);
      s0 = madd(vb, v128.load(o), s0);
      s1 = madd(vb, v128.load(o + 16), s1);
      s2 = madd(vb, v128.load(o + 32), s2);
      s3 = madd(vb, v128.load(o + 48), s3);
    }
    v128.store(o, s0); v128.store(o + 16, s1); v128.store(o + 32, s2); v128.store(o + 48, s3);
  }
  for (; r + 4 <= n; r += 4) {
    const r0 = i32x4.add(i32x4.splat(r), lane);
    let s0 = f32x4.splat(0);
    for (let c = 0; c < p; c++) {
      const hc = col_key_h(sk, c);
      s0 = madd(entry4(r0, i32x4.splat(hc), i32x4.splat(col_key_a(hc))), v128.load32_splat(y + (<usize>c << 2)), s0);
    }
    const o = out + (<usize>r << 2);
    if (beta != 0) s0 = madd(f32x4.splat(beta), v128.load(o), s0);
    v128.store(o, s0);
  }
  for (; r < n; r++) {
    let s: f32 = 0;
    for (let c = 0; c < p; c++) {
      const hc = col_key_h(sk, c);
      s += entry(<u32>r, hc, col_key_a(hc)) * load<f32>(y + (<usize>c << 2));
    }
    const o = out + (<usize>r << 2);
    store<f32>(o, beta != 0 ? s + beta * load<f32>(o) : s);
  }
}

/**
 * out = Aᵀ·g: g has n floats, out p floats. Each output is a sum of n exact
 * f32×f32 products accumulated in f64 (n can be 10⁷), rounded to f32 once.
 * One pass over g per column, 8 rows per step.
 */
export function randproj_apply_t_f32(seed: u32, n: i32, p: i32, g: usize, out: usize): void {
  const sk = seed_key(seed);
  const lane = i32x4(0, 1, 2, 3);
  for (let c = 0; c < p; c++) {
    const hc = col_key_h(sk, c);
    const ac = col_key_a(hc);
    const vh = i32x4.splat(hc), va = i32x4.splat(ac);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let r = 0;
    for (; r + 8 <= n; r += 8) {
      const r0 = i32x4.add(i32x4.splat(r), lane);
      const a0 = entry4(r0, vh, va);
      const a1 = entry4(i32x4.add(r0, i32x4.splat(4)), vh, va);
      const o = g + (<usize>r << 2);
      const g0 = v128.load(o), g1 = v128.load(o + 16);
      s0 = f64x2.add(s0, f64x2.mul(f64x2.promote_low_f32x4(a0), f64x2.promote_low_f32x4(g0)));
      s1 = f64x2.add(s1, f64x2.mul(f64x2.promote_low_f32x4(i64x2.shuffle(a0, a0, 1, 0)), f64x2.promote_low_f32x4(i64x2.shuffle(g0, g0, 1, 0))));
      s2 = f64x2.add(s2, f64x2.mul(f64x2.promote_low_f32x4(a1), f64x2.promote_low_f32x4(g1)));
      s3 = f64x2.add(s3, f64x2.mul(f64x2.promote_low_f32x4(i64x2.shuffle(a1, a1, 1, 0)), f64x2.promote_low_f32x4(i64x2.shuffle(g1, g1, 1, 0))));
    }
    const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
    let acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    for (; r < n; r++) acc += <f64>entry(<u32>r, hc, ac) * <f64>load<f32>(g + (<usize>r << 2));
    store<f32>(out + (<usize>c << 2), <f32>acc);
  }
}

@inline
function align16(b: usize): usize {
  return (b + 15) & ~(<usize>15);
}

/** Bytes of scratch `randproj_gram_f64` needs for this p: column keys and a 4-row f64 panel. */
export function randproj_gram_workspace_bytes(p: i32): usize {
  return align16(<usize>p * 8) + <usize>p * 32 + 16;
}

/**
 * G = AᵀA (p×p, f64, row-major, symmetric). Rows of A are generated 4 at a time into
 * an f64 panel (lanes = 4 columns, keys precomputed in `work`) and added as a rank-4
 * update to the upper triangle (f64x2 over pairs of columns), which is then mirrored.
 * Products and sums are f64: the entries of A are exact in f64, so G is accurate to
 * f64 rounding. `work` needs randproj_gram_workspace_bytes(p) bytes.
 */
export function randproj_gram_f64(seed: u32, n: i32, p: i32, G: usize, work: usize): void {
  const sk = seed_key(seed);
  const keysH = align16(work);
  const keysA = keysH + (<usize>p << 2);
  const panel = align16(keysH + align16(<usize>p * 8));
  const ld = <usize>p << 3; // panel and G row stride, bytes
  for (let c = 0; c < p; c++) {
    const hc = col_key_h(sk, c);
    store<u32>(keysH + (<usize>c << 2), hc);
    store<u32>(keysA + (<usize>c << 2), col_key_a(hc));
  }
  memory.fill(G, 0, <usize>p * ld);
  for (let r = 0; r < n; r += 4) {
    // Panel rows t = 0..3 (rows r+t of A); rows past n are zero so the update stays rank-4.
    for (let t = 0; t < 4; t++) {
      const row = r + t;
      const prow = panel + <usize>t * ld;
      if (row >= n) { memory.fill(prow, 0, ld); continue; }
      const vr = i32x4.splat(row);
      let c = 0;
      for (; c + 4 <= p; c += 4) {
        const e = entry4(vr, v128.load(keysH + (<usize>c << 2)), v128.load(keysA + (<usize>c << 2)));
        v128.store(prow + (<usize>c << 3), f64x2.promote_low_f32x4(e));
        v128.store(prow + (<usize>c << 3) + 16, f64x2.promote_low_f32x4(i64x2.shuffle(e, e, 1, 0)));
      }
      for (; c < p; c++) {
        store<f64>(prow + (<usize>c << 3), <f64>entry(<u32>row, load<u32>(keysH + (<usize>c << 2)), load<u32>(keysA + (<usize>c << 2))));
      }
    }
    for (let j = 0; j < p; j++) {
      const oj = <usize>j << 3;
      const a0 = f64x2.splat(load<f64>(panel + oj));
      const a1 = f64x2.splat(load<f64>(panel + ld + oj));
      const a2 = f64x2.splat(load<f64>(panel + 2 * ld + oj));
      const a3 = f64x2.splat(load<f64>(panel + 3 * ld + oj));
      const grow = G + <usize>j * ld;
      let k = j;
      for (; k + 2 <= p; k += 2) {
        const ok = <usize>k << 3;
        let acc = v128.load(grow + ok);
        acc = f64x2.add(acc, f64x2.mul(a0, v128.load(panel + ok)));
        acc = f64x2.add(acc, f64x2.mul(a1, v128.load(panel + ld + ok)));
        acc = f64x2.add(acc, f64x2.mul(a2, v128.load(panel + 2 * ld + ok)));
        acc = f64x2.add(acc, f64x2.mul(a3, v128.load(panel + 3 * ld + ok)));
        v128.store(grow + ok, acc);
      }
      if (k < p) {
        const ok = <usize>k << 3;
        store<f64>(grow + ok, load<f64>(grow + ok)
          + f64x2.extract_lane(a0, 0) * load<f64>(panel + ok)
          + f64x2.extract_lane(a1, 0) * load<f64>(panel + ld + ok)
          + f64x2.extract_lane(a2, 0) * load<f64>(panel + 2 * ld + ok)
          + f64x2.extract_lane(a3, 0) * load<f64>(panel + 3 * ld + ok));
      }
    }
  }
  for (let j = 0; j < p; j++) {
    for (let k = j + 1; k < p; k++) {
      store<f64>(G + <usize>k * ld + (<usize>j << 3), load<f64>(G + <usize>j * ld + (<usize>k << 3)));
    }
  }
}
