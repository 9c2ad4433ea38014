// The one base of every optimizer's state handling: the step count, the learning rate check,
// per-parameter state vectors in Wasm memory (and an optional scratch vector), state() /
// setState() / reset() / dispose(). A subclass declares its vectors and hyper-parameters and
// writes step().
import type { Kernels } from '../kernels/kernels.js';
import { checkHyper, checkStateFits, type Optimizer, type OptimizerState } from './optimizer.js';
import { StateVectors } from './state_vectors.js';

export abstract class OptimizerBase implements Optimizer {
  abstract readonly type: string;
  lr: number;
  protected tStep = 0;
  protected readonly vec: StateVectors;
  /** Byte offset of an n-float scratch vector (0 when the subclass asked for none). */
  protected readonly scratch: number;
  private disposed = false;

  constructor(protected readonly k: Kernels, readonly n: number, lr: number, vectors: string[], opts: { scratch?: boolean } = {}) {
    this.lr = checkHyper('lr', lr, 0, Infinity);
    this.vec = new StateVectors(k, n, vectors);
    this.scratch = opts.scratch ? k.arena.alloc(n * 4) : 0;
  }

  get t(): number { return this.tStep; }

  /**
   * The hyper-parameters saved with the state besides lr; a restored state must have the
   * same values (lr may differ: schedules change it).
   */
  protected abstract hyper(): Record<string, number | boolean>;

  abstract step(params: number, grads: number): void;

  /** Checks the (possibly changed) learning rate and counts the step; returns the new t. */
  protected beginStep(): number {
    checkHyper('lr', this.lr, 0, Infinity);
    return ++this.tStep;
  }

  state(): OptimizerState {
    return { type: this.type, t: this.tStep, hyper: { lr: this.lr, ...this.hyper() }, vectors: this.vec.copies() };
  }

  setState(s: OptimizerState): void {
    checkStateFits(s, this.type, this.hyper());
    this.vec.restore(s);
    this.tStep = s.t;
  }

  reset(): void { this.vec.zero(); this.tStep = 0; }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.vec.dispose();
    if (this.scratch) this.k.arena.release(this.scratch);
  }
}
