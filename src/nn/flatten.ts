// Flatten: NHWC rows are already contiguous, so this only changes the shape; no copy.
import type { Layer } from './layer.js';
import type { TensorDecl } from './tensors.js';

export class Flatten implements Layer {
  readonly type = 'flatten';
  readonly tensors: readonly TensorDecl[] = [];
  readonly paramCount = 0;
  readonly bufferCount = 0;
  readonly outShape: readonly number[];
  constructor(readonly inShape: readonly number[]) {
    this.outShape = [inShape.reduce((a, b) => a * b, 1)];
  }
  bind(): void {}
  init(): void {}
  allocate(): void {}
  release(): void {}
  workspaceBytes(): number { return 0; }
  forward(x: number): number { return x; }
  backward(dy: number): number { return dy; }
  bindR(): void {}
  allocateR(): void {}
  releaseR(): void {}
  rForward(rx: number): number { return rx; }
  rBackward(_dy: number, rdy: number): number { return rdy; }
}
