// The contract every layer implements. Layers hold byte offsets into Wasm memory: their
// parameters and gradients are slices of the model's two flat vectors, their activations
// come from the arena once per batch capacity and are reused every step.
import type { Arena } from '../kernels/arena.js';
import type { ElementwiseKernels } from '../kernels/bindings/elementwise.js';
import type { GemmKernels } from '../kernels/bindings/gemm.js';
import type { KernelExports } from '../kernels/exports.js';
import type { Rng } from '../util/rng.js';
import type { TensorDecl } from './tensors.js';

export interface Layer {
  readonly type: string;
  /** Per-sample shapes. */
  readonly inShape: readonly number[];
  readonly outShape: readonly number[];
  /**
   * The tensors this layer owns, in storage order (tensors.ts): trained ones in the flat
   * parameter (and gradient) vector, running statistics in the buffer vector. The model's
   * parameter table, and everything that walks parameters, is built from these.
   */
  readonly tensors: readonly TensorDecl[];
  /** Floats this layer owns in the flat parameter (and gradient) vector (the sum over its trained tensors). */
  readonly paramCount: number;
  /** Floats of non-trained state (BN running statistics) in the model's buffer vector. */
  readonly bufferCount: number;
  /** Byte offsets of this layer's slices; called once before init, and again to re-point a model at other vectors. */
  bind(params: number, grads: number, buffers: number): void;
  /** Writes initial parameters/buffers into views of this layer's slices. */
  init(params: Float32Array, buffers: Float32Array, rng: Rng): void;
  /** Allocates activations for batches up to `cap` from the arena (called again after release). */
  allocate(arena: Arena, cap: number): void;
  release(arena: Arena): void;
  /** Bytes of shared kernel scratch this layer needs at batch size `cap`. */
  workspaceBytes(cap: number): number;
  /**
   * Returns the pointer of the output (its own buffer, or `x` for in-place and
   * pass-through layers). `seed` drives dropout masks in training mode.
   */
  forward(x: number, batch: number, train: boolean, seed: number): number;
  /**
   * Writes parameter gradients (overwriting) and, when `needDx`, the input gradient into
   * `dy` (in place) or `spare`; returns where dx is (any value when !needDx).
   * Must follow a training-mode forward of the same batch. With `paramGrads` false
   * (default true) the parameter gradients are skipped and this layer's slice of the
   * gradient vector is left untouched: only dx (the same bits) is computed — the
   * Hessian-vector product's backward needs the dy chain, not dθ.
   */
  backward(dy: number, spare: number, batch: number, needDx: boolean, paramGrads?: boolean): number;

  // --- R-operator (Pearlmutter 1994): directional derivatives of forward and backward along
  // a parameter direction V, for exact Hessian-vector products (forward-over-reverse).
  /** Byte offsets of this layer's slices of the direction V and of the product H·V; called once. */
  bindR(dir: number, out: number): void;
  /** Allocates R-pass activations for batches up to `cap` (after allocate). */
  allocateR(arena: Arena, cap: number): void;
  releaseR(arena: Arena): void;
  /**
   * R-forward after this layer's forward of the same batch: from R(x) (pointer, or 0 for
   * R(x) = 0) returns the pointer of R(y) (0 when it is zero).
   */
  rForward(rx: number, batch: number): number;
  /**
   * R-backward, BEFORE this layer's backward of the same step (which may overwrite dy):
   * writes R(dθ) into this layer's product slice (overwriting) and, when `needDx`, R(dx)
   * into `rdy` (in place) or `rspare`; returns where R(dx) is. Leaves dy untouched.
   */
  rBackward(dy: number, rdy: number, rspare: number, batch: number, needDx: boolean): number;
}

/**
 * What a layer needs from the model: the kernel bindings shared by all layers, the raw exports
 * (for binding a family to a layer's own geometry: conv, pooling, batch norm) and the shared scratch.
 */
export interface LayerContext {
  readonly gemm: GemmKernels;
  readonly elementwise: ElementwiseKernels;
  readonly exports: KernelExports;
  /** Pointer to the model's shared kernel workspace (valid during forward/backward). */
  work(): number;
}
