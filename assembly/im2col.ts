// im2col / col2im for NHWC convolution. Row r of the column matrix is the receptive
// field of output pixel r (flattened over n, oh, ow) laid out as [KH][KW][C], which
// matches HWIO weights [KH][KW][C][OC] viewed as a (KH·KW·C) × OC matrix, so
// conv = col · W. For a fixed (pixel, kh) the valid kw cells are contiguous in both
// x (NHWC) and col, so each becomes one memory copy; padding cells are zeros.

/**
 * col[r − row0][kh][kw][c] = x[n, oh·SH − padT + kh, ow·SW − padL + kw, c] (0 outside the
 * image) for output pixels r ∈ [row0, row0 + rows) of the flattened (n, oh, ow) grid.
 */
export function im2col_nhwc(
  x: usize, col: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32,
  SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, row0: i32, rows: i32,
): void {
  const rowLen = <usize>KH * KW * C;      // floats per col row
  const khLen = <usize>KW * C;            // floats per kh segment
  const img = OH * OW;
  for (let i = 0; i < rows; i++) {
    const r = row0 + i;
    const n = r / img, rem = r % img;
    const oh = rem / OW, ow = rem % OW;
    const h0 = oh * SH - padT, w0 = ow * SW - padL;
    const kw0 = max(0, -w0), kw1 = min(KW, W - w0);
    let dst = col + ((<usize>i * rowLen) << 2);
    for (let kh = 0; kh < KH; kh++, dst += khLen << 2) {
      const ih = h0 + kh;
      if (ih < 0 || ih >= H || kw0 >= kw1) { memory.fill(dst, 0, khLen << 2); continue; }
      const lead = <usize>kw0 * C, body = <usize>(kw1 - kw0) * C;
      if (lead) memory.fill(dst, 0, lead << 2);
      const src = x + ((((<usize>n * H + ih) * W + (w0 + kw0)) * C) << 2);
      memory.copy(dst + (lead << 2), src, body << 2);
      const tail = khLen - lead - body;
      if (tail) memory.fill(dst + ((lead + body) << 2), 0, tail << 2);
    }
  }
}

/**
 * The adjoint of im2col_nhwc: dx[n, ih, iw, c] += col[r − row0][kh][kw][c] for every
 * in-image cell of pixels r ∈ [row0, row0 + rows). Accumulates (the caller zeroes dx).
 */
export function col2im_nhwc(
  col: usize, dx: usize, H: i32, W: i32, C: i32, KH: i32, KW: i32,
  SH: i32, SW: i32, padT: i32, padL: i32, OH: i32, OW: i32, row0: i32, rows: i32,
): void {
  const rowLen = <usize>KH * KW * C;
  const khLen = <usize>KW * C;
  const img = OH * OW;
  for (let i = 0; i < rows; i++) {
    const r = row0 + i;
    const n = r / img, rem = r % img;
    const oh = rem / OW, ow = rem % OW;
    const h0 = oh * SH - padT, w0 = ow * SW - padL;
    const kw0 = max(0, -w0), kw1 = min(KW, W - w0);
    if (kw0 >= kw1) continue;
    let srcRow = col + ((<usize>i * rowLen) << 2);
    for (let kh = 0; kh < KH; kh++, srcRow += khLen << 2) {
      const ih = h0 + kh;
      if (ih < 0 || ih >= H) continue;
      const src = srcRow + ((<usize>kw0 * C) << 2);
      const dst = dx + ((((<usize>n * H + ih) * W + (w0 + kw0)) * C) << 2);
      const len = (kw1 - kw0) * C;
      let j = 0;
      for (; j + 4 <= len; j += 4) {
        const o = <usize>j << 2;
        v128.store(dst + o, f32x4.add(v128.load(dst + o), v128.load(src + o)));
      }
      for (; j < len; j++) {
        const o = <usize>j << 2;
        store<f32>(dst + o, load<f32>(dst + o) + load<f32>(src + o));
      }
    }
  }
}
