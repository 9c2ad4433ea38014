// Batch norm's R-operator (Pearlmutter 1994): the directional derivatives of the forward
// and of the backward along a parameter direction (Vγ, Vβ) and an input direction Rx, for
// exact Hessian-vector products. Per channel, with x̂ = (x − μ)·s, s = 1/√(σ² + eps):
//
//   batch statistics (batch = 1):  a = mean(Rx), b = mean(x̂·Rx),
//     Rx̂ = s·(Rx − a − x̂·b),  Rs = −s²·b           (μ and σ² move with x)
//   running statistics (batch = 0): Rx̂ = s·Rx, Rs = 0 (μ, s constants)
//   Ry = γ·Rx̂ + Vγ·x̂ + Vβ.
//
// Backward with g = dy: dβ = Σg, dγ = Σg·x̂, dx = γ·s·t, t = g − ḡ − x̂·m (batch; t = g
// running), ḡ = mean(g), m = mean(g·x̂). Differentiating:
//   R(dβ) = ΣRg,  R(dγ) = Σ(Rg·x̂ + g·Rx̂),
//   R(dx) = (Vγ·s + γ·Rs)·t + γ·s·(Rg − mean(Rg) − Rx̂·m − x̂·R(dγ)/N)   (batch)
//   R(dx) = Vγ·s·g + γ·s·Rg                                             (running)
// Column sums are f64 (row-major passes accumulating into caller scratch, so every
// pass streams memory in order); elementwise passes are f32x4 over channels.
import { madd } from './simd';

@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)); }
/** x̂ = (x − μ)·s of 4 channels at byte offset o of the row at xr. */
@inline function xhat4(xr: usize, mean: usize, invstd: usize, o: usize): v128 {
  return f32x4.mul(f32x4.sub(v128.load(xr + o), v128.load(mean + o)), v128.load(invstd + o));
}
/** Rx̂ = s·(Rx − a − x̂·b) of 4 channels (Rx = 0 when rx == 0). */
@inline function rxhat4(rx: usize, rr: usize, xh: v128, invstd: usize, ra: usize, rb: usize, o: usize): v128 {
  const u = rx ? v128.load(rr + o) : f32x4.splat(0);
  return f32x4.mul(v128.load(invstd + o), f32x4.sub(f32x4.sub(u, v128.load(ra + o)), f32x4.mul(xh, v128.load(rb + o))));
}
@inline function xhat1(xr: usize, mean: usize, invstd: usize, o: usize): f32 {
  return (load<f32>(xr + o) - load<f32>(mean + o)) * load<f32>(invstd + o);
}
@inline function rxhat1(rx: usize, rr: usize, xh: f32, invstd: usize, ra: usize, rb: usize, o: usize): f32 {
  const u: f32 = rx ? load<f32>(rr + o) : 0;
  return load<f32>(invstd + o) * (u - load<f32>(ra + o) - xh * load<f32>(rb + o));
}
/** acc[0..1] += lo, acc[2..3] += hi (f64) at byte offset p. */
@inline function accum4(p: usize, v: v128): void {
  v128.store(p, f64x2.add(v128.load(p), lo64(v)));
  v128.store(p, f64x2.add(v128.load(p, 16), hi64(v)), 16);
}

/**
 * R-forward. rx may be 0 (Rx = 0: the input does not depend on the parameters).
 * Writes ry and rstat = [a (C floats) | b (C floats)] (zeros when batch = 0) for the
 * R-backward; acc is scratch of 2·C f64. ry may alias rx.
 */
export function batchnorm_rfwd_f32(
  x: usize, rx: usize, gamma: usize, vgamma: usize, vbeta: usize, mean: usize, invstd: usize,
  ry: usize, rstat: usize, acc: usize, rows: i32, C: i32, batch: i32,
): void {
  const rowBytes = <usize>C << 2;
  const ra = rstat, rb = rstat + rowBytes;
  memory.fill(rstat, 0, rowBytes << 1);
  if (batch && rx) {
    const sa = acc, sb = acc + (<usize>C << 3);
    memory.fill(acc, 0, <usize>C << 4);
    for (let r = 0; r < rows; r++) {
      const xr = x + <usize>r * rowBytes, rr = rx + <usize>r * rowBytes;
      let c = 0;
      for (; c + 4 <= C; c += 4) {
        const o = <usize>c << 2;
        const xh = xhat4(xr, mean, invstd, o);
        const u = v128.load(rr + o);
        accum4(sa + (o << 1), u);
        accum4(sb + (o << 1), f32x4.mul(xh, u));
      }
      for (; c < C; c++) {
        const o = <usize>c << 2;
        const xh = xhat1(xr, mean, invstd, o);
        const u = load<f32>(rr + o);
        store<f64>(sa + (o << 1), load<f64>(sa + (o << 1)) + <f64>u);
        store<f64>(sb + (o << 1), load<f64>(sb + (o << 1)) + <f64>xh * <f64>u);
      }
    }
    const inv = 1.0 / <f64>rows;
    for (let c = 0; c < C; c++) {
      const o = <usize>c << 2;
      store<f32>(ra + o, <f32>(load<f64>(sa + (o << 1)) * inv));
      store<f32>(rb + o, <f32>(load<f64>(sb + (o << 1)) * inv));
    }
  }
  for (let r = 0; r < rows; r++) {
    const xr = x + <usize>r * rowBytes, rr = rx + <usize>r * rowBytes, yr = ry + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const xh = xhat4(xr, mean, invstd, o), rxh = rxhat4(rx, rr, xh, invstd, ra, rb, o);
      v128.store(yr + o, madd(v128.load(gamma + o), rxh, madd(v128.load(vgamma + o), xh, v128.load(vbeta + o))));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = xhat1(xr, mean, invstd, o), rxh = rxhat1(rx, rr, xh, invstd, ra, rb, o);
      store<f32>(yr + o, load<f32>(gamma + o) * rxh + (load<f32>(vgamma + o) * xh + load<f32>(vbeta + o)));
    }
  }
}

/**
 * R-backward: writes R(dγ), R(dβ) (overwritten) and rdx. rx may be 0 (Rx = 0); rstat is
 * what batchnorm_rfwd_f32 wrote; acc is scratch of 56·C bytes (4·C f64 sums, then 6·C f32
 * coefficients). rdx may alias rdy (not dy).
 */
export function batchnorm_rbwd_f32(
  x: usize, rx: usize, dy: usize, rdy: usize, gamma: usize, vgamma: usize, mean: usize, invstd: usize,
  rstat: usize, rdx: usize, rdgamma: usize, rdbeta: usize, acc: usize, rows: i32, C: i32, batch: i32,
): void {
  const rowBytes = <usize>C << 2, C8 = <usize>C << 3;
  const ra = rstat, rb = rstat + rowBytes;
  // acc = [Σg | Σg·x̂ | ΣRg | Σ(Rg·x̂ + g·Rx̂)], f64
  const sg = acc, sgx = acc + C8, srg = acc + 2 * C8, sr = acc + 3 * C8;
  memory.fill(acc, 0, C8 << 2);
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rowBytes;
    const xr = x + off, rr = rx + off, gr = dy + off, qr = rdy + off;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2, o8 = o << 1;
      const xh = xhat4(xr, mean, invstd, o), rxh = rxhat4(rx, rr, xh, invstd, ra, rb, o);
      const g = v128.load(gr + o), q = v128.load(qr + o);
      accum4(sg + o8, g);
      accum4(sgx + o8, f32x4.mul(g, xh));
      accum4(srg + o8, q);
      accum4(sr + o8, madd(q, xh, f32x4.mul(g, rxh)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2, o8 = o << 1;
      const xh = xhat1(xr, mean, invstd, o), rxh = rxhat1(rx, rr, xh, invstd, ra, rb, o);
      const g = load<f32>(gr + o), q = load<f32>(qr + o);
      store<f64>(sg + o8, load<f64>(sg + o8) + <f64>g);
      store<f64>(sgx + o8, load<f64>(sgx + o8) + <f64>g * <f64>xh);
      store<f64>(srg + o8, load<f64>(srg + o8) + <f64>q);
      store<f64>(sr + o8, load<f64>(sr + o8) + <f64>q * <f64>xh + <f64>g * <f64>rxh);
    }
  }
  // Per-channel coefficients (f32 rows after the sums): k0 = Vγ·s + γ·Rs, k1 = γ·s,
  // ḡ, m, mean(Rg), R(dγ)/N (batch); running: k0 = Vγ·s, k1 = γ·s, the means 0.
  const co = acc + (C8 << 2);
  const invN = 1.0 / <f64>rows;
  for (let c = 0; c < C; c++) {
    const o = <usize>c << 2, o8 = o << 1;
    const s = <f64>load<f32>(invstd + o), g = <f64>load<f32>(gamma + o), vg = <f64>load<f32>(vgamma + o);
    const Sg = load<f64>(sg + o8), Sgx = load<f64>(sgx + o8), Srg = load<f64>(srg + o8), Sr = load<f64>(sr + o8);
    store<f32>(rdbeta + o, <f32>Srg);
    store<f32>(rdgamma + o, <f32>Sr);
    const rs = batch ? -s * s * <f64>load<f32>(rb + o) : 0;
    store<f32>(co + o, <f32>(vg * s + g * rs));
    store<f32>(co + rowBytes + o, <f32>(g * s));
    store<f32>(co + 2 * rowBytes + o, batch ? <f32>(Sg * invN) : 0);
    store<f32>(co + 3 * rowBytes + o, batch ? <f32>(Sgx * invN) : 0);
    store<f32>(co + 4 * rowBytes + o, batch ? <f32>(Srg * invN) : 0);
    store<f32>(co + 5 * rowBytes + o, batch ? <f32>(Sr * invN) : 0);
  }
  const k0 = co, k1 = co + rowBytes, gb = co + 2 * rowBytes, mm = co + 3 * rowBytes, qb = co + 4 * rowBytes, rm = co + 5 * rowBytes;
  for (let r = 0; r < rows; r++) {
    const off = <usize>r * rowBytes;
    const xr = x + off, rr = rx + off, gr = dy + off, qr = rdy + off, out = rdx + off;
    let c = 0;
    for (; c + 4 <= C; c += 4) {
      const o = <usize>c << 2;
      const xh = xhat4(xr, mean, invstd, o), rxh = rxhat4(rx, rr, xh, invstd, ra, rb, o);
      const g = v128.load(gr + o), q = v128.load(qr + o), m = v128.load(mm + o);
      const t = f32x4.sub(f32x4.sub(g, v128.load(gb + o)), f32x4.mul(xh, m));
      const rt = f32x4.sub(f32x4.sub(f32x4.sub(q, v128.load(qb + o)), f32x4.mul(rxh, m)), f32x4.mul(xh, v128.load(rm + o)));
      v128.store(out + o, madd(v128.load(k0 + o), t, f32x4.mul(v128.load(k1 + o), rt)));
    }
    for (; c < C; c++) {
      const o = <usize>c << 2;
      const xh = xhat1(xr, mean, invstd, o), rxh = rxhat1(rx, rr, xh, invstd, ra, rb, o);
      const g = load<f32>(gr + o), q = load<f32>(qr + o), m = load<f32>(mm + o);
      const t = g - load<f32>(gb + o) - xh * m;
      const rt = q - load<f32>(qb + o) - rxh * m - xh * load<f32>(rm + o);
      store<f32>(out + o, load<f32>(k0 + o) * t + load<f32>(k1 + o) * rt);
    }
  }
}
