// Batch normalization over a row-major [rows][C] matrix (rows = N for dense layers,
// N·H·W for NHWC conv maps; channels are the contiguous last dimension).
//
// Statistics are per channel, two-pass in f64: Σx (exact f32→f64 widening), then
// Σ(x − mean)² around the f64 mean, so there is no catastrophic cancellation
// (|err(var)| ≲ rows·2⁻⁵³·Σ(x−mean)²). The row scans walk tiles of 8 channels (then 4,
// then 1) so the accumulators stay in registers (no scratch memory). Elementwise passes
// are row-major SIMD. Callers guarantee rows ≥ 1 (rows ≥ 2 for a meaningful unbiased var).
import { madd } from './simd';

@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)); }
/** Two f64x2 → one f32x4 (round to nearest), lanes in order. */
@inline function pack(a: v128, b: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}

/** Writes mean/invstd and updates the running stats for channel c from f64 Σ and Σ(x−mean)². */
@inline function finishChannel(
  c: i32, mean64: f64, sq: f64, rows: i32, mean: usize, invstd: usize,
  running_mean: usize, running_var: usize, momentum: f32, eps: f32,
): void {
  const o = <usize>c << 2;
  const varB = sq / <f64>rows;
  const varU = rows > 1 ? sq / <f64>(rows - 1) : varB;
  store<f32>(mean + o, <f32>mean64);
  store<f32>(invstd + o, <f32>(1.0 / Math.sqrt(varB + <f64>eps)));
  const m = <f64>momentum;
  store<f32>(running_mean + o, <f32>((1 - m) * <f64>load<f32>(running_mean + o) + m * mean64));
  store<f32>(running_var + o, <f32>((1 - m) * <f64>load<f32>(running_var + o) + m * varU));
}

/**
 * Training-mode forward: batch mean and biased variance normalize x;
 * y = (x − mean)·invstd·gamma + beta. Saves mean and invstd = 1/√(var + eps) for
 * backward. running_mean/var ← (1 − momentum)·running + momentum·batch, with the
 * UNBIASED batch variance (PyTorch convention; with rows = 1 the biased one, 0).
 * y may alias x (statistics are complete before y is written).
 */
export function batchnorm_fwd_train_f32(
  x: usize, gamma: usize, beta: usize, y: usize, mean: usize, invstd: usize,
  running_mean: usize, running_var: usize, rows: i32, C: i32, momentum: f32, eps: f32,
): void {
  const rowBytes = <usize>C << 2;
  const invRows = 1.0 / <f64>rows;
  let c = 0;
  for (; c + 8 <= C; c += 8) {
    // 8 channels per row scan: half as many strided passes as 4-wide tiles.
    const base = x + (<usize>c << 2);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
    let p = base;
    for (let r = 0; r < rows; r++, p += rowBytes) {
      const u = v128.load(p), w = v128.load(p, 16);
      s0 = f64x2.add(s0, lo64(u)); s1 = f64x2.add(s1, hi64(u));
      s2 = f64x2.add(s2, lo64(w)); s3 = f64x2.add(s3, hi64(w));
    }
    const inv = f64x2.splat(invRows);
    const m0 = f64x2.mul(s0, inv), m1 = f64x2.mul(s1, inv), m2 = f64x2.mul(s2, inv), m3 = f64x2.mul(s3, inv);
    let q0 = f64x2.splat(0), q1 = f64x2.splat(0), q2 = f64x2.splat(0), q3 = f64x2.splat(0);
    p = base;
    for (let r = 0; r < rows; r++, p += rowBytes) {
      const u = v128.load(p), w = v128.load(p, 16);
      const d0 = f64x2.sub(lo64(u), m0), d1 = f64x2.sub(hi64(u), m1);
      const d2 = f64x2.sub(lo64(w), m2), d3 = f64x2.sub(hi64(w), m3);
      q0 = f64x2.add(q0, f64x2.mul(d0, d0)); q1 = f64x2.add(q1, f64x2.mul(d1, d1));
      q2 = f64x2.add(q2, f64x2.mul(d2, d2)); q3 = f64x2.add(q3, f64x2.mul(d3, d3));
    }
    finishChannel(c, f64x2.extract_lane(m0, 0), f64x2.extract_lane(q0, 0), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 1, f64x2.extract_lane(m0, 1), f64x2.extract_lane(q0, 1), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 2, f64x2.extract_lane(m1, 0), f64x2.extract_lane(q1, 0), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 3, f64x2.extract_lane(m1, 1), f64x2.extract_lane(q1, 1), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 4, f64x2.extract_lane(m2, 0), f64x2.extract_lane(q2, 0), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 5, f64x2.extract_lane(m2, 1), f64x2.extract_lane(q2, 1), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 6, f64x2.extract_lane(m3, 0), f64x2.extract_lane(q3, 0), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 7, f64x2.extract_lane(m3, 1), f64x2.extract_lane(q3, 1), rows, mean, invstd, running_mean, running_var, momentum, eps);
  }
  for (; c + 4 <= C; c += 4) {
    const base = x + (<usize>c << 2);
    let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
    let p = base;
    for (let r = 0; r < rows; r++, p += rowBytes) {
      const u = v128.load(p);
      s0 = f64x2.add(s0, lo64(u)); s1 = f64x2.add(s1, hi64(u));
    }
    const inv = f64x2.splat(invRows);
    const m0 = f64x2.mul(s0, inv), m1 = f64x2.mul(s1, inv);
    let q0 = f64x2.splat(0), q1 = f64x2.splat(0);
    p = base;
    for (let r = 0; r < rows; r++, p += rowBytes) {
      const u = v128.load(p);
      const d0 = f64x2.sub(lo64(u), m0), d1 = f64x2.sub(hi64(u), m1);
      q0 = f64x2.add(q0, f64x2.mul(d0, d0)); q1 = f64x2.add(q1, f64x2.mul(d1, d1));
    }
    finishChannel(c, f64x2.extract_lane(m0, 0), f64x2.extract_lane(q0, 0), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 1, f64x2.extract_lane(m0, 1), f64x2.extract_lane(q0, 1), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 2, f64x2.extract_lane(m1, 0), f64x2.extract_lane(q1, 0), rows, mean, invstd, running_mean, running_var, momentum, eps);
    finishChannel(c + 3, f64x2.extract_lane(m1, 1), f64x2.extract_lane(q1, 1), rows, mean, invstd, running_mean, running_var, momentum, eps);
  }
  for (; c < C; c++) {
    const base = x + (<usize>c << 2);
    let s: f64 = 0;
    let p = base;
    for (let r = 0; r < rows; r++, p += rowBytes) s += <f64>load<f32>(p);
    const m = s * invRows;
    let q: f64 = 0;
    p = base;
    for (let r = 0; r < rows; r++, p += rowBytes) { const d = <f64>load<f32>(p) - m; q += d * d; }
    finishChannel(c, m, q, rows, mean, invstd, running_mean, running_var, momentum, eps);
  }
  normalize(x, gamma, beta, mean, invstd, y, rows, C);
}

/** Inference-mode forward with the running statistics: y = (x − rm)/√(rv + eps)·gamma + beta. y may alias x. */
export function batchnorm_fwd_infer_f32(
  x: usize, gamma: usize, beta: usize, running_mean: usize, running_var: usize, y: usize,
  rows: i32, C: i32, eps: f32,
): void {
  const rowBytes = <usize>C << 2;
  const ev = f32x4.splat(eps), one = f32x4.splat(1);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, yr = y + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const inv = f32x4.div(one, f32x4.sqrt(f32x4.add(v128.load(running_var + o), ev)));
      const k = f32x4.mul(v128.load(gamma + o), inv);
      v128.store(yr + o, madd(f32x4.sub(v128.load(xr + o), v128.load(running_mean + o)), k, v128.load(beta + o)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const inv: f32 = 1 / Mathf.sqrt(load<f32>(running_var + o) + eps);
      store<f32>(yr + o, (load<f32>(xr + o) - load<f32>(running_mean + o)) * (load<f32>(gamma + o) * inv) + load<f32>(beta + o));
    }
  }
}

/** y = (x − mean)·(gamma·invstd) + beta, row-major. */
function normalize(x: usize, gamma: usize, beta: usize, mean: usize, invstd: usize, y: usize, rows: i32, C: i32): void {
  const rowBytes = <usize>C << 2;
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, yr = y + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const k = f32x4.mul(v128.load(gamma + o), v128.load(invstd + o));
      v128.store(yr + o, madd(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), k, v128.load(beta + o)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const k = load<f32>(gamma + o) * load<f32>(invstd + o);
      store<f32>(yr + o, (load<f32>(xr + o) - load<f32>(mean + o)) * k + load<f32>(beta + o));
    }
  }
}

/**
 * Training-mode backward through the batch statistics. With x̂ = (x − mean)·invstd:
 * dbeta = Σ_r dy, dgamma = Σ_r dy·x̂ (f64 column sums, overwritten), and
 * dx = gamma·invstd·(dy − dbeta/rows − x̂·dgamma/rows). dx may alias dy.
 */
export function batchnorm_bwd_f32(
  x: usize, dy: usize, gamma: usize, mean: usize, invstd: usize,
  dx: usize, dgamma: usize, dbeta: usize, rows: i32, C: i32,
): void {
  const rowBytes = <usize>C << 2;
  let c = 0;
  for (; c + 8 <= C; c += 8) {
    const o = <usize>c << 2;
    const mv = v128.load(mean + o), mw = v128.load(mean + o, 16);
    const m0 = lo64(mv), m1 = hi64(mv), m2 = lo64(mw), m3 = hi64(mw);
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
    let g0 = f64x2.splat(0), g1 = f64x2.splat(0), g2 = f64x2.splat(0), g3 = f64x2.splat(0);
    let px = x + o, pd = dy + o;
    for (let r = 0; r < rows; r++, px += rowBytes, pd += rowBytes) {
      const u = v128.load(px), d = v128.load(pd), u2 = v128.load(px, 16), d2 = v128.load(pd, 16);
      const e0 = lo64(d), e1 = hi64(d), e2 = lo64(d2), e3 = hi64(d2);
      b0 = f64x2.add(b0, e0); b1 = f64x2.add(b1, e1); b2 = f64x2.add(b2, e2); b3 = f64x2.add(b3, e3);
      g0 = f64x2.add(g0, f64x2.mul(e0, f64x2.sub(lo64(u), m0)));
      g1 = f64x2.add(g1, f64x2.mul(e1, f64x2.sub(hi64(u), m1)));
      g2 = f64x2.add(g2, f64x2.mul(e2, f64x2.sub(lo64(u2), m2)));
      g3 = f64x2.add(g3, f64x2.mul(e3, f64x2.sub(hi64(u2), m3)));
    }
    const iv = v128.load(invstd + o), iw = v128.load(invstd + o, 16);
    g0 = f64x2.mul(g0, lo64(iv)); g1 = f64x2.mul(g1, hi64(iv));
    g2 = f64x2.mul(g2, lo64(iw)); g3 = f64x2.mul(g3, hi64(iw));
    v128.store(dbeta + o, pack(b0, b1)); v128.store(dbeta + o, pack(b2, b3), 16);
    v128.store(dgamma + o, pack(g0, g1)); v128.store(dgamma + o, pack(g2, g3), 16);
  }
  for (; c + 4 <= C; c += 4) {
    const o = <usize>c << 2;
    const mv = v128.load(mean + o);
    const m0 = lo64(mv), m1 = hi64(mv);
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), g0 = f64x2.splat(0), g1 = f64x2.splat(0);
    let px = x + o, pd = dy + o;
    for (let r = 0; r < rows; r++, px += rowBytes, pd += rowBytes) {
      const u = v128.load(px), d = v128.load(pd);
      const d0 = lo64(d), d1 = hi64(d);
      b0 = f64x2.add(b0, d0); b1 = f64x2.add(b1, d1);
      g0 = f64x2.add(g0, f64x2.mul(d0, f64x2.sub(lo64(u), m0)));
      g1 = f64x2.add(g1, f64x2.mul(d1, f64x2.sub(hi64(u), m1)));
    }
    const iv = v128.load(invstd + o);
    g0 = f64x2.mul(g0, lo64(iv)); g1 = f64x2.mul(g1, hi64(iv));
    v128.store(dbeta + o, pack(b0, b1));
    v128.store(dgamma + o, pack(g0, g1));
  }
  for (; c < C; c++) {
    const o = <usize>c << 2;
    const m = <f64>load<f32>(mean + o);
    let b: f64 = 0, g: f64 = 0;
    let px = x + o, pd = dy + o;
    for (let r = 0; r < rows; r++, px += rowBytes, pd += rowBytes) {
      const d = <f64>load<f32>(pd);
      b += d;
      g += d * (<f64>load<f32>(px) - m);
    }
    store<f32>(dbeta + o, <f32>b);
    store<f32>(dgamma + o, <f32>(g * <f64>load<f32>(invstd + o)));
  }
  const invN: f32 = <f32>(1.0 / <f64>rows);
  const nv = f32x4.splat(invN);
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, dr = dy + <usize>r * rowBytes, or = dx + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const iv = v128.load(invstd + o);
      const xh = f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), iv);
      // t = dy − dbeta/N − x̂·dgamma/N
      let t = f32x4.sub(v128.load(dr + o), f32x4.mul(v128.load(dbeta + o), nv));
      t = f32x4.sub(t, f32x4.mul(xh, f32x4.mul(v128.load(dgamma + o), nv)));
      v128.store(or + o, f32x4.mul(t, f32x4.mul(v128.load(gamma + o), iv)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const iv = load<f32>(invstd + o);
      const xh = (load<f32>(xr + o) - load<f32>(mean + o)) * iv;
      const t = load<f32>(dr + o) - load<f32>(dbeta + o) * invN - xh * (load<f32>(dgamma + o) * invN);
      store<f32>(or + o, t * (load<f32>(gamma + o) * iv));
    }
  }
}
