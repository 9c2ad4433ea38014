// Typed errors of the model layer. Each names the field or argument at fault so callers
// (the CLI, experiment specs) can point at it without parsing the message.

/** A model spec is malformed: `field` is a path like `layers[3].units`. */
export class ModelSpecError extends Error {
  override name = 'ModelSpecError';
  constructor(readonly field: string, message: string) {
    super(`${field}: ${message}`);
  }
}

/** Data handed to a model does not fit it (wrong sample size, label out of range, batch too large…). */
export class ModelInputError extends RangeError {
  override name = 'ModelInputError';
  constructor(readonly argument: string, message: string) {
    super(`${argument}: ${message}`);
  }
}
