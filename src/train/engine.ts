// The Engine seam: what the one training loop (loop.ts) needs from whatever runs the steps —
// in-thread (local_engine.ts: a Model and an Optimizer) or a worker pool (src/workers:
// data-parallel). An engine runs the steps of an epoch over a sample order the loop draws,
// evaluates, and hands over its state for checkpoints; the loop owns everything else
// (validation, resume, the epoch loop, metrics, checkpoints, the stopping rules).
// Epoch granularity, not step: a pool over shared memory runs a whole epoch in its workers,
// meeting at barriers, without a round trip to the main thread per step.
import type { Metrics } from '../nn/model.js';
import type { OptimizerState } from '../optim/optimizer.js';

export interface StepInfo { epoch: number; step: number; globalStep: number; loss: number }

export interface EpochPlan {
  /** 1-based epoch number. */
  epoch: number;
  /** This epoch's sample order (a permutation of the training set); batch b is order[b·B, (b+1)·B). */
  order: Int32Array;
  /** This epoch's batch size B. */
  batchSize: number;
  /**
   * The first batch to run (default 0): the loop runs an epoch in pieces when it evaluates
   * between steps (the target stopping rule); batch numbers, schedules and the sample order
   * stay those of the whole epoch.
   */
  firstStep?: number;
  /** Batches to run from firstStep (firstStep + steps ≤ stepsPerEpoch: a caller may stop an epoch early). */
  steps: number;
  /** Batches in a full epoch (schedules' progress is (epoch − 1) + b / stepsPerEpoch). */
  stepsPerEpoch: number;
  /** Optimizer steps taken before batch firstStep of this epoch. */
  globalStep: number;
}

export interface NonFiniteReport { epoch: number; step: number; globalStep: number; loss: number }

export interface EpochRun {
  /** Σ over completed steps of (batch loss × batch size), and the samples seen. */
  lossSum: number;
  samples: number;
  /** Completed steps (a step with a non-finite loss is not completed: no update). */
  steps: number;
  /** Wall time of the steps. */
  seconds: number;
  /** Set when a batch loss was NaN/±Inf: the epoch stopped before that step's update. */
  nonFinite: NonFiniteReport | null;
}

/** What a checkpoint takes from an engine. */
export interface EngineState {
  params: Float32Array;
  buffers: Float32Array;
  trainForwards: number;
  optimizer: OptimizerState;
}

export interface Engine {
  /** Runs the steps of one epoch; stops before the update of a non-finite batch loss. */
  runEpoch(plan: EpochPlan): Promise<EpochRun>;
  /** Evaluation-mode metrics on the training set (its first trainEvalSamples) or the test set. */
  evaluate(which: 'train' | 'test'): Promise<Metrics>;
  /** Copies of the parameters, running statistics, dropout counter and optimizer state. */
  state(): Promise<EngineState>;
  /** Writes the parameters, running statistics and dropout counter into the caller's model. */
  syncToModel(): Promise<void>;
  /** Fields this engine adds to a checkpoint's run record (e.g. worker count and transport). */
  runInfo(): Record<string, unknown>;
  /** Frees what the engine holds (optimizer, remedies, workers). Safe after a failure. */
  dispose(): Promise<void>;
}
