// ReLU forward and backward. NaN inputs propagate through the forward (f32 max
// propagates NaN in both the SIMD body and the scalar tail), so a diverging run is
// visible downstream instead of being clipped to 0.

/** y = max(x, 0). y may alias x. */
export function relu_fwd_f32(x: usize, y: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(y + o, f32x4.max(v128.load(x + o), z));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, max<f32>(load<f32>(x + o), 0));
  }
}

/** dx = dy·[x > 0], x being the layer INPUT. dx may alias dy. */
export function relu_bwd_f32(x: usize, dy: usize, dx: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(dx + o, v128.and(v128.load(dy + o), f32x4.gt(v128.load(x + o), z)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dx + o, load<f32>(x + o) > 0 ? load<f32>(dy + o) : 0);
  }
}
