// Named bindings of the maxpool2d_*_nhwc kernels for ONE pooling geometry (fixed per layer):
// sizes, strides and padding are bound once; calls name their tensors and the batch.
import type { KernelExports } from '../exports.js';

/** Per-sample sizes: input H×W×C, window KH×KW, strides, top/left padding, output OH×OW. */
export interface MaxPoolGeometry {
  H: number; W: number; C: number;
  KH: number; KW: number; SH: number; SW: number; padT: number; padL: number;
  OH: number; OW: number;
}

export class MaxPoolKernels {
  private readonly g: MaxPoolGeometry;
  private readonly inSize: number;
  private readonly outSize: number;

  constructor(private readonly e: KernelExports, g: MaxPoolGeometry) {
    this.g = { ...g };
    this.inSize = g.H * g.W * g.C;
    this.outSize = g.OH * g.OW * g.C;
  }

  /** y = the window maxima; argmax records each winner's input index (padding never wins). */
  forward(x: number, y: number, argmax: number, batch: number): void {
    const g = this.g;
    this.e.maxpool2d_fwd_nhwc(x, y, argmax, batch, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.padT, g.padL, g.OH, g.OW);
  }

  /** dx = dy scattered to the winners (overlapping windows add; overwrites dx). */
  backward(dy: number, argmax: number, dx: number, batch: number): void {
    this.e.maxpool2d_bwd_nhwc(dy, argmax, dx, batch * this.outSize, batch * this.inSize);
  }

  /** R(y) = R(x) at the forward's winners. */
  rForward(rx: number, argmax: number, ry: number, batch: number): void {
    this.e.maxpool2d_rfwd_nhwc(rx, argmax, ry, batch * this.outSize);
  }
}
