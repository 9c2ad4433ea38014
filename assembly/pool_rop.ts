// R-forward of max pooling: the winner of each window is fixed by the forward (argmax), so
// the directional derivative of y is Rx at the winner. (The R-backward is the ordinary
// scatter, maxpool2d_bwd_nhwc applied to R(dy).)

/** ry[o] = rx[argmax[o]] (0 where argmax < 0), o < outCount. */
export function maxpool2d_rfwd_nhwc(rx: usize, argmax: usize, ry: usize, outCount: i32): void {
  for (let o = 0; o < outCount; o++) {
    const a = load<i32>(argmax + (<usize>o << 2));
    store<f32>(ry + (<usize>o << 2), a < 0 ? 0 : load<f32>(rx + (<usize>a << 2)));
  }
}
