// R-operator of the softmax cross-entropy head, for exact Hessian-vector products. The
// backward writes dz = (p − onehot)·scale with p = softmax(z); its directional derivative
// along Rz is R(dz) = scale·(p ⊙ Rz − p·(pᵀRz)) (the label term is constant). Softmax
// and the row dot in f64, as in softmax_xent.ts.

/** rdlogits = scale·(p ⊙ Rz − p·(pᵀRz)) per row, p = softmax(logits). rdlogits may alias rlogits. */
export function softmax_xent_rbwd_f32(logits: usize, rlogits: usize, rdlogits: usize, rows: i32, classes: i32, scale: f32): void {
  const rowBytes = <usize>classes << 2;
  for (let r = 0; r < rows; r++) {
    const x = logits + <usize>r * rowBytes, rz = rlogits + <usize>r * rowBytes, d = rdlogits + <usize>r * rowBytes;
    let m = load<f32>(x);
    for (let c = 1; c < classes; c++) m = max<f32>(m, load<f32>(x + (<usize>c << 2)));
    let s: f64 = 0, pr: f64 = 0;
    for (let c = 0; c < classes; c++) {
      const o = <usize>c << 2;
      const e = Math.exp(<f64>load<f32>(x + o) - <f64>m);
      s += e;
      pr += e * <f64>load<f32>(rz + o);
    }
    const inv = 1.0 / s;
    pr *= inv;
    for (let c = 0; c < classes; c++) {
      const o = <usize>c << 2;
      const p = Math.exp(<f64>load<f32>(x + o) - <f64>m) * inv;
      store<f32>(d + o, <f32>(<f64>scale * p * (<f64>load<f32>(rz + o) - pr)));
    }
  }
}
