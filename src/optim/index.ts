// Optimizers over the flat parameter vector.
import type { Kernels } from '../kernels/kernels.js';
import { Adam, type AdamOptions } from './adam.js';
import { OptimizerOptionError, type Optimizer } from './optimizer.js';
import { Sgd, type SgdOptions } from './sgd.js';

export { Adam, type AdamOptions } from './adam.js';
export { Sgd, type SgdOptions } from './sgd.js';
export { OptimizerStateError, OptimizerOptionError, type Optimizer, type OptimizerState } from './optimizer.js';

export type OptimizerName = 'adam' | 'sgd';
export type OptimizerOptions = (AdamOptions & { type: 'adam' }) | (SgdOptions & { type: 'sgd' });

/** Builds an optimizer by name for a model of n parameters. */
export function createOptimizer(k: Kernels, n: number, opts: OptimizerOptions): Optimizer {
  switch (opts.type) {
    case 'adam': return new Adam(k, n, opts);
    case 'sgd': return new Sgd(k, n, opts);
    default: throw new OptimizerOptionError('optimizer', `must be 'adam' or 'sgd', got ${JSON.stringify((opts as { type: unknown }).type)}`);
  }
}
