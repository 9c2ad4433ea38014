// Data-parallel training in Web Workers (browsers) and worker_threads (Node).
export { WorkerPool, defaultWorkerCount, type PoolOptions } from './pool.js';
export {
  ParallelTrainer, trainParallel, sharedMemoryAvailable,
  type ParallelSetupOptions, type ParallelTrainOptions, type PoolSetupOptions, type EpochSteps, type TrainData,
} from './trainer.js';
export { WorkerFailedError, ParallelOptionError, BarrierAbortedError, BarrierTimeoutError, InjectedFailureError, PoolClosedError } from './errors.js';
export { shardRanges, shardWeights, sliceRanges, SLICE_ALIGN, type Range } from './shards.js';
export { reduceShardGradients } from './reduce.js';
export type { FaultPlan, TrainerWorkerApi, StepEvent } from './protocol.js';
export { ParallelObjective, type ParallelObjectiveOptions } from './objective.js';
