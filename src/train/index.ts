export { train, snapshot, restore, plateaued, epochsWithoutImprovement, type PlateauRule, type TrainOptions, type TrainData, type StepInfo } from './train.js';
export { encodeCheckpoint, decodeCheckpoint, saveCheckpoint, loadCheckpoint, CHECKPOINT_MAGIC, CHECKPOINT_VERSION, type Checkpoint } from './checkpoint.js';
export { NonFiniteLossError, TrainOptionError, CheckpointError } from './errors.js';
export type { EpochMetrics } from './metrics.js';
