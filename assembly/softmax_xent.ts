// Softmax cross-entropy over rows of logits (row-major [rows][classes], labels i32).
// Numerically stable: every exponent is exp(x − max) ≤ 1 and the log-sum-exp is
// max + log Σ exp(x − max), evaluated in f64 (Math.exp/log in f64, sums in f64).
// Labels are validated by the TS layer; the kernels assume 0 ≤ label < classes.

@inline function rowMax(row: usize, classes: i32): f32 {
  let m: f32 = load<f32>(row);
  let c = 1;
  if (classes >= 8) {
    let mv = v128.load(row);
    for (c = 4; c + 4 <= classes; c += 4) mv = f32x4.max(mv, v128.load(row + (<usize>c << 2)));
    m = max<f32>(max<f32>(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
                 max<f32>(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  }
  for (; c < classes; c++) m = max<f32>(m, load<f32>(row + (<usize>c << 2)));
  return m;
}

/**
 * Returns Σ_rows −log softmax(logits)[label] and writes
 * dlogits = (softmax − onehot(label))·scale. dlogits may alias logits.
 */
export function softmax_xent_fwd_bwd_f32(logits: usize, labels: usize, dlogits: usize, rows: i32, classes: i32, scale: f32): f64 {
  const rowBytes = <usize>classes << 2;
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * rowBytes;
    const d = dlogits + <usize>r * rowBytes;
    const label = load<i32>(labels + (<usize>r << 2));
    const m = <f64>rowMax(x, classes);
    const xl = <f64>load<f32>(x + (<usize>label << 2));
    // Read x[c] before writing d[c]: safe when d aliases x.
    let s: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const o = <usize>c << 2;
      const e = Math.exp(<f64>load<f32>(x + o) - m);
      s += e;
      store<f32>(d + o, <f32>e);
    }
    loss += m + Math.log(s) - xl;
    const k = <f32>(<f64>scale / s);
    const kv = f32x4.splat(k);
    let c = 0;
    for (; c + 4 <= classes; c += 4) {
      const o = <usize>c << 2;
      v128.store(d + o, f32x4.mul(v128.load(d + o), kv));
    }
    for (; c < classes; c++) {
      const o = <usize>c << 2;
      store<f32>(d + o, load<f32>(d + o) * k);
    }
    const ol = d + (<usize>label << 2);
    store<f32>(ol, load<f32>(ol) - scale);
  }
  return loss;
}

/** Σ_rows −log softmax(logits)[label] (loss only, logits untouched). */
export function softmax_xent_fwd_f32(logits: usize, labels: usize, rows: i32, classes: i32): f64 {
  const rowBytes = <usize>classes << 2;
  let loss: f64 = 0;
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * rowBytes;
    const label = load<i32>(labels + (<usize>r << 2));
    const m = <f64>rowMax(x, classes);
    let s: f64 = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(<f64>load<f32>(x + (<usize>c << 2)) - m);
    loss += m + Math.log(s) - <f64>load<f32>(x + (<usize>label << 2));
  }
  return loss;
}

/** Number of rows whose argmax equals the label; ties go to the lowest index. */
export function count_correct_f32(logits: usize, labels: usize, rows: i32, classes: i32): i32 {
  const rowBytes = <usize>classes << 2;
  let correct = 0;
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * rowBytes;
    let best = 0;
    let bv = load<f32>(x);
    for (let c = 1; c < classes; c++) {
      const v = load<f32>(x + (<usize>c << 2));
      if (v > bv) { bv = v; best = c; }
    }
    if (best == load<i32>(labels + (<usize>r << 2))) correct++;
  }
  return correct;
}

/** probs = softmax(logits) per row. probs may alias logits. */
export function softmax_f32(logits: usize, probs: usize, rows: i32, classes: i32): void {
  const rowBytes = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * rowBytes;
    const p = probs + <usize>r * rowBytes;
    const m = <f64>rowMax(x, classes);
    let s: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const o = <usize>c << 2;
      const e = Math.exp(<f64>load<f32>(x + o) - m);
      s += e;
      store<f32>(p + o, <f32>e);
    }
    const k = <f32>(1.0 / s);
    const kv = f32x4.splat(k);
    let c = 0;
    for (; c + 4 <= classes; c += 4) {
      const o = <usize>c << 2;
      v128.store(p + o, f32x4.mul(v128.load(p + o), kv));
    }
    for (; c < classes; c++) {
      const o = <usize>c << 2;
      store<f32>(p + o, load<f32>(p + o) * k);
    }
  }
}
