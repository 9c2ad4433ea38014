// f64 reference max pooling, NHWC (tests only). Candidates are in-image cells only;
// the first maximal cell in (kh, kw) scan order wins; empty windows give 0 / −1.
export interface PoolGeom {
  N: number; H: number; W: number; C: number; KH: number; KW: number;
  SH: number; SW: number; padT: number; padL: number; OH: number; OW: number;
}

export function maxpoolFwdRef(x: ArrayLike<number>, g: PoolGeom): { y: Float64Array; argmax: Int32Array } {
  const { N, H, W, C, KH, KW, SH, SW, padT, padL, OH, OW } = g;
  const y = new Float64Array(N * OH * OW * C), argmax = new Int32Array(N * OH * OW * C);
  for (let n = 0; n < N; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
    let best = -Infinity, bi = -1;
    for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
      const ih = oh * SH - padT + kh, iw = ow * SW - padL + kw;
      if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
      const i = ((n * H + ih) * W + iw) * C + c;
      if (bi < 0 || x[i] > best) { best = x[i]; bi = i; }
    }
    const o = ((n * OH + oh) * OW + ow) * C + c;
    y[o] = bi < 0 ? 0 : best;
    argmax[o] = bi;
  }
  return { y, argmax };
}

/** dx[i] = Σ of dy over the outputs whose window maximum is x[i]. */
export function maxpoolBwdRef(dy: ArrayLike<number>, argmax: ArrayLike<number>, inCount: number): Float64Array {
  const dx = new Float64Array(inCount);
  for (let o = 0; o < argmax.length; o++) if (argmax[o] >= 0) dx[argmax[o]] += dy[o];
  return dx;
}
