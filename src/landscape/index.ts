// Loss-landscape numerics, generic over an Objective (a loss of a flat parameter vector).
export { type Objective, negate } from './objective.js';
export { NonFiniteObjectiveError, FactorizationError } from './errors.js';
export { minimizeLbfgsb, type LbfgsbOptions, type LbfgsbResult, type LbfgsbStopReason } from './lbfgsb.js';
export { RandomSubspace } from './randproj.js';
export { PerturbedObjective } from './perturbation.js';
export { sharpness, type SharpnessOptions, type SharpnessResult } from './sharpness.js';
export {
  HessianOperator, hessianVectorProduct, hessianTopEigenvalues, hessianTrace,
  type HvpOptions, type EigenOptions, type EigenResult, type TraceOptions, type TraceResult,
} from './hessian.js';
export {
  noiseScaleFromNorms, estimateNoiseScale, measureNoiseScale,
  type GradNormPair, type NoiseScale, type NoiseScaleEstimate, type MeasureOptions,
} from './noise_scale.js';
