// Bias add and its gradient over a row-major [rows][cols] matrix.

/** y[r,c] += bias[c]. */
export function bias_add_f32(y: usize, bias: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) {
    const row = y + <usize>r * rowBytes;
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      const o = <usize>c << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(bias + o)));
    }
    for (; c < cols; c++) {
      const o = <usize>c << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(bias + o));
    }
  }
}

@inline function lo64(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function hi64(v: v128): v128 { return f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)); }

/**
 * dbias[c] = Σ_r dy[r,c] (overwrites dbias). Column sums in f64 (exact widening, error
 * ≤ rows·2⁻⁵³·Σ|dy|), walking the rows once per tile of 16 columns (one cache line
 * per row) with eight f64x2 accumulators, then tiles of 4, then single columns.
 */
export function bias_grad_f32(dy: usize, dbias: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  let c = 0;
  for (; c + 16 <= cols; c += 16) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
    let a4 = f64x2.splat(0), a5 = f64x2.splat(0), a6 = f64x2.splat(0), a7 = f64x2.splat(0);
    let p = dy + (<usize>c << 2);
    for (let r = 0; r < rows; r++, p += rowBytes) {
      const u0 = v128.load(p), u1 = v128.load(p, 16), u2 = v128.load(p, 32), u3 = v128.load(p, 48);
      a0 = f64x2.add(a0, lo64(u0)); a1 = f64x2.add(a1, hi64(u0));
      a2 = f64x2.add(a2, lo64(u1)); a3 = f64x2.add(a3, hi64(u1));
      a4 = f64x2.add(a4, lo64(u2)); a5 = f64x2.add(a5, hi64(u2));
      a6 = f64x2.add(a6, lo64(u3)); a7 = f64x2.add(a7, hi64(u3));
    }
    const o = dbias + (<usize>c << 2);
    v128.store(o, pack(a0, a1)); v128.store(o, pack(a2, a3), 16);
    v128.store(o, pack(a4, a5), 32); v128.store(o, pack(a6, a7), 48);
  }
  for (; c + 4 <= cols; c += 4) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
    let p = dy + (<usize>c << 2);
    for (let r = 0; r < rows; r++, p += rowBytes) {
      const u = v128.load(p);
      a0 = f64x2.add(a0, lo64(u)); a1 = f64x2.add(a1, hi64(u));
    }
    v128.store(dbias + (<usize>c << 2), pack(a0, a1));
  }
  for (; c < cols; c++) {
    let s: f64 = 0;
    let p = dy + (<usize>c << 2);
    for (let r = 0; r < rows; r++, p += rowBytes) s += <f64>load<f32>(p);
    store<f32>(dbias + (<usize>c << 2), <f32>s);
  }
}

/** Two f64x2 → one f32x4 (round to nearest), lanes in order. */
@inline function pack(a: v128, b: v128): v128 {
  return i32x4.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5);
}
