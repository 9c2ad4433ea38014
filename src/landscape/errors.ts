// Typed errors of the landscape numerics. Argument errors (wrong length, NaN, out of
// range) use KernelRangeError / KernelTypeError from the kernel layer; these cover what
// goes wrong inside a computation.

/** The objective returned a non-finite loss or gradient; `argument` is 'f' or 'g'. */
export class NonFiniteObjectiveError extends Error {
  override name = 'NonFiniteObjectiveError';
  constructor(readonly argument: 'f' | 'g', readonly evaluation: number, value: number) {
    super(`${argument}: the objective returned a non-finite ${argument === 'f' ? 'loss' : 'gradient entry'} (${value}) at evaluation ${evaluation}` +
      (argument === 'g' ? ' (a NaN can also mean g was not fully written — if evalGrad grows Wasm memory, write g through a fresh view at g.byteOffset)' : ''));
  }
}

/** A small dense matrix could not be factored (e.g. a Gram matrix that is not positive definite). */
export class FactorizationError extends Error {
  override name = 'FactorizationError';
  constructor(readonly argument: string, message: string) {
    super(`${argument}: ${message}`);
  }
}
