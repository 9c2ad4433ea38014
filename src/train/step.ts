// One training step, written once for every engine. A participant (the in-thread trainer, or
// one worker of a pool) holds some samples of the batch (its shard) and owns a slice
// [lo, hi) of the parameter vector. The step is:
//   gradient side — the participant's samples go through the remedies' input transforms
//     (LocalBatch), then its mean loss and gradient are computed;
//   the reduction — the engine combines every participant's gradient into the batch gradient
//     (in-thread: nothing to combine);
//   update side — updateProgram: remedies that adjust the gradient (SAM, the proximal term)
//     and the optimizer step, on the participant's slice.
// updateProgram is a generator: where it needs a fresh batch gradient (SAM's second pass,
// conservative training's inner steps) or all slices written (a barrier), it yields a request
// and the engine answers — synchronously in-thread and over shared memory, asynchronously
// over MessagePorts — so the same code runs in all of them.
import type { Dataset } from '../data/dataset.js';
import type { Kernels } from '../kernels/kernels.js';
import type { Model } from '../nn/model.js';
import type { Optimizer } from '../optim/optimizer.js';

/** Where this participant's samples sit in the batch of a step. */
export interface ShardInfo {
  /** Samples this participant holds (in its model's input buffer); may be 0. */
  n: number;
  /** Samples in the whole batch, and the index of this participant's first one. */
  batch: number;
  offset: number;
  /** Steps taken before this one (0-based), the seed of per-step randomness. */
  globalStep: number;
}

/** The gradient side of one participant. */
export class LocalBatch {
  info: ShardInfo = { n: 0, batch: 0, offset: 0, globalStep: 0 };
  private xs: Float32Array | null = null;
  private ys: Int32Array | null = null;
  private chunk = 0;
  private acc = 0;

  /**
   * `gradPtr`: where the model's layers write the gradient (model.grads, unless a worker
   * re-bound them to its slot in shared memory).
   */
  constructor(readonly model: Model, readonly data: Pick<Dataset, 'shape'>, private readonly gradPtr = model.grads.ptr) {}

  /** Starts a step on the n samples already in the model's input/label buffers. */
  begin(info: ShardInfo): void {
    this.info = info;
    this.xs = this.ys = null;
  }

  /**
   * Ghost batches: from now on (this step) gradients are the sample-weighted mean over chunks
   * of `size` samples, each forwarded alone; `acc` is an n-parameter scratch vector.
   */
  useChunks(size: number, acc: number): void {
    const n = this.info.n;
    this.chunk = size; this.acc = acc;
    if (size < n) { this.xs = this.model.inputView(n).slice(); this.ys = this.model.labelsView(n).slice(); }
  }

  /** The step's inputs to transform in place (the chunk copies when there are any). */
  inputs(): Float32Array {
    return this.xs ?? this.model.inputView(this.info.n);
  }

  /** Calls fn per chunk (or once on the whole shard) with inputs/labels to pass to the model. */
  chunked(fn: (x: Float32Array, y: Int32Array, off: number, count: number) => void): void {
    const m = this.model, n = this.info.n;
    if (!this.xs || !this.ys) { fn(m.inputView(n), m.labelsView(n), 0, n); return; }
    const d = m.inputSize, g = this.chunk;
    for (let off = 0; off < n; off += g) {
      const c = Math.min(g, n - off);
      fn(this.xs.subarray(off * d, (off + c) * d), this.ys.subarray(off, off + c), off, c);
    }
    // Each chunk was loaded at the start of the input buffer: put the whole shard back.
    m.inputView(n).set(this.xs);
    m.labelsView(n).set(this.ys);
  }

  /**
   * The shard's mean loss, its gradient left at gradPtr (0 and an untouched gradient for
   * an empty shard). `updateStats` false: batch norm keeps its running statistics (recomputes).
   */
  gradient(updateStats: boolean): number {
    const m = this.model, n = this.info.n;
    if (n === 0) return 0;
    const opts = updateStats ? {} : { updateStats: false };
    if (!this.xs) return m.lossAndGrad(m.inputView(n), m.labelsView(n), n, opts);
    const e = m.k.exports, np = m.numParams;
    e.fill_f32(np, 0, this.acc);
    let loss = 0;
    this.chunked((x, y, _off, c) => {
      loss += m.lossAndGrad(x, y, c, opts) * (c / n);
      e.axpy_f32(np, c / n, this.gradPtr, this.acc);
    });
    e.copy_f32(np, this.acc, this.gradPtr);
    return loss;
  }
}

/** The update side of one participant: its slice of the flat parameter vector. */
export interface ParamSide {
  k: Kernels;
  /** Byte offset of the whole parameter vector, its length, and this participant's slice. */
  params: number;
  numParams: number;
  lo: number;
  hi: number;
}

/** A request of the update program to its engine. */
export type StepRequest =
  /** The batch gradient at the current parameters (no running-statistics update); reply: its byte offset, every slice readable. */
  | { kind: 'gradient' }
  /** Wait until every participant got here (their parameter slices are written); reply: 0. */
  | { kind: 'sync' };

export const GRADIENT: StepRequest = Object.freeze({ kind: 'gradient' });
export const SYNC: StepRequest = Object.freeze({ kind: 'sync' });

/** What a remedy does during a step; every hook is optional. */
export interface StepHooks {
  /** Transforms the participant's samples before the step's first gradient. */
  inputs?(b: LocalBatch): void;
  /** The start of the update (before any parameter changes). */
  beginUpdate?(p: ParamSide): void;
  /** Adjusts the batch gradient at byte offset `grad` before an optimizer step; returns the gradient to use. */
  adjust?(p: ParamSide, grad: number): Generator<StepRequest, number, number>;
  /** Optimizer steps per batch (conservative training); the largest asked for wins (default 1). */
  innerSteps?: number;
  /** Frees what the hooks allocated. */
  dispose?(): void;
}

/** The optimizer of a participant: elementwise ones update its slice, others the whole vector once. */
export interface StepOptimizer {
  optimizer: Optimizer | null;
  elementwise: boolean;
  /** Whether this participant applies a whole-vector (non-elementwise) update. */
  ownsWhole: boolean;
}

/**
 * The update of one step given the batch gradient (byte offset `grad`): remedies' adjustments
 * and the optimizer step(s), ending with every slice written (a final sync).
 */
export function* updateProgram(p: ParamSide, hooks: readonly StepHooks[], opt: StepOptimizer, grad: number): Generator<StepRequest, void, number> {
  for (const h of hooks) h.beginUpdate?.(p);
  const inner = Math.max(1, ...hooks.map((h) => h.innerSteps ?? 1));
  for (let s = 0; s < inner; s++) {
    if (s > 0) grad = yield GRADIENT;
    for (const h of hooks) if (h.adjust) grad = yield* h.adjust(p, grad);
    if (opt.elementwise) {
      opt.optimizer!.step(p.params + p.lo * 4, grad + p.lo * 4);
    } else {
      yield SYNC; // every slice's adjustment of the gradient is written
      if (opt.ownsWhole) opt.optimizer!.step(p.params, grad);
    }
    yield SYNC; // every slice is updated: the next forward pass sees the new parameters
  }
}

/** Runs an update program whose requests are answered synchronously. */
export function runUpdate(program: Generator<StepRequest, void, number>, answer: (r: StepRequest) => number): void {
  let reply = 0;
  for (;;) {
    const r = program.next(reply);
    if (r.done) return;
    reply = answer(r.value);
  }
}
