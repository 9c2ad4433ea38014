// n-length vector kernels for the loss-landscape numerics (L-BFGS-B, Hessian tools):
// box projection, f64-accumulated dot products, scaled adds, norms, feasible steps.
// All pointers are byte offsets of f32 arrays; n is the element count. Unaligned
// pointers are allowed (v128.load does not require alignment). Outputs may alias
// inputs element-for-element (each output element only reads the same index).
import { madd } from './simd';

// Swaps the two 64-bit halves so promote_low reaches lanes 2 and 3.
@inline
function hi_half(v: v128): v128 {
  return i64x2.shuffle(v, v, 1, 0);
}

/** x[i] = min(max(x[i], lo[i]), hi[i]). Infinite bounds leave x unchanged; NaN x stays NaN. */
export function box_project_f32(x: usize, lo: usize, hi: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const v = f32x4.max(v128.load(x + o), v128.load(lo + o));
    v128.store(x + o, f32x4.min(v, v128.load(hi + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, min(max(load<f32>(x + o), load<f32>(lo + o)), load<f32>(hi + o)));
  }
}

/**
 * Σ a[i]·b[i] with exact f32×f32 products accumulated in f64 (two f64x2 lanes pairs),
 * so long vectors (n ~ 1e7) lose no precision to the accumulator.
 */
export function dot_f32_f64acc(a: usize, b: usize, n: i32): f64 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const o = <usize>i << 2;
    const a0 = v128.load(a + o), b0 = v128.load(b + o);
    const a1 = v128.load(a + o + 16), b1 = v128.load(b + o + 16);
    s0 = f64x2.add(s0, f64x2.mul(f64x2.promote_low_f32x4(a0), f64x2.promote_low_f32x4(b0)));
    s1 = f64x2.add(s1, f64x2.mul(f64x2.promote_low_f32x4(hi_half(a0)), f64x2.promote_low_f32x4(hi_half(b0))));
    s2 = f64x2.add(s2, f64x2.mul(f64x2.promote_low_f32x4(a1), f64x2.promote_low_f32x4(b1)));
    s3 = f64x2.add(s3, f64x2.mul(f64x2.promote_low_f32x4(hi_half(a1)), f64x2.promote_low_f32x4(hi_half(b1))));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  let acc = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
  for (; i < n; i++) {
    const o = <usize>i << 2;
    acc += <f64>load<f32>(a + o) * <f64>load<f32>(b + o);
  }
  return acc;
}

/** out[i] = x[i] + alpha·d[i] (fused in the relaxed build). out may alias x or d. */
export function add_scaled_f32(out: usize, x: usize, alpha: f32, d: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, madd(va, v128.load(d + o), v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) + alpha * load<f32>(d + o));
  }
}

/** x[i] *= alpha. */
export function scale_f32(x: usize, alpha: f32, n: i32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.mul(v128.load(x + o), va));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) * alpha);
  }
}

/** max |x[i]| (0 for n = 0). NaN anywhere gives NaN, so callers can detect it. */
export function max_abs_f32(x: usize, n: i32): f32 {
  let m = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    m = f32x4.max(m, f32x4.abs(v128.load(x + (<usize>i << 2))));
  }
  let r = max(max(f32x4.extract_lane(m, 0), f32x4.extract_lane(m, 1)), max(f32x4.extract_lane(m, 2), f32x4.extract_lane(m, 3)));
  for (; i < n; i++) r = max(r, abs(load<f32>(x + (<usize>i << 2))));
  return r;
}

/**
 * ‖P(x − g) − x‖∞, the projected-gradient norm L-BFGS-B stops on: P clips to [lo, hi].
 * It is 0 exactly at a KKT point of the box-constrained problem. Computed in f64 so a
 * gradient below ulp(x) still counts (in f32, x − g would round back to x).
 */
export function proj_grad_norm_inf_f32(x: usize, g: usize, lo: usize, hi: usize, n: i32): f64 {
  let m = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    const vx = v128.load(x + o), vg = v128.load(g + o), vl = v128.load(lo + o), vh = v128.load(hi + o);
    const x0 = f64x2.promote_low_f32x4(vx), x1 = f64x2.promote_low_f32x4(hi_half(vx));
    const p0 = f64x2.min(f64x2.max(f64x2.sub(x0, f64x2.promote_low_f32x4(vg)), f64x2.promote_low_f32x4(vl)), f64x2.promote_low_f32x4(vh));
    const p1 = f64x2.min(f64x2.max(f64x2.sub(x1, f64x2.promote_low_f32x4(hi_half(vg))), f64x2.promote_low_f32x4(hi_half(vl))), f64x2.promote_low_f32x4(hi_half(vh)));
    m = f64x2.max(m, f64x2.max(f64x2.abs(f64x2.sub(p0, x0)), f64x2.abs(f64x2.sub(p1, x1))));
  }
  let r = max(f64x2.extract_lane(m, 0), f64x2.extract_lane(m, 1));
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const vx = <f64>load<f32>(x + o);
    const p = min(max(vx - <f64>load<f32>(g + o), <f64>load<f32>(lo + o)), <f64>load<f32>(hi + o));
    r = max(r, abs(p - vx));
  }
  return r;
}

/**
 * The largest t ≥ 0 with lo ≤ x + t·d ≤ hi (computed in f64; +Infinity when no bound
 * limits the ray). Assumes x is feasible; a component already at its bound and moving
 * outward gives 0.
 */
export function max_step_in_box_f32(x: usize, d: usize, lo: usize, hi: usize, n: i32): f64 {
  let t = Infinity;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const di = <f64>load<f32>(d + o);
    if (di > 0) {
      const b = <f64>load<f32>(hi + o);
      if (b < Infinity) t = min(t, max(0, (b - <f64>load<f32>(x + o)) / di));
    } else if (di < 0) {
      const b = <f64>load<f32>(lo + o);
      if (b > -Infinity) t = min(t, max(0, (b - <f64>load<f32>(x + o)) / di));
    }
  }
  return t;
}
