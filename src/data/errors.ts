// Typed errors for the data layer. A reader that meets a bad file names the file and what is
// wrong with it; a caller that passes a bad argument learns which argument. Never a silent
// wrong dataset.

/** A file (or buffer) does not hold what its format promises: bad magic, truncated, mismatched counts… */
export class DataFormatError extends Error {
  override name = 'DataFormatError';
  /**
   * @param file the path (or a buffer's name, e.g. "mnist/train images") the problem is in
   * @param problem what is wrong, e.g. "truncated: expected 7840016 bytes, got 100"
   */
  constructor(readonly file: string, readonly problem: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
  }
}

/** A file could not be read at all (missing, a directory, no permission). */
export class DataFileError extends Error {
  override name = 'DataFileError';
  /** @param code the Node error code when there is one ("ENOENT", "EISDIR"…) */
  constructor(readonly file: string, readonly problem: string, readonly code?: string, options?: { cause?: unknown }) {
    super(`${file}: ${problem}`, options);
  }
}

/** An argument is out of its allowed range (batch size ≤ 0, fraction outside (0, 1), index ≥ n…). */
export class DataArgumentError extends RangeError {
  override name = 'DataArgumentError';
  constructor(readonly argument: string, message: string) {
    super(`${argument}: ${message}`);
  }
}

/** An argument has the wrong JS type (not a Float32Array, not a string…). */
export class DataTypeError extends TypeError {
  override name = 'DataTypeError';
  constructor(readonly argument: string, message: string) {
    super(`${argument}: ${message}`);
  }
}
