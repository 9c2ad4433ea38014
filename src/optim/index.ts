// Optimizers over the flat parameter vector.
import type { Kernels } from '../kernels/kernels.js';
import { Adam, type AdamOptions } from './adam.js';
import { OptimizerOptionError, type Optimizer } from './optimizer.js';
import { Sgd, type SgdOptions } from './sgd.js';

export { Adam, type AdamOptions } from './adam.js';
export { Sgd, type SgdOptions } from './sgd.js';
export { Lars, type LarsOptions } from './lars.js';
export { Lamb, type LambOptions } from './lamb.js';
export { OptimizerBase } from './base.js';
export { OptimizerStateError, OptimizerOptionError, type Optimizer, type OptimizerState } from './optimizer.js';
export { OPTIMIZERS, OPTIMIZER_NAMES, optimizerEntry, checkOptimizerOptions, buildOptimizer, type OptimizerEntry, type OptimizerContext, type OptionRule } from './registry.js';

export type OptimizerName = 'adam' | 'sgd';
export type OptimizerOptions = (AdamOptions & { type: 'adam' }) | (SgdOptions & { type: 'sgd' });

/**
 * Builds Adam or SGD for n parameters without a model (kept for the public API; every
 * registered optimizer, LARS and LAMB included: buildOptimizer in registry.ts).
 */
export function createOptimizer(k: Kernels, n: number, opts: OptimizerOptions): Optimizer {
  switch (opts.type) {
    case 'adam': return new Adam(k, n, opts);
    case 'sgd': return new Sgd(k, n, opts);
    default: throw new OptimizerOptionError('optimizer', `must be 'adam' or 'sgd' here (createOptimizer; every registered optimizer: buildOptimizer), got ${JSON.stringify((opts as { type: unknown }).type)}`);
  }
}
