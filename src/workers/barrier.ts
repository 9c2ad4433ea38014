// A reusable barrier over a SharedArrayBuffer for the workers of one pool, with an abort
// flag: the main thread (which must never Atomics.wait in a browser) sets it and notifies
// when a worker fails, so the others stop waiting at once instead of hanging.
import { BarrierAbortedError, BarrierTimeoutError } from './errors.js';

/** Int32 slots of the control buffer. */
export const CTL = {
  count: 0,
  generation: 1,
  abort: 2,
  /** Per-worker step counters start here: [started, applied] of the optimizer update, per rank. */
  stepBase: 8,
} as const;

export function controlInts(workers: number): number {
  return CTL.stepBase + 2 * workers;
}

/** How long one Atomics.wait sleeps before re-checking the abort flag and the deadline. */
const POLL_MS = 50;

export class SharedBarrier {
  constructor(private readonly ctl: Int32Array, private readonly parties: number, private readonly rank: number, private readonly timeoutMs: number) {}

  get aborted(): boolean {
    return Atomics.load(this.ctl, CTL.abort) !== 0;
  }

  /** Blocks (worker threads only) until all parties arrived. Throws if aborted or timed out. */
  arrive(step: number): void {
    const ctl = this.ctl;
    if (this.aborted) throw new BarrierAbortedError(`worker ${this.rank}: training aborted (another worker failed or the pool closed)`);
    const gen = Atomics.load(ctl, CTL.generation);
    if (Atomics.add(ctl, CTL.count, 1) === this.parties - 1) {
      Atomics.store(ctl, CTL.count, 0);
      Atomics.add(ctl, CTL.generation, 1);
      Atomics.notify(ctl, CTL.generation);
      return;
    }
    const deadline = performance.now() + this.timeoutMs;
    while (Atomics.load(ctl, CTL.generation) === gen) {
      Atomics.wait(ctl, CTL.generation, gen, POLL_MS);
      if (this.aborted) throw new BarrierAbortedError(`worker ${this.rank}: training aborted (another worker failed or the pool closed)`);
      if (Atomics.load(ctl, CTL.generation) === gen && performance.now() > deadline) {
        abortAll(ctl);
        throw new BarrierTimeoutError(this.rank, this.timeoutMs, step);
      }
    }
  }
}

/** Sets the abort flag and wakes every waiter. Safe on the main thread (it never waits). */
export function abortAll(ctl: Int32Array): void {
  Atomics.store(ctl, CTL.abort, 1);
  Atomics.notify(ctl, CTL.generation);
}
