// Typed errors for the kernel boundary. Every one names the argument at fault so a
// caller can tell a wrong shape from a wrong type without parsing the message.

/** A size, stride, length or value is out of its allowed range (negative, NaN, too short…). */
export class KernelRangeError extends RangeError {
  override name = 'KernelRangeError';
  constructor(readonly argument: string, message: string) {
    super(`${argument}: ${message}`);
  }
}

/** An argument has the wrong JS type (not a boolean, not a Float32Array…). */
export class KernelTypeError extends TypeError {
  override name = 'KernelTypeError';
  constructor(readonly argument: string, message: string) {
    super(`${argument}: ${message}`);
  }
}

/** Wasm linear memory could not grow to hold an allocation. */
export class OutOfMemoryError extends RangeError {
  override name = 'OutOfMemoryError';
  constructor(readonly requestedBytes: number, readonly memoryBytes: number, limit = 'limit 4 GiB') {
    super(`out of memory: could not allocate ${requestedBytes} bytes (Wasm memory is ${memoryBytes} bytes, ${limit})`);
  }
}

/** The Wasm module could not be found, compiled or instantiated. */
export class KernelLoadError extends Error {
  override name = 'KernelLoadError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
