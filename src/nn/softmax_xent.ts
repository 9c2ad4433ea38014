// Softmax cross-entropy head on logits [B, classes] with integer labels. The fused kernel
// returns the summed loss and writes dlogits = (softmax − onehot)/B, the gradient of the MEAN.
import type { KernelExports } from '../kernels/exports.js';

export class SoftmaxCrossEntropy {
  constructor(private readonly exports: KernelExports, readonly classes: number) {}

  /** Σ over rows of −log softmax(logits)[label]; writes d(mean loss)/dlogits into `dlogits`. */
  forwardBackward(logits: number, labels: number, dlogits: number, batch: number): number {
    return this.exports.softmax_xent_fwd_bwd_f32(logits, labels, dlogits, batch, this.classes, 1 / batch);
  }

  /** Σ over rows of the cross-entropy, no gradient. */
  forward(logits: number, labels: number, batch: number): number {
    return this.exports.softmax_xent_fwd_f32(logits, labels, batch, this.classes);
  }

  /** R-backward (Pearlmutter's R-operator) of forwardBackward along R(logits): writes R(dlogits) of the mean loss. */
  rBackward(logits: number, rlogits: number, rdlogits: number, batch: number): void {
    this.exports.softmax_xent_rbwd_f32(logits, rlogits, rdlogits, batch, this.classes, 1 / batch);
  }

  /** Rows whose argmax (lowest index on ties) equals the label. */
  correct(logits: number, labels: number, batch: number): number {
    return this.exports.count_correct_f32(logits, labels, batch, this.classes);
  }
}
