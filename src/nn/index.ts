export { Model, FlatVector, type ForwardOptions, type GradOptions, type EvaluateOptions, type Metrics, type LabeledSet, type CreateOptions } from './model.js';
export { resolveSpec, shapeSize, type ModelSpec, type LayerSpec, type ResolvedLayer, type Padding } from './spec.js';
export { f1, c1, c2, tiny, namedSpec, NET_NAMES, type NetName } from './specs.js';
export { ModelSpecError, ModelInputError } from './errors.js';
export type { Layer, LayerContext } from './layer.js';
export { storeOf, tensorSize, type TensorDecl, type TensorRole, type ParamRole } from './tensors.js';
export { tensorTable, describeParam, checkFiniteParams, type TableTensor, type ParamTensor } from './param_table.js';
