// Loss-landscape numerics, generic over an Objective (a loss of a flat parameter vector).
export { type Objective, negate } from './objective.js';
export { NonFiniteObjectiveError, FactorizationError } from './errors.js';
export { minimizeLbfgsb, type LbfgsbOptions, type LbfgsbResult, type LbfgsbStopReason } from './lbfgsb.js';
export { RandomSubspace } from './randproj.js';
export { PerturbedObjective } from './perturbation.js';
export { sharpness, type SharpnessOptions, type SharpnessResult } from './sharpness.js';
export {
  HessianOperator, hessianVectorProduct, hessianTopEigenvalues, hessianTrace,
  type HvpMethod, type HvpOptions, type EigenOptions, type EigenResult, type TraceOptions, type TraceResult,
} from './hessian.js';
export {
  hessianDensity, densityCurve, networkHessianDensity,
  type DensityOptions, type QuadratureRun, type SpectralQuadrature, type DensityCurveOptions, type NetworkDensityOptions, type NetworkDensityResult,
} from './hvp_density.js';
export { networkHessianVectorProduct, type NetworkHvpResult } from './hvp.js';
export {
  noiseScaleFromNorms, estimateNoiseScale, measureNoiseScale,
  type GradNormPair, type NoiseScale, type NoiseScaleEstimate, type MeasureOptions,
} from './noise_scale.js';
// Networks (a Model on a data set).
export { ModelObjective, sampleIndices, type ModelObjectiveOptions, type ModelObjectiveInfo } from './model_objective.js';
// The parameter table moved to nn (model.paramTensors); these names stay for the public API.
export { paramLayout, describeParam, checkFiniteParams, type ParamSegment } from '../nn/param_table.js';
export type { ParamRole } from '../nn/tensors.js';
export {
  networkSharpness, networkHessian, networkNoiseScale, HVP_ERROR, HVP_NAME,
  type NetworkSharpnessOptions, type NetworkSharpnessResult, type SharpnessEntry,
  type NetworkHessianOptions, type NetworkHessianResult, type NetworkNoiseScaleOptions,
} from './network.js';
export {
  interpolate, evaluateParams, recomputeBnStats, lerpParams, linspace,
  type BnMode, type EvalAtOptions, type PointMetrics, type BnReport, type InterpolateOptions, type InterpolationPoint, type InterpolationResult,
} from './interpolate.js';
export {
  filterNormalizedDirection, unitNorms, surface1d, surface2d,
  type DirectionOptions, type Surface1dOptions, type SurfacePoint, type Surface2dOptions, type Surface2dResult,
} from './surface.js';
export {
  makeSubspaceBasis, scalingMatrix, UniformColumns, StoredColumns, TransformedColumns, COLUMN_DISTRIBUTIONS, COLUMN_SCALINGS,
  type SubspaceBasis, type SubspaceBasisOptions, type ColumnDistribution, type ColumnScaling,
} from './subspace_basis.js';
export { filterScales, ScaledObjective } from './filter_coordinates.js';
