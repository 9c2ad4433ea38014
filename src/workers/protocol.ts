// What the main thread and a training worker say to each other. The worker's methods are
// called through a typed Comlink proxy; per-step traffic never goes through Comlink: in the
// shared-memory mode workers meet at Atomics barriers, in the transfer fallback gradients
// travel over a dedicated MessagePort, and progress events over another.
import type { CompiledKernels } from '../kernels/load.js';
import type { ModelSpec } from '../nn/spec.js';
import type { Metrics } from '../nn/model.js';
import type { OptimizerState } from '../optim/index.js';
import type { ResolvedRemedies } from '../train/remedies.js';

/** A dataset as posted to a worker (x and y over SharedArrayBuffers, or copies). */
export interface DatasetPayload { name: string; x: Float32Array; y: Int32Array; n: number; shape: number[]; classes: number }

/** Test hook: make worker `rank` fail at global step `step` (1-based), before its forward pass. */
export interface FaultPlan {
  rank: number;
  step: number;
  /**
   * 'throw': an exception; 'exit': the worker ends itself (process.exit(3) in Node, self.close()
   * in a browser); 'oom': an allocation beyond its memory; 'hang': the worker stops responding
   * (busy for `ms`, default 60 s) — the others' barrier timeout must catch it.
   */
  kind: 'throw' | 'exit' | 'oom' | 'hang';
  ms?: number;
}

export interface SharedSetup {
  memory: WebAssembly.Memory;
  /** This worker's arena range in the shared memory. */
  arena: { base: number; limit: number };
  /** Barrier and step counters (Int32 over a SharedArrayBuffer, see barrier.ts). */
  ctl: Int32Array;
  /** One mean mini-batch loss per shard, written before the first barrier of a step. */
  losses: Float64Array;
  /** The epoch's sample order, written by the main thread before each epoch. */
  order: Int32Array;
  /** Byte offsets in the shared memory: parameters, reduced gradient, and every worker's shard gradient. */
  paramsPtr: number;
  sumPtr: number;
  shardGradPtrs: number[];
  barrierTimeoutMs: number;
}

export interface InitConfig {
  rank: number;
  workers: number;
  compiled: CompiledKernels;
  spec: ModelSpec;
  /** Initial parameters (transfer mode; in the shared mode they are already in memory). */
  params: Float32Array | null;
  buffers: Float32Array;
  dropoutBase: number;
  trainForwards: number;
  /** Samples this worker's activations hold (its largest shard, or the evaluation chunk for rank 0). */
  capacity: number;
  /** A registered optimizer (src/optim/registry.ts) and its checked options (lr included). */
  optimizer: { name: string; options: Record<string, unknown> };
  /** The remedies of the run (src/train/remedy_registry.ts), resolved; run by every worker on its shard and slice. */
  remedies: ResolvedRemedies | null;
  /** The shape of one sample (augmentation needs it; not every worker holds data). */
  sampleShape: number[];
  /**
   * Shared mode: the whole training set (over SharedArrayBuffers). Transfer mode: rank 0 gets
   * the samples it evaluates on (the first trainEvalSamples), the others nothing: their shards
   * arrive with every step, so no worker holds a copy of the whole set.
   */
  train: DatasetPayload | null;
  test: DatasetPayload | null;
  faults: FaultPlan[];
  shared: SharedSetup | null;
  /** Transfer mode: the port gradients go out on and reduced gradients come back on. */
  gradPort: MessagePort | null;
  /** Rank 0: where step events go (when the caller listens). */
  progressPort: MessagePort | null;
}

export interface EpochPlan {
  epoch: number;
  /** The first batch of the epoch to run (the loop's EpochPlan.firstStep), and how many. */
  firstStep: number;
  steps: number;
  batchSize: number;
  /** Batches in a full epoch (learning-rate schedules' progress). */
  stepsPerEpoch: number;
  /** Optimizer steps taken before this epoch. */
  globalStep: number;
  /** The base learning rate (remedies may scale it per step). */
  lr: number;
  /** Samples in the training set (the last batch of an epoch may be short). */
  trainSamples: number;

  /** Post a step event on the progress port after every step. */
  progress: boolean;
}

export interface NonFiniteReport { epoch: number; step: number; globalStep: number; loss: number }

export interface EpochResult {
  /** Σ over steps of (batch loss × batch size), and the samples seen. */
  lossSum: number;
  samples: number;
  steps: number;
  seconds: number;
  /** Set when a batch loss was NaN/±Inf: training stopped before that step's update. */
  nonFinite: NonFiniteReport | null;
}

export interface StepEvent { type: 'step'; epoch: number; step: number; globalStep: number; loss: number }

/** Transfer mode, main → worker, before each step: this worker's shard of the batch. */
export interface ShardMessage { kind: 'shard'; globalStep: number; n: number; x: Float32Array; y: Int32Array }
/** Transfer mode, worker → main: one shard's gradient (null for an empty shard). */
export interface GradMessage { globalStep: number; loss: number; n: number; grad: Float32Array | null }
/** Transfer mode, main → worker: the reduced gradient and the batch loss, or stop. */
export type ReducedMessage = { kind: 'reduced'; globalStep: number; loss: number; grad: Float32Array | null; stop: false } | { stop: true; reason: string };
/** Everything main → worker on the gradient port. */
export type MainMessage = ShardMessage | ReducedMessage;

/** The methods a training worker exposes over Comlink. */
export interface TrainerWorkerApi {
  init(cfg: InitConfig): Promise<{ build: string; numParams: number; shared: boolean }>;
  trainEpoch(plan: EpochPlan): Promise<EpochResult>;
  evaluate(which: 'train' | 'test', limit: number, batchSize: number): Metrics;
  /** The optimizer state of this worker (its parameter slice in the shared mode; null: a worker without one, see trainer.ts). */
  optimizerState(): OptimizerState | null;
  /** Restores this worker's optimizer (its slice of the vectors in the shared mode). */
  setOptimizerState(state: OptimizerState): void;
  buffers(): Float32Array;
  params(): Float32Array;
  trainForwards(): number;
  /** CPU seconds this worker thread has used (Linux: /proc/thread-self/stat), or null where unknown. */
  threadCpuSeconds(): Promise<number | null>;
  /** Sets this worker up as a data-parallel objective worker (objective.ts). */
  objectiveInit(cfg: ObjectiveInitConfig): Promise<void>;
  /** Serves objective commands (blocking this worker) until the stop command. */
  objectiveServe(): void;
}

/**
 * A data-parallel loss/gradient worker (objective.ts): the shared memory holds the point x,
 * the direction v (Hessian-vector products), every chunk's result and the reduced one.
 */
export interface ObjectiveInitConfig {
  rank: number;
  workers: number;
  compiled: CompiledKernels;
  memory: WebAssembly.Memory;
  arena: { base: number; limit: number };
  spec: ModelSpec;
  /** Running statistics (used with bn 'running'). */
  buffers: Float32Array;
  /** The sample (over SharedArrayBuffers), cut into chunks of `chunk` samples. */
  xs: Float32Array;
  ys: Int32Array;
  sample: number;
  chunk: number;
  bn: 'batch' | 'running';
  /** The chunks this worker computes: [lo, hi). */
  chunks: { lo: number; hi: number };
  /** Byte offsets: x, v, the reduced result, and one result slot per chunk. */
  pointPtr: number;
  dirPtr: number;
  outPtr: number;
  slotPtrs: number[];
  /** Command words (see objective.ts), the workers' barrier words, per-chunk losses, the first error's text. */
  ctl: Int32Array;
  barrierCtl: Int32Array;
  losses: Float64Array;
  errorText: Uint8Array;
  timeoutMs: number;
}
