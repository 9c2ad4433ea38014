// A network built from a ModelSpec. All parameters live in ONE contiguous f32 vector in Wasm
// memory and all gradients in another (layers hold offsets into them), so optimizers,
// sharpness and data-parallel reduction each work on the whole model with one kernel call.
// Activations are allocated once per batch capacity and reused every step.
import { ElementwiseKernels } from '../kernels/bindings/elementwise.js';
import { GemmKernels } from '../kernels/bindings/gemm.js';
import type { Kernels } from '../kernels/kernels.js';
import { Rng } from '../util/rng.js';
import { BatchNorm } from './batchnorm.js';
import { Conv2d } from './conv2d.js';
import { Dense } from './dense.js';
import { Dropout } from './dropout.js';
import { ModelInputError } from './errors.js';
import { FlatVector } from './flat_vector.js';
import { Flatten } from './flatten.js';
import type { Layer, LayerContext } from './layer.js';
import { MaxPool } from './maxpool.js';
import { tensorTable, type ParamTensor, type TableTensor } from './param_table.js';
import { Relu } from './relu.js';
import { SoftmaxCrossEntropy } from './softmax_xent.js';
import { resolveSpec, shapeSize, type ModelSpec } from './spec.js';

export { FlatVector };

export interface ForwardOptions {
  /** Training mode: BN uses (and updates) batch statistics, dropout is active. Default false. */
  train?: boolean;
  /** Dropout seed for this pass; by default a fresh one per training forward (from the model's counter). */
  seed?: number;
  /** Training mode only: dropout active (default true). false makes the pass deterministic. */
  dropout?: boolean;
  /**
   * Training mode only: update BN running statistics (default true). false leaves them as
   * they were (for loss-landscape probes that must not disturb the model).
   */
  updateStats?: boolean;
  /**
   * Training mode only: how BN normalizes. 'batch' (default): with the batch statistics.
   * 'running': with the running statistics (evaluation-mode BN, the deployed network's
   * per-channel affine map; they are not updated), so backward differentiates that loss.
   */
  bn?: 'batch' | 'running';
}

/** Options of lossAndGrad: it always runs in training mode (by default BN batch statistics). */
export type GradOptions = Pick<ForwardOptions, 'seed' | 'dropout' | 'updateStats' | 'bn'>;

export interface EvaluateOptions {
  /** Samples per forward pass (default 1000, or the current capacity if larger — except with batchStats). */
  batchSize?: number;
  /** Evaluate only the first `limit` samples. */
  limit?: number;
  /**
   * Normalize BN with each chunk's own batch statistics instead of the running ones (Keras
   * BN "mode 2", what the paper's parametric plots used, with chunks of 5000). Dropout stays
   * off and the running statistics are not touched. Default false.
   */
  batchStats?: boolean;
}

export interface Metrics { loss: number; accuracy: number; n: number }

/**
 * A labelled sample set, structurally the `Dataset` of src/data (declared here so nn does not
 * import from a sibling layer): n samples of `shape`, row-major in x, labels in [0, classes).
 */
export interface LabeledSet {
  name: string;
  x: Float32Array;
  y: Int32Array;
  n: number;
  shape: number[];
  classes: number;
}

export interface CreateOptions { seed?: number }

function mix32(a: number, b: number): number {
  let z = (a ^ Math.imul(b + 0x632be5ab, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function checkBatch(batch: unknown): number {
  if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 1 || batch > 0x7fffffff) {
    throw new ModelInputError('batch', `must be a positive integer, got ${batch}`);
  }
  return batch;
}

export class Model {
  readonly spec: ModelSpec;
  readonly layers: Layer[];
  readonly inputShape: readonly number[];
  readonly inputSize: number;
  readonly classes: number;
  readonly numParams: number;
  readonly numBuffers: number;
  /**
   * Every trained tensor (layer, name, role, shape) and where it sits in `params` (and
   * `grads`): the one table optimizers' slices, filter normalization and error messages read.
   */
  readonly paramTensors: readonly ParamTensor[];
  /** The same for the buffer vector (BN running statistics). */
  readonly bufferTensors: readonly TableTensor[];
  readonly params: FlatVector;
  readonly grads: FlatVector;
  /** Non-trained state (BN running statistics), saved in checkpoints. */
  readonly buffers: FlatVector;
  /** Base of the per-step dropout seeds, and how many training forwards have run. */
  dropoutBase: number;
  trainForwards = 0;

  private readonly head: SoftmaxCrossEntropy;
  private readonly elementwise: ElementwiseKernels;
  private readonly widest: number;
  private cap = 0;
  private inputPtr = 0; private labelsPtr = 0;
  private gA = 0; private gB = 0;
  private workPtr = 0;
  private statsScratch = 0;
  private lastBatch = 0;
  private disposed = false;
  // R-operator (lossGradHvp, lossHvp): the direction and product vectors (bound once, on first use)
  // and the R-gradient ping-pong buffers (allocated with the R activations, per capacity).
  private rDir: FlatVector | null = null;
  private rOut: FlatVector | null = null;
  private rCap = 0;
  private rA = 0; private rB = 0;

  static create(k: Kernels, spec: ModelSpec, opts: CreateOptions = {}): Model {
    return new Model(k, spec, opts.seed ?? 0);
  }

  private constructor(readonly k: Kernels, spec: ModelSpec, seed: number) {
    const resolved = resolveSpec(spec);
    this.spec = JSON.parse(JSON.stringify(spec)) as ModelSpec;
    this.inputShape = spec.input.slice();
    this.inputSize = shapeSize(spec.input);
    this.elementwise = new ElementwiseKernels(k.exports);
    const ctx: LayerContext = { gemm: new GemmKernels(k.exports), elementwise: this.elementwise, exports: k.exports, work: () => this.workPtr };
    let seenOwner = false; // a layer before this one owns its output buffer
    this.layers = resolved.map((r, i) => {
      let layer: Layer;
      switch (r.type) {
        case 'dense': layer = new Dense(ctx, r.inShape[0], r.units); break;
        case 'conv2d': layer = new Conv2d(ctx, r.inShape, r.outShape, r); break;
        case 'batchnorm': layer = new BatchNorm(ctx, r.inShape, r.momentum, r.eps); break;
        case 'relu': layer = new Relu(ctx, r.inShape, seenOwner); break;
        case 'maxpool': layer = new MaxPool(ctx, r.inShape, r.outShape, r); break;
        case 'dropout': layer = new Dropout(ctx, r.inShape, r.rate, i); break;
        case 'flatten': layer = new Flatten(r.inShape); break;
      }
      if (r.type !== 'flatten' && r.type !== 'dropout') seenOwner = true;
      return layer;
    });
    this.classes = resolved[resolved.length - 1].outShape[0];
    this.widest = Math.max(...resolved.map((r) => Math.max(shapeSize(r.inShape), shapeSize(r.outShape))));
    this.numParams = this.layers.reduce((a, l) => a + l.paramCount, 0);
    this.numBuffers = this.layers.reduce((a, l) => a + l.bufferCount, 0);
    this.paramTensors = tensorTable(this.layers, 'params') as ParamTensor[];
    this.bufferTensors = tensorTable(this.layers, 'buffers');
    const arena = k.arena;
    this.params = new FlatVector(k, arena.alloc(this.numParams * 4), this.numParams);
    this.grads = new FlatVector(k, arena.alloc(this.numParams * 4), this.numParams);
    this.buffers = new FlatVector(k, arena.alloc(this.numBuffers * 4), this.numBuffers);
    this.head = new SoftmaxCrossEntropy(k.exports, this.classes);
    const rng = new Rng(seed);
    let p = 0, b = 0;
    const pv = this.params.view(), bv = this.buffers.view();
    this.grads.view().fill(0);
    this.bindLayers(this.params.ptr, this.grads.ptr);
    for (const l of this.layers) {
      l.init(pv.subarray(p, p + l.paramCount), bv.subarray(b, b + l.bufferCount), rng);
      p += l.paramCount; b += l.bufferCount;
    }
    this.dropoutBase = rng.nextU32();
  }

  /**
   * Points every layer at a parameter and a gradient vector laid out like `params` (its own at
   * construction; a worker's shared parameter vector and its gradient slot). The running
   * statistics stay in this model's `buffers`; `params` and `grads` still name its own vectors.
   */
  bindLayers(paramsPtr: number, gradsPtr: number): void {
    let p = 0, b = 0;
    for (const l of this.layers) {
      l.bind(paramsPtr + p * 4, gradsPtr + p * 4, this.buffers.ptr + b * 4);
      p += l.paramCount; b += l.bufferCount;
    }
  }

  /** The spec this model was built from (JSON-able). */
  toJSON(): ModelSpec {
    return JSON.parse(JSON.stringify(this.spec)) as ModelSpec;
  }

  /** Largest batch the current activation buffers hold. */
  get capacity(): number { return this.cap; }

  /**
   * Makes room for batches up to `batch` (no-op if it already fits). Reallocation moves the
   * input buffer: views from inputView/labelsView and pointers from before are invalid.
   */
  reserve(batch: number): void {
    this.alive();
    checkBatch(batch);
    if (batch <= this.cap) return;
    const arena = this.k.arena;
    if (this.cap) this.releaseActivations();
    const cap = batch;
    this.inputPtr = arena.alloc(cap * this.inputSize * 4);
    this.labelsPtr = arena.alloc(cap * 4);
    this.gA = arena.alloc(cap * this.widest * 4);
    this.gB = arena.alloc(cap * this.widest * 4);
    for (const l of this.layers) l.allocate(arena, cap);
    const workBytes = Math.max(0, ...this.layers.map((l) => l.workspaceBytes(cap)));
    this.workPtr = workBytes ? arena.alloc(workBytes) : 0;
    this.cap = cap;
  }

  private releaseActivations(): void {
    const arena = this.k.arena;
    if (this.rCap) this.releaseR();
    for (const l of this.layers) l.release(arena);
    arena.release(this.inputPtr); arena.release(this.labelsPtr);
    arena.release(this.gA); arena.release(this.gB);
    if (this.workPtr) arena.release(this.workPtr);
    this.cap = 0; this.workPtr = 0;
  }

  /** Returns every buffer of this model to the arena. */
  dispose(): void {
    if (this.disposed) return;
    if (this.cap) this.releaseActivations();
    const arena = this.k.arena;
    arena.release(this.params.ptr); arena.release(this.grads.ptr); arena.release(this.buffers.ptr);
    if (this.statsScratch) arena.release(this.statsScratch);
    if (this.rDir) { arena.release(this.rDir.ptr); arena.release(this.rOut!.ptr); }
    this.disposed = true;
  }

  private alive(): void {
    if (this.disposed) throw new ModelInputError('model', 'was disposed');
  }

  /** A live view of the input buffer for `batch` samples (write a batch straight into Wasm memory). */
  inputView(batch: number): Float32Array {
    this.reserve(batch);
    return new Float32Array(this.k.memory.buffer, this.inputPtr, batch * this.inputSize);
  }

  /** A live view of the label buffer for `batch` samples. */
  labelsView(batch: number): Int32Array {
    this.reserve(batch);
    return new Int32Array(this.k.memory.buffer, this.labelsPtr, batch);
  }

  get inputPointer(): number { return this.inputPtr; }
  get labelsPointer(): number { return this.labelsPtr; }

  /**
   * Runs the layers on `batch` samples at byte offset `xPtr` (in Wasm memory, e.g. the
   * input buffer). Returns the pointer of the logits [batch, classes]. `batch` must fit
   * the current capacity (see reserve).
   */
  forward(xPtr: number, batch: number, opts: ForwardOptions = {}): number {
    this.alive();
    checkBatch(batch);
    if (batch > this.cap) throw new ModelInputError('batch', `${batch} exceeds the allocated capacity ${this.cap}; call reserve(${batch}) first`);
    const train = opts.train ?? false;
    const dropout = train && (opts.dropout ?? true);
    const bn = opts.bn ?? 'batch';
    if (bn !== 'batch' && bn !== 'running') throw new ModelInputError('bn', `must be 'batch' or 'running', got ${String(bn)}`);
    const bnBatch = train && bn === 'batch';
    const keepStats = bnBatch && opts.updateStats === false && this.numBuffers > 0;
    let seed = 0;
    if (dropout) seed = opts.seed !== undefined ? opts.seed >>> 0 : mix32(this.dropoutBase, this.trainForwards++);
    if (keepStats) {
      this.statsScratch ||= this.k.arena.alloc(this.numBuffers * 4);
      this.elementwise.copy(this.buffers.ptr, this.statsScratch, this.numBuffers);
    }
    let x = xPtr;
    for (const l of this.layers) x = l.forward(x, batch, l instanceof Dropout ? dropout : l instanceof BatchNorm ? bnBatch : train, seed);
    if (keepStats) this.elementwise.copy(this.statsScratch, this.buffers.ptr, this.numBuffers);
    this.lastBatch = train ? batch : 0;
    return x;
  }

  /**
   * Backpropagates d(loss)/d(logits) [batch, classes] from the last training forward pass;
   * `dlogits` (a pointer, left unmodified) defaults to the buffer lossAndGrad's loss head
   * wrote. Overwrites `grads`.
   */
  backward(dlogits: number = this.gA): void {
    this.alive();
    const batch = this.lastBatch;
    if (!batch) throw new ModelInputError('backward', 'needs a preceding training-mode forward pass');
    // An outside gradient is copied in: backward ping-pongs between the model's own buffers.
    if (dlogits !== this.gA) this.elementwise.copy(dlogits, this.gA, batch * this.classes);
    this.backpropagate(batch, false);
  }

  /** Runs the layers' backward from gA; with `inputDx` also the first layer's, returning where d(loss)/d(input) is. */
  private backpropagate(batch: number, inputDx: boolean): number {
    let dy = this.gA, spare = this.gB;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const dx = this.layers[i].backward(dy, spare, batch, i > 0 || inputDx);
      if (dx !== dy) { spare = dy; dy = dx; }
    }
    return dy;
  }

  /**
   * lossAndGrad that also returns d(mean loss)/d(input) of the batch (a copy, batch ×
   * inputSize floats), e.g. for adversarial (FGSM) examples. Overwrites `grads` as well.
   */
  lossAndInputGrad(x: Float32Array, y: Int32Array, batch: number, opts: GradOptions = {}): { loss: number; dx: Float32Array } {
    this.load(x, y, batch);
    const logits = this.forward(this.inputPtr, batch, { ...opts, train: true });
    const sum = this.head.forwardBackward(logits, this.labelsPtr, this.gA, batch);
    const at = this.backpropagate(batch, true);
    return { loss: sum / batch, dx: new Float32Array(this.k.memory.buffer, at, batch * this.inputSize).slice() };
  }

  /** Copies x (unless it already is the input buffer) and validated labels into Wasm memory. */
  private load(x: Float32Array, y: Int32Array, batch: number): void {
    checkBatch(batch);
    if (!(x instanceof Float32Array)) throw new ModelInputError('x', `must be a Float32Array`);
    if (!(y instanceof Int32Array)) throw new ModelInputError('y', `must be an Int32Array`);
    if (x.length < batch * this.inputSize) throw new ModelInputError('x', `holds ${x.length} floats, need ${batch} × ${this.inputSize}`);
    if (y.length < batch) throw new ModelInputError('y', `holds ${y.length} labels, need ${batch}`);
    this.reserve(batch);
    const buf = this.k.memory.buffer;
    if (!(x.buffer === buf && x.byteOffset === this.inputPtr)) new Float32Array(buf, this.inputPtr, batch * this.inputSize).set(x.subarray(0, batch * this.inputSize));
    if (!(y.buffer === buf && y.byteOffset === this.labelsPtr)) new Int32Array(buf, this.labelsPtr, batch).set(y.subarray(0, batch));
    this.checkLabels(new Int32Array(buf, this.labelsPtr, batch));
  }

  private checkLabels(y: Int32Array): void {
    const c = this.classes;
    for (let i = 0; i < y.length; i++) {
      const v = y[i];
      if (!(v >= 0 && v < c)) throw new ModelInputError('y', `label ${v} at index ${i} is outside [0, ${c})`);
    }
  }

  /**
   * One training-mode forward and backward on a batch: returns the mean cross-entropy and
   * leaves its gradient in `grads`. x: batch × inputSize floats; y: batch labels.
   */
  lossAndGrad(x: Float32Array, y: Int32Array, batch: number, opts: GradOptions = {}): number {
    this.load(x, y, batch);
    const logits = this.forward(this.inputPtr, batch, { ...opts, train: true });
    const sum = this.head.forwardBackward(logits, this.labelsPtr, this.gA, batch);
    this.backward(this.gA);
    return sum / batch;
  }

  /**
   * The direction v of lossGradHvp and lossHvp: a flat vector laid out like `params` (allocated and
   * bound to the layers on first use; write v here).
   */
  get hvpDirection(): FlatVector {
    this.alive();
    if (!this.rDir) {
      const arena = this.k.arena;
      this.rDir = new FlatVector(this.k, arena.alloc(this.numParams * 4), this.numParams);
      this.rOut = new FlatVector(this.k, arena.alloc(this.numParams * 4), this.numParams);
      this.rDir.view().fill(0);
      let p = 0;
      for (const l of this.layers) { l.bindR(this.rDir.ptr + p * 4, this.rOut.ptr + p * 4); p += l.paramCount; }
    }
    return this.rDir;
  }

  /** Where lossGradHvp and lossHvp write H·v (laid out like `params`). */
  get hvpProduct(): FlatVector {
    this.hvpDirection;
    return this.rOut!;
  }

  private reserveR(batch: number): void {
    this.reserve(batch);
    if (this.rCap === this.cap) return;
    if (this.rCap) this.releaseR();
    const arena = this.k.arena, cap = this.cap;
    this.rA = arena.alloc(cap * this.widest * 4);
    this.rB = arena.alloc(cap * this.widest * 4);
    for (const l of this.layers) l.allocateR(arena, cap);
    this.rCap = cap;
  }

  private releaseR(): void {
    const arena = this.k.arena;
    for (const l of this.layers) l.releaseR(arena);
    arena.release(this.rA); arena.release(this.rB);
    this.rCap = 0;
  }

  /**
   * The exact Hessian-vector product of the mean loss on one batch, by forward-over-reverse
   * differentiation (Pearlmutter's R-operator): a training-mode forward, its R-forward along
   * v = hvpDirection, the loss head's backward and R-backward, then every layer's R-backward
   * and backward. Writes H·v into hvpProduct and the gradient into `grads`; returns the mean
   * loss. H differentiates the same function as lossAndGrad with the same options (BN batch
   * statistics, which depend on the weights, by default; `bn: 'running'` holds them fixed;
   * dropout masks, if on, are held fixed). ReLU and max-pool use the forward's masks and
   * winners: H is the Hessian of the piece the point lies on, exact up to f32 rounding.
   * When the gradient is not needed, lossHvp gives the same H·v cheaper.
   */
  lossGradHvp(x: Float32Array, y: Int32Array, batch: number, opts: GradOptions = {}): number {
    return this.rPass(x, y, batch, opts, true);
  }

  /**
   * lossGradHvp without the gradient: the same H·v, bit for bit, and the same loss, but the
   * backward computes only the input-gradient chain dy that the R-backward reads (dx = dy·Wᵀ
   * per dense layer, the transposed convolution per conv layer, BN's dx), not the parameter
   * gradients (dW = xᵀ·dy, db, dγ, dβ), and the first layer's backward not at all. `grads` is
   * left untouched. Cost (F1, GEMM passes): ≈ 2.4 gradients, lossGradHvp ≈ 2.8.
   */
  lossHvp(x: Float32Array, y: Int32Array, batch: number, opts: GradOptions = {}): number {
    return this.rPass(x, y, batch, opts, false);
  }

  private rPass(x: Float32Array, y: Int32Array, batch: number, opts: GradOptions, grads: boolean): number {
    this.hvpDirection;
    this.load(x, y, batch);
    this.reserveR(batch);
    const logits = this.forward(this.inputPtr, batch, { ...opts, train: true });
    let rx = 0;
    for (const l of this.layers) rx = l.rForward(rx, batch);
    const sum = this.head.forwardBackward(logits, this.labelsPtr, this.gA, batch);
    this.head.rBackward(logits, rx, this.rA, batch);
    let dy = this.gA, spare = this.gB, rdy = this.rA, rspare = this.rB;
    for (let i = this.layers.length - 1; i >= 0; i--) {
      const l = this.layers[i];
      const rdx = l.rBackward(dy, rdy, rspare, batch, i > 0);
      if (rdx !== rdy) { rspare = rdy; rdy = rdx; }
      if (i === 0 && !grads) break; // nothing reads the first layer's dx
      const dx = l.backward(dy, spare, batch, i > 0, grads);
      if (dx !== dy) { spare = dy; dy = dx; }
    }
    return sum / batch;
  }

  /** Mean cross-entropy of one batch without gradients (training mode updates BN running stats). */
  loss(x: Float32Array, y: Int32Array, batch: number, opts: ForwardOptions = {}): number {
    this.load(x, y, batch);
    const logits = this.forward(this.inputPtr, batch, opts);
    return this.head.forward(logits, this.labelsPtr, batch) / batch;
  }

  /** Mean loss and accuracy over a dataset (evaluation mode unless batchStats), in chunks. */
  evaluate(ds: LabeledSet, opts: EvaluateOptions = {}): Metrics {
    this.alive();
    this.checkDataset(ds);
    const n = Math.min(ds.n, opts.limit ?? ds.n);
    if (!Number.isInteger(n) || n < 0) throw new ModelInputError('limit', `must be a non-negative integer, got ${opts.limit}`);
    if (n === 0) throw new ModelInputError('ds', `${ds.name} has no samples to evaluate`);
    const want = checkBatch(opts.batchSize ?? 1000);
    // With batch statistics the chunk size is part of the result, so it is used exactly;
    // otherwise a larger existing capacity just means fewer passes.
    const chunk = Math.min(n, opts.batchStats ? want : Math.max(want, this.cap));
    this.reserve(chunk);
    const d = this.inputSize;
    const fwd: ForwardOptions = opts.batchStats ? { train: true, dropout: false, updateStats: false } : { train: false };
    let loss = 0, correct = 0;
    for (let off = 0; off < n; off += chunk) {
      const b = Math.min(chunk, n - off);
      const buf = this.k.memory.buffer;
      new Float32Array(buf, this.inputPtr, b * d).set(ds.x.subarray(off * d, (off + b) * d));
      const yv = new Int32Array(buf, this.labelsPtr, b);
      yv.set(ds.y.subarray(off, off + b));
      this.checkLabels(yv);
      const logits = this.forward(this.inputPtr, b, fwd);
      loss += this.head.forward(logits, this.labelsPtr, b);
      correct += this.head.correct(logits, this.labelsPtr, b);
    }
    return { loss: loss / n, accuracy: correct / n, n };
  }

  /** Throws if a dataset's sample shape or label count do not fit this model. */
  checkDataset(ds: LabeledSet): void {
    if (shapeSize(ds.shape) !== this.inputSize) {
      throw new ModelInputError('ds', `${ds.name} has samples of shape [${ds.shape}] (${shapeSize(ds.shape)} values) but the model takes [${this.inputShape}] (${this.inputSize})`);
    }
    if (ds.classes > this.classes) throw new ModelInputError('ds', `${ds.name} has ${ds.classes} classes but the model outputs ${this.classes} logits`);
    if (ds.x.length < ds.n * this.inputSize || ds.y.length < ds.n) throw new ModelInputError('ds', `${ds.name} is shorter than its n = ${ds.n}`);
  }
}
