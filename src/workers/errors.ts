// Typed errors of the worker pool and the data-parallel trainer.

/** A worker threw, exited, crashed or stopped answering; `rank` says which one. */
export class WorkerFailedError extends Error {
  override name = 'WorkerFailedError';
  /** rank −1: the main thread's side of the protocol failed. */
  constructor(readonly rank: number, message: string, options?: { cause?: unknown }) {
    super(`${rank < 0 ? 'main thread' : `worker ${rank}`}: ${message}`, options);
  }
}

/** A bad pool or parallel-training option (`option` names it). */
export class ParallelOptionError extends RangeError {
  override name = 'ParallelOptionError';
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
  }
}

/** Another worker failed (or the pool was closed) while this one waited at a barrier. */
export class BarrierAbortedError extends Error {
  override name = 'BarrierAbortedError';
}

/** A barrier was not reached by every worker within the timeout (a hung worker). */
export class BarrierTimeoutError extends Error {
  override name = 'BarrierTimeoutError';
  constructor(readonly rank: number, readonly timeoutMs: number, readonly step: number) {
    super(`worker ${rank}: the other workers did not reach the barrier of step ${step} within ${timeoutMs} ms`);
  }
}

/** A failure injected on purpose (tests of the failure handling). */
export class InjectedFailureError extends Error {
  override name = 'InjectedFailureError';
}

/** The pool was used after close() or after a failure. */
export class PoolClosedError extends Error {
  override name = 'PoolClosedError';
}
