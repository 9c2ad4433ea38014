// Vector reductions and BLAS-1 updates on f32 arrays (pointers are byte offsets).
//
// Reductions (sum, dot, sumsq) widen every f32 to f64 (exact) and accumulate in four
// f64x2 accumulators, combined in a fixed order at the end. A product of two f32 is
// exact in f64, so the only error is f64 summation: |err| ≤ n·2⁻⁵³·Σ|terms| — far
// below f32 resolution for any n that fits in memory. Fixed order → same bits every call.
import { madd } from './simd';

@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)); }
@inline function hsum64(a: v128): f64 { return f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1); }

/** Σ x[i], accumulated in f64. */
export function sum_f32(x: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const p = x + (<usize>i << 2);
    const u = v128.load(p), w = v128.load(p, 16);
    a0 = f64x2.add(a0, lo64(u)); a1 = f64x2.add(a1, hi64(u));
    a2 = f64x2.add(a2, lo64(w)); a3 = f64x2.add(a3, hi64(w));
  }
  let s = hsum64(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)));
  for (; i < n; i++) s += <f64>load<f32>(x + (<usize>i << 2));
  return s;
}

/** Σ x[i]·y[i], products exact in f64, accumulated in f64. */
export function dot_f32(x: usize, y: usize, n: i32): f64 {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const u = v128.load(x + o), w = v128.load(x + o, 16);
    const s = v128.load(y + o), t = v128.load(y + o, 16);
    a0 = f64x2.add(a0, f64x2.mul(lo64(u), lo64(s))); a1 = f64x2.add(a1, f64x2.mul(hi64(u), hi64(s)));
    a2 = f64x2.add(a2, f64x2.mul(lo64(w), lo64(t))); a3 = f64x2.add(a3, f64x2.mul(hi64(w), hi64(t)));
  }
  let r = hsum64(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    r += <f64>load<f32>(x + o) * <f64>load<f32>(y + o);
  }
  return r;
}

/** Σ x[i]², accumulated in f64. */
export function sumsq_f32(x: usize, n: i32): f64 {
  return dot_f32(x, x, n);
}

/** y += a·x. x and y may be the same array. */
export function axpy_f32(n: i32, a: f32, x: usize, y: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, madd(av, v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, a * load<f32>(x + o) + load<f32>(y + o));
  }
}

/** x *= a. */
export function scal_f32(n: i32, a: f32, x: usize): void {
  const av = f32x4.splat(a);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(av, v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, a * load<f32>(x + o));
  }
}

/** y = x (overlapping ranges are handled like memmove). */
export function copy_f32(n: i32, x: usize, y: usize): void {
  if (n > 0) memory.copy(y, x, <usize>n << 2);
}

/** x[i] = v. */
export function fill_f32(n: i32, v: f32, x: usize): void {
  const vv = f32x4.splat(v);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(x + (<usize>i << 2), vv);
  for (; i < n; i++) store<f32>(x + (<usize>i << 2), v);
}

/** y = a·x + b·y. x and y may be the same array. */
export function axpby_f32(n: i32, a: f32, x: usize, b: f32, y: usize): void {
  const av = f32x4.splat(a), bv = f32x4.splat(b);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, madd(av, v128.load(x + o), f32x4.mul(bv, v128.load(y + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, a * load<f32>(x + o) + b * load<f32>(y + o));
  }
}

/** z = x + y. z may alias x or y. */
export function add_f32(n: i32, x: usize, y: usize, z: usize): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(z + o, f32x4.add(v128.load(x + o), v128.load(y + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(z + o, load<f32>(x + o) + load<f32>(y + o));
  }
}

/** 1 if no element of x is NaN or ±Infinity, else 0. Tests the exponent bits (all ones). */
export function is_finite_f32(x: usize, n: i32): i32 {
  const expMask = i32x4.splat(0x7f800000);
  let bad = i32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const e = v128.and(v128.load(x + (<usize>i << 2)), expMask);
    bad = v128.or(bad, i32x4.eq(e, expMask));
  }
  if (v128.any_true(bad)) return 0;
  for (; i < n; i++) {
    if ((load<u32>(x + (<usize>i << 2)) & 0x7f800000) == 0x7f800000) return 0;
  }
  return 1;
}
