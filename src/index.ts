// lbgap's public API. Each layer is also importable as a namespace (kernels, nn, optim, data,
// train, landscape, workers, experiments); the most used names are re-exported flat.
export * as kernels from './kernels/index.js';
export * as nn from './nn/index.js';
export * as optim from './optim/index.js';
export * as data from './data/index.js';
export * as training from './train/index.js';
export * as landscape from './landscape/index.js';
export * as workers from './workers/index.js';

export { loadKernels, Kernels, KernelRangeError, KernelTypeError, OutOfMemoryError, KernelLoadError } from './kernels/index.js';
export { Model, namedSpec, f1, c1, c2, tiny, resolveSpec, type ModelSpec, type LayerSpec } from './nn/index.js';
export { createOptimizer, buildOptimizer, Adam, Sgd, Lars, Lamb, OPTIMIZERS, OPTIMIZER_NAMES, checkOptimizerOptions } from './optim/index.js';
export {
  loadMnist, loadFashionMnist, loadCifar10, loadCifar100, loadNpyDataset, mnistFromBuffers,
  syntheticClassification, Batcher, type Dataset, DataFormatError, DataFileError,
} from './data/index.js';
export {
  train, saveCheckpoint, loadCheckpoint, NonFiniteLossError, CheckpointError, REMEDIES, REMEDY_NAMES, checkRemedies,
  type TrainOptions, type EpochMetrics, type Engine,
} from './train/index.js';
export {
  sharpness, networkSharpness, minimizeLbfgsb, interpolate, networkHessian, networkNoiseScale,
  networkHessianVectorProduct, networkHessianDensity, densityCurve,
  filterNormalizedDirection, surface1d, surface2d, ModelObjective, RandomSubspace,
} from './landscape/index.js';
export { trainParallel, ParallelTrainer, ParallelObjective, WorkerPool, WorkerFailedError } from './workers/index.js';
export { lineChart, renderSvg, type PlotSpec } from './experiments/plot.js';
