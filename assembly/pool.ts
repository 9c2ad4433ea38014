// 2-D max pooling, NHWC. Each output records in `argmax` (i32) the flat element
// index into x of its winner, so backward is a scatter. Only cells inside the image
// are candidates (padding never wins); among equal values the first in (kh, kw)
// scan order wins; a NaN wins only when it is the first cell. A window with no cell
// inside the image (impossible with TensorFlow 'same'/'valid' geometry) outputs 0
// with argmax −1, which backward skips.

/** y[n,oh,ow,c] = max over the window of x; argmax = flat index of the winner in x. */
export function maxpool2d_fwd_nhwc(
  x: usize, y: usize, argmax: usize, N: i32, H: i32, W: i32, C: i32,
  KH: i32, KW: i32, SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32,
): void {
  const lanes = i32x4(0, 1, 2, 3);
  let out = 0; // flat output pixel index (n, oh, ow)
  for (let n = 0; n < N; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const h0 = oh * SH - padT;
      const kh0 = max(0, -h0), kh1 = min(KH, H - h0);
      for (let ow = 0; ow < OW; ow++, out++) {
        const w0 = ow * SW - padL;
        const kw0 = max(0, -w0), kw1 = min(KW, W - w0);
        const yo = y + (<usize>out * C << 2), ao = argmax + (<usize>out * C << 2);
        if (kh0 >= kh1 || kw0 >= kw1) {
          for (let c = 0; c < C; c++) { store<f32>(yo + (<usize>c << 2), 0); store<i32>(ao + (<usize>c << 2), -1); }
          continue;
        }
        const first = ((n * H + h0 + kh0) * W + w0 + kw0) * C;
        let c = 0;
        for (; c + 4 <= C; c += 4) {
          let best = v128.load(x + (<usize>(first + c) << 2));
          let bidx = i32x4.add(i32x4.splat(first + c), lanes);
          for (let kh = kh0; kh < kh1; kh++) {
            const rowBase = ((n * H + h0 + kh) * W + w0) * C + c;
            for (let kw = kw0; kw < kw1; kw++) {
              const e = rowBase + kw * C;
              const v = v128.load(x + (<usize>e << 2));
              const gt = f32x4.gt(v, best);
              best = v128.bitselect(v, best, gt);
              bidx = v128.bitselect(i32x4.add(i32x4.splat(e), lanes), bidx, gt);
            }
          }
          v128.store(yo + (<usize>c << 2), best);
          v128.store(ao + (<usize>c << 2), bidx);
        }
        for (; c < C; c++) {
          let best = load<f32>(x + (<usize>(first + c) << 2));
          let bidx = first + c;
          for (let kh = kh0; kh < kh1; kh++) {
            const rowBase = ((n * H + h0 + kh) * W + w0) * C + c;
            for (let kw = kw0; kw < kw1; kw++) {
              const e = rowBase + kw * C;
              const v = load<f32>(x + (<usize>e << 2));
              if (v > best) { best = v; bidx = e; }
            }
          }
          store<f32>(yo + (<usize>c << 2), best);
          store<i32>(ao + (<usize>c << 2), bidx);
        }
      }
    }
  }
}

/**
 * dx = 0, then dx[argmax[o]] += dy[o] for every output o (overlapping windows
 * accumulate; argmax < 0 is skipped). outCount = N·OH·OW·C, inCount = N·H·W·C.
 */
export function maxpool2d_bwd_nhwc(dy: usize, argmax: usize, dx: usize, outCount: i32, inCount: i32): void {
  if (inCount > 0) memory.fill(dx, 0, <usize>inCount << 2);
  for (let o = 0; o < outCount; o++) {
    const a = load<i32>(argmax + (<usize>o << 2));
    if (a < 0) continue;
    const p = dx + (<usize>a << 2);
    store<f32>(p, load<f32>(p) + load<f32>(dy + (<usize>o << 2)));
  }
}
