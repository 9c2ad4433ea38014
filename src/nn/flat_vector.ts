// A flat f32 vector in Wasm memory (the model's parameters, gradients, BN buffers).
import type { Kernels } from '../kernels/kernels.js';

/** A flat f32 vector in Wasm memory. `view()` is live (re-made after memory growth). */
export class FlatVector {
  private cached: Float32Array | null = null;
  constructor(private readonly k: Kernels, readonly ptr: number, readonly length: number) {}
  view(): Float32Array {
    const buf = this.k.memory.buffer;
    if (!this.cached || this.cached.buffer !== buf) this.cached = new Float32Array(buf, this.ptr, this.length);
    return this.cached;
  }
}
