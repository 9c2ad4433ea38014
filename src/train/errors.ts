// Typed errors of training and checkpoints.

/** The loss became NaN or ±Inf: training stops and says where. */
export class NonFiniteLossError extends Error {
  override name = 'NonFiniteLossError';
  constructor(readonly epoch: number, readonly step: number, readonly globalStep: number, readonly loss: number) {
    super(`loss is ${loss} at epoch ${epoch}, step ${step} of the epoch (global step ${globalStep}); training stopped — lower the learning rate?`);
  }
}

/** A bad training option (`option` names it). */
export class TrainOptionError extends RangeError {
  override name = 'TrainOptionError';
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
  }
}

/** A checkpoint file is unreadable: wrong magic, unsupported version, truncated, checksum mismatch, bad header. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
  constructor(readonly path: string, message: string, options?: { cause?: unknown }) {
    super(`checkpoint ${path}: ${message}`, options);
  }
}
