export { train, snapshot, restore, plateaued, epochsWithoutImprovement, type PlateauRule, type TrainOptions, type TrainData, type StepInfo } from './train.js';
export { runTraining, type LoopOptions } from './loop.js';
export { LocalEngine, gatherSamples } from './local_engine.js';
export type { Engine, EngineState, EpochPlan, EpochRun, NonFiniteReport } from './engine.js';
export { resolveSetup, type RunSetup, type SetupOptions, type OptimizerChoice } from './setup.js';
export { REMEDIES, REMEDY_NAMES, REMEDY_FIELDS, checkRemedies, type RemedyOptions, type ResolvedRemedies, type RemedyEntry } from './remedies.js';
export { encodeCheckpoint, decodeCheckpoint, saveCheckpoint, loadCheckpoint, CHECKPOINT_MAGIC, CHECKPOINT_VERSION, type Checkpoint } from './checkpoint.js';
export { NonFiniteLossError, TrainOptionError, CheckpointError } from './errors.js';
export type { EpochMetrics } from './metrics.js';
