// f64 reference 2-D convolution, NHWC activations and HWIO weights (tests only):
// direct loops, no im2col, so they check the kernels' layout as well as the arithmetic.
export interface ConvGeom {
  N: number; H: number; W: number; C: number; KH: number; KW: number; OC: number;
  SH: number; SW: number; padT: number; padL: number; OH: number; OW: number;
}

function each(g: ConvGeom, fn: (xi: number, wi: number, yi: number) => void): void {
  const { N, H, W, C, KH, KW, OC, SH, SW, padT, padL, OH, OW } = g;
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) {
    for (let kh = 0; kh < KH; kh++) {
      const ih = oh * SH - padT + kh;
      if (ih < 0 || ih >= H) continue;
      for (let kw = 0; kw < KW; kw++) {
        const iw = ow * SW - padL + kw;
        if (iw < 0 || iw >= W) continue;
        for (let c = 0; c < C; c++) {
          const xi = ((n * H + ih) * W + iw) * C + c;
          for (let oc = 0; oc < OC; oc++) fn(xi, ((kh * KW + kw) * C + c) * OC + oc, ((n * OH + oh) * OW + ow) * OC + oc);
        }
      }
    }
  }
}

/** y[n,oh,ow,oc] = Σ x[n, oh·SH − padT + kh, ow·SW − padL + kw, c]·w[kh,kw,c,oc] + bias[oc]. */
export function conv2dFwdRef(x: ArrayLike<number>, w: ArrayLike<number>, bias: ArrayLike<number> | null, g: ConvGeom): Float64Array {
  const y = new Float64Array(g.N * g.OH * g.OW * g.OC);
  if (bias) for (let i = 0; i < y.length; i++) y[i] = bias[i % g.OC];
  each(g, (xi, wi, yi) => { y[yi] += x[xi] * w[wi]; });
  return y;
}

export function conv2dBwdDataRef(dy: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeom): Float64Array {
  const dx = new Float64Array(g.N * g.H * g.W * g.C);
  each(g, (xi, wi, yi) => { dx[xi] += dy[yi] * w[wi]; });
  return dx;
}

export function conv2dBwdFilterRef(x: ArrayLike<number>, dy: ArrayLike<number>, g: ConvGeom): Float64Array {
  const dw = new Float64Array(g.KH * g.KW * g.C * g.OC);
  each(g, (xi, wi, yi) => { dw[wi] += x[xi] * dy[yi]; });
  return dw;
}

/** Σ |x|·|w| per output (the scale of an output's rounding error). */
export function conv2dAbsBound(x: ArrayLike<number>, w: ArrayLike<number>, g: ConvGeom): Float64Array {
  return conv2dFwdRef(Array.from(x, Math.abs), Array.from(w, Math.abs), null, g);
}

/** Column matrix rows [row0, row0 + rows) of the flattened (n, oh, ow) grid, [KH][KW][C] per row, 0 outside the image. */
export function im2colRef(x: ArrayLike<number>, g: ConvGeom, row0: number, rows: number): Float64Array {
  const { H, W, C, KH, KW, SH, SW, padT, padL, OH, OW } = g;
  const K = KH * KW * C, col = new Float64Array(rows * K);
  for (let i = 0; i < rows; i++) {
    const r = row0 + i, n = Math.floor(r / (OH * OW)), oh = Math.floor(r / OW) % OH, ow = r % OW;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) for (let c = 0; c < C; c++) {
      const ih = oh * SH - padT + kh, iw = ow * SW - padL + kw;
      const inside = ih >= 0 && ih < H && iw >= 0 && iw < W;
      col[i * K + (kh * KW + kw) * C + c] = inside ? x[((n * H + ih) * W + iw) * C + c] : 0;
    }
  }
  return col;
}
