// f64 reference forward pass of a whole model (used only by tests): the same math as the
// f32 kernels, written plainly. Dropout masks are taken as given (read back from the model).
import { resolveSpec, shapeSize, type ModelSpec } from '../../src/nn/spec.js';

export interface RefOptions {
  train: boolean;
  /** Dropout masks by layer index (values 0 or 1/(1−p)). */
  masks?: Map<number, ArrayLike<number>>;
  /** BN running stats by layer index (eval mode): [mean, var]. */
  running?: Map<number, [ArrayLike<number>, ArrayLike<number>]>;
  /**
   * ReLU masks and max-pool winners by layer index: taken from here when present, else
   * computed and stored here (when the map is given). Freezing them at a point makes the
   * loss smooth around it, with the same Hessian there as the R-operator's.
   */
  pieces?: Map<number, Int32Array>;
}

/** Mean cross-entropy of the model on (x, y) in f64, parameters from the flat vector `p`. */
export function refLoss(spec: ModelSpec, p: ArrayLike<number>, x: ArrayLike<number>, y: ArrayLike<number>, B: number, o: RefOptions): number {
  const layers = resolveSpec(spec);
  let a = Float64Array.from({ length: B * shapeSize(spec.input) }, (_, i) => x[i]);
  let off = 0;
  layers.forEach((l, li) => {
    const inN = shapeSize(l.inShape), outN = shapeSize(l.outShape);
    switch (l.type) {
      case 'dense': {
        const I = inN, O = l.units, W = off, b = off + I * O;
        const out = new Float64Array(B * O);
        for (let r = 0; r < B; r++) for (let j = 0; j < O; j++) {
          let s = p[b + j];
          for (let i = 0; i < I; i++) s += a[r * I + i] * p[W + i * O + j];
          out[r * O + j] = s;
        }
        off += I * O + O; a = out; break;
      }
      case 'conv2d': {
        const [H, W, C] = l.inShape, [OH, OW, OC] = l.outShape;
        const wOff = off, bOff = off + l.KH * l.KW * C * OC;
        const out = new Float64Array(B * outN);
        for (let n = 0; n < B; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let oc = 0; oc < OC; oc++) {
          let s = p[bOff + oc];
          for (let kh = 0; kh < l.KH; kh++) for (let kw = 0; kw < l.KW; kw++) {
            const ih = oh * l.SH + kh - l.padT, iw = ow * l.SW + kw - l.padL;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            for (let c = 0; c < C; c++) s += a[((n * H + ih) * W + iw) * C + c] * p[wOff + ((kh * l.KW + kw) * C + c) * OC + oc];
          }
          out[((n * OH + oh) * OW + ow) * OC + oc] = s;
        }
        off = bOff + OC; a = out; break;
      }
      case 'batchnorm': {
        const C = l.inShape[l.inShape.length - 1], rows = (B * inN) / C;
        const g = off, be = off + C;
        const out = new Float64Array(B * inN);
        for (let c = 0; c < C; c++) {
          let mean: number, v: number;
          if (o.train) {
            mean = 0; for (let r = 0; r < rows; r++) mean += a[r * C + c]; mean /= rows;
            v = 0; for (let r = 0; r < rows; r++) v += (a[r * C + c] - mean) ** 2; v /= rows;
          } else {
            const rs = o.running!.get(li)!;
            mean = rs[0][c]; v = rs[1][c];
          }
          const inv = 1 / Math.sqrt(v + l.eps);
          for (let r = 0; r < rows; r++) out[r * C + c] = p[g + c] * (a[r * C + c] - mean) * inv + p[be + c];
        }
        off += 2 * C; a = out; break;
      }
      case 'relu': {
        const frozen = o.pieces?.get(li);
        const mask = frozen ?? Int32Array.from(a, (v) => (v > 0 ? 1 : 0));
        if (o.pieces && !frozen) o.pieces.set(li, mask);
        a = a.map((v, i) => (mask[i] ? v : 0)); break;
      }
      case 'maxpool': {
        const [H, W, C] = l.inShape, [OH, OW] = l.outShape;
        const out = new Float64Array(B * outN);
        const frozen = o.pieces?.get(li);
        const winners = frozen ?? (o.pieces ? new Int32Array(B * outN) : null);
        if (o.pieces && !frozen) o.pieces.set(li, winners!);
        for (let n = 0; n < B; n++) for (let oh = 0; oh < OH; oh++) for (let ow = 0; ow < OW; ow++) for (let c = 0; c < C; c++) {
          const o2 = ((n * OH + oh) * OW + ow) * C + c;
          let m = -Infinity, at = -1;
          for (let kh = 0; kh < l.KH; kh++) for (let kw = 0; kw < l.KW; kw++) {
            const ih = oh * l.SH + kh - l.padT, iw = ow * l.SW + kw - l.padL;
            if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue;
            const i = ((n * H + ih) * W + iw) * C + c;
            if (a[i] > m) { m = a[i]; at = i; }
          }
          if (winners) {
            if (frozen) at = winners[o2]; else winners[o2] = at;
            m = at < 0 ? 0 : a[at];
          }
          out[o2] = m;
        }
        a = out; break;
      }
      case 'dropout': {
        if (!o.train || l.rate === 0) break;
        const mask = o.masks!.get(li)!;
        a = a.map((v, i) => v * mask[i]); break;
      }
      case 'flatten': break;
    }
  });
  const classes = layers[layers.length - 1].outShape[0];
  let loss = 0;
  for (let r = 0; r < B; r++) {
    let mx = -Infinity;
    for (let c = 0; c < classes; c++) mx = Math.max(mx, a[r * classes + c]);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(a[r * classes + c] - mx);
    loss += Math.log(s) + mx - a[r * classes + y[r]];
  }
  return loss / B;
}
