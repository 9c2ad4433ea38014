// The exact Hessian-vector product of a network's training loss (ModelObjective's f: mean
// cross-entropy over a sample, BN per chunk, dropout off) in one call, by forward-over-
// reverse differentiation (Pearlmutter's R-operator, Model.lossHvp per chunk).
import { KernelTypeError } from '../kernels/errors.js';
import type { LabeledSet, Model } from '../nn/model.js';
import { ModelObjective, type ModelObjectiveInfo, type ModelObjectiveOptions } from './model_objective.js';
import { checkPoint } from './objective.js';
import { checkFiniteParams } from '../nn/param_table.js';

export interface NetworkHvpResult {
  /** ∇²f(x)·v at the model's parameters x. */
  product: Float32Array;
  /** f(x). */
  loss: number;
  info: ModelObjectiveInfo;
}

/** ∇²f·v at the model's current parameters, f the loss over (a sample of) `ds` (see ModelObjectiveOptions). */
export function networkHessianVectorProduct(model: Model, ds: LabeledSet, v: Float32Array, options: ModelObjectiveOptions = {}): NetworkHvpResult {
  if (typeof model !== 'object' || model === null || typeof model.lossHvp !== 'function') throw new KernelTypeError('model', 'must be a Model');
  const x = Float32Array.from(model.params.view());
  checkFiniteParams(model, x);
  checkPoint('v', v, model.numParams);
  const obj = new ModelObjective(model, ds, options);
  try {
    const product = new Float32Array(model.numParams);
    const loss = obj.hvp(x, v, product);
    return { product, loss, info: obj.info };
  } finally {
    obj.dispose();
  }
}
