// The optimizer contract: a step over the model's flat parameter vector using its flat
// gradient, one kernel call, and state that can be saved and restored exactly.

/** Serializable optimizer state: hyper-parameters, step count and its per-parameter vectors. */
export interface OptimizerState {
  type: string;
  t: number;
  hyper: Record<string, number | boolean>;
  /** Copies of the state vectors (Adam: m, v; SGD: velocity), each numParams long. */
  vectors: Record<string, Float32Array>;
}

export interface Optimizer {
  readonly type: string;
  /** Learning rate; may be changed between steps (schedules). */
  lr: number;
  /** Steps taken so far. */
  readonly t: number;
  /** params −= update(grads), in place; both are byte offsets of numParams floats. */
  step(params: number, grads: number): void;
  state(): OptimizerState;
  /** Restores a state from state(); throws OptimizerStateError if it does not fit. */
  setState(s: OptimizerState): void;
  /** Zeroes the moments and the step count (the paper resets Adam between SB and LB runs). */
  reset(): void;
  dispose(): void;
}

export class OptimizerStateError extends Error {
  override name = 'OptimizerStateError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

export class OptimizerOptionError extends RangeError {
  override name = 'OptimizerOptionError';
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
  }
}

export function checkHyper(name: string, v: unknown, lo: number, hi: number, openLo = false): number {
  if (typeof v !== 'number' || Number.isNaN(v) || (openLo ? v <= lo : v < lo) || v > hi) {
    throw new OptimizerOptionError(name, `must be a number in ${openLo ? '(' : '['}${lo}, ${hi}], got ${v}`);
  }
  return v;
}

/**
 * Checks that a saved state fits this optimizer: same type, a valid step count, and equal
 * values of the hyper-parameters in `mustMatch` (the learning rate may differ: schedules).
 */
export function checkStateFits(s: OptimizerState, type: string, mustMatch: Record<string, number | boolean>): void {
  if (s?.type !== type) throw new OptimizerStateError('type', `expected a state of type ${JSON.stringify(type)}, got ${JSON.stringify(s?.type)}`);
  if (!Number.isInteger(s.t) || s.t < 0) throw new OptimizerStateError('t', `must be a non-negative integer, got ${s.t}`);
  for (const [h, v] of Object.entries(mustMatch)) {
    if (s.hyper?.[h] !== v) throw new OptimizerStateError(`hyper.${h}`, `state has ${s.hyper?.[h]}, this optimizer ${v}`);
  }
}
