// Named bindings of the conv2d_*_nhwc kernels for ONE convolution geometry (fixed per layer):
// the 13 size/stride/padding arguments are bound once, so a call names only its tensors and
// the batch. NHWC activations, HWIO weights [KH][KW][C][OC]. Plain methods over numbers:
// nothing is allocated per call.
import type { KernelExports } from '../exports.js';

/** Per-sample sizes of a convolution: input H×W×C, window KH×KW, OC filters, output OH×OW. */
export interface Conv2dGeometry {
  H: number; W: number; C: number;
  KH: number; KW: number; OC: number;
  SH: number; SW: number; padT: number; padL: number;
  OH: number; OW: number;
}

export class Conv2dKernels {
  private readonly H: number; private readonly W: number; private readonly C: number;
  private readonly KH: number; private readonly KW: number; private readonly OC: number;
  private readonly SH: number; private readonly SW: number; private readonly padT: number; private readonly padL: number;
  private readonly OH: number; private readonly OW: number;

  constructor(private readonly e: KernelExports, g: Conv2dGeometry) {
    this.H = g.H; this.W = g.W; this.C = g.C; this.KH = g.KH; this.KW = g.KW; this.OC = g.OC;
    this.SH = g.SH; this.SW = g.SW; this.padT = g.padT; this.padL = g.padL; this.OH = g.OH; this.OW = g.OW;
  }

  /** Scratch bytes of any of the calls below for batches up to `batch`. */
  workspaceBytes(batch: number): number {
    return this.e.conv2d_workspace_bytes(batch, this.H, this.W, this.C, this.KH, this.KW, this.OC, this.OH, this.OW);
  }

  /** y = conv(x, w) + bias (overwrites y). */
  forward(x: number, w: number, bias: number, y: number, batch: number, work: number): void {
    this.e.conv2d_fwd_nhwc(x, w, bias, y, batch, this.H, this.W, this.C, this.KH, this.KW, this.OC, this.SH, this.SW, this.padT, this.padL, this.OH, this.OW, work);
  }

  /** y += conv(x, w). */
  forwardAcc(x: number, w: number, y: number, batch: number, work: number): void {
    this.e.conv2d_fwd_acc_nhwc(x, w, y, batch, this.H, this.W, this.C, this.KH, this.KW, this.OC, this.SH, this.SW, this.padT, this.padL, this.OH, this.OW, work);
  }

  /** dx = convᵀ(dy, w) (overwrites dx). */
  backwardData(dy: number, w: number, dx: number, batch: number, work: number): void {
    this.e.conv2d_bwd_data_nhwc(dy, w, dx, batch, this.H, this.W, this.C, this.KH, this.KW, this.OC, this.SH, this.SW, this.padT, this.padL, this.OH, this.OW, work);
  }

  /** dx += convᵀ(dy, w). */
  backwardDataAcc(dy: number, w: number, dx: number, batch: number, work: number): void {
    this.e.conv2d_bwd_data_acc_nhwc(dy, w, dx, batch, this.H, this.W, this.C, this.KH, this.KW, this.OC, this.SH, this.SW, this.padT, this.padL, this.OH, this.OW, work);
  }

  /** dw = corr(x, dy) (overwrites dw). */
  backwardFilter(x: number, dy: number, dw: number, batch: number, work: number): void {
    this.e.conv2d_bwd_filter_nhwc(x, dy, dw, batch, this.H, this.W, this.C, this.KH, this.KW, this.OC, this.SH, this.SW, this.padT, this.padL, this.OH, this.OW, work);
  }

  /** dw += corr(x, dy). */
  backwardFilterAcc(x: number, dy: number, dw: number, batch: number, work: number): void {
    this.e.conv2d_bwd_filter_acc_nhwc(x, dy, dw, batch, this.H, this.W, this.C, this.KH, this.KW, this.OC, this.SH, this.SW, this.padT, this.padL, this.OH, this.OW, work);
  }
}
