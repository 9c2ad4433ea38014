// Data-parallel training over a worker pool: each batch is cut into N shards, every worker
// computes the mean gradient of its shard, the gradients are combined as Σ (n_s/B)·g_s in
// shard order, and the optimizer step is applied once. Same seed and N → identical bits;
// N = 1 → the same bits as src/train's in-thread train().
//
// Two transports, bit-identical results:
// - shared memory (needs SharedArrayBuffer: Node, or a cross-origin-isolated page): one
//   shared WebAssembly.Memory holds the parameters, the reduced gradient and every shard's
//   gradient; worker i reduces parameter slice i and applies the optimizer to it
//   (reduce-scatter), with Atomics barriers between the phases. No per-step copies, and the
//   main thread is not involved in a step at all.
// - transfer fallback: each worker keeps a replica of the parameters and optimizer; the main
//   thread sends each worker its shard of every batch and receives the shard gradients over
//   MessagePorts (transferred), reduces them with the same kernels and sends the result back;
//   everyone applies the same update.
//
// Batch norm: statistics are per shard (like PyTorch DDP without SyncBN), so N = 2 trains a
// slightly different function than N = 1 (deterministically). Running statistics, used by
// evaluation and saved in checkpoints, are worker 0's (as with DDP's broadcast_buffers).
import * as Comlink from 'comlink';
import { Batcher } from '../data/batcher.js';
import type { Dataset } from '../data/dataset.js';
import { compileKernels, type CompiledKernels } from '../kernels/load.js';
import { loadKernels, type Kernels } from '../kernels/kernels.js';
import { instantiateKernels } from '../kernels/load.js';
import { alignUp } from '../kernels/arena.js';
import { Model, type Metrics } from '../nn/model.js';
import { createOptimizer, type Optimizer, type OptimizerOptions, type OptimizerState } from '../optim/index.js';
import { loadCheckpoint, saveCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { CheckpointError, NonFiniteLossError } from '../train/errors.js';
import type { EpochMetrics } from '../train/metrics.js';
import type { StepInfo } from '../train/train.js';
import { Rng } from '../util/rng.js';
import { abortAll, controlInts, CTL } from './barrier.js';
import { ParallelOptionError, WorkerFailedError } from './errors.js';
import { WorkerPool } from './pool.js';
import { PortQueue } from './port_queue.js';
import type { DatasetPayload, EpochPlan, EpochResult, FaultPlan, GradMessage, InitConfig, ReducedMessage, ShardMessage, StepEvent } from './protocol.js';
import { reduceShardGradients } from './reduce.js';
import { shardRanges, shardWeights, sliceRanges } from './shards.js';

const PAGE = 65536;
const MAX_PAGES = 65536;

export interface ParallelSetupOptions {
  batchSize: number;
  /** 'adam' (default, Keras defaults) or 'sgd' (momentum 0.9). */
  optimizer?: 'adam' | 'sgd';
  lr?: number;
  /** Seed of the shuffling RNG (default 0), as in train(). */
  seed?: number;
  trainEvalSamples?: number;
  evalBatchSize?: number;
  dropLast?: boolean;
  onStep?: (s: StepInfo) => void;
  /** Worker count (default: core count). */
  workers?: number;
  /** Shared WebAssembly.Memory + Atomics (default: whenever SharedArrayBuffer exists), or false for the transfer fallback. */
  sharedMemory?: boolean;
  workerUrl?: URL | string;
  /**
   * How long a worker waits at a barrier for the others (shared memory), or the main thread for
   * a worker's gradient (fallback), before declaring it hung (default 120 s).
   */
  barrierTimeoutMs?: number;
  /** Test hook: injected worker failures. */
  faults?: FaultPlan[];
  /**
   * Continue a run from a decoded checkpoint: RNG, step and epoch counters and optimizer state
   * (parameters, running statistics and the dropout counter are taken from the model, into
   * which trainParallel restores them first).
   */
  resumeFrom?: Checkpoint;
}

export interface ParallelTrainOptions extends ParallelSetupOptions {
  epochs: number;
  onEpoch?: (m: EpochMetrics) => void;
  /** Save a checkpoint every `every` epochs (and after the last one); Node only. */
  checkpoint?: { path: string; every?: number };
  /** Resume from a checkpoint file (Node) or a decoded checkpoint, as train() does. */
  resume?: string | Checkpoint;
}

export interface TrainData { train: Dataset; test?: Dataset }

/** Epoch statistics of the training steps alone (no evaluation). */
export interface EpochSteps { epoch: number; batchLoss: number; seconds: number; samples: number; steps: number; samplesPerSecond: number }

export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

function posInt(name: string, v: unknown, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new ParallelOptionError(name, `must be an integer ≥ ${min}, got ${JSON.stringify(v)}`);
  return v;
}

/** `a` itself if it already lives in a SharedArrayBuffer (no second copy of a big dataset), else a shared copy. */
function sharedCopy<T extends Float32Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as { new (b: SharedArrayBuffer): T };
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

function payload(ds: Dataset, shared: boolean): DatasetPayload {
  return { name: ds.name, x: shared ? sharedCopy(ds.x) : ds.x, y: shared ? sharedCopy(ds.y) : ds.y, n: ds.n, shape: ds.shape.slice(), classes: ds.classes };
}

/** The first `n` samples as their own (compact) arrays: posting a subarray would clone its whole buffer. */
function head(ds: Dataset, n: number): DatasetPayload {
  const d = ds.shape.reduce((a, b) => a * b, 1);
  return { name: ds.name, x: ds.x.slice(0, n * d), y: ds.y.slice(0, n), n, shape: ds.shape.slice(), classes: ds.classes };
}

interface SharedState {
  memory: WebAssembly.Memory;
  ctl: Int32Array;
  order: Int32Array;
  paramsPtr: number;
}

interface TransferState {
  timeoutMs: number;
  k: Kernels;
  opt: Optimizer;
  queues: PortQueue<GradMessage>[];
  paramsPtr: number;
  sumPtr: number;
  shardGradPtrs: number[];
}

export class ParallelTrainer {
  private epochCount = 0;
  private globalStep = 0;
  private progress: PortQueue<StepEvent> | null = null;

  private constructor(
    readonly model: Model,
    readonly pool: WorkerPool,
    private readonly data: TrainData,
    readonly batchSize: number,
    readonly mode: 'shared' | 'transfer',
    private readonly batcher: Batcher,
    private readonly rng: Rng,
    private readonly optOpts: OptimizerOptions,
    private readonly trainEval: number,
    private readonly evalBatchSize: number,
    private readonly onStep: ((s: StepInfo) => void) | undefined,
    private readonly sh: SharedState | null,
    private readonly tr: TransferState | null,
  ) {}

  get workers(): number { return this.pool.size; }
  get steps(): number { return this.globalStep; }
  get epochs(): number { return this.epochCount; }
  get lr(): number { return this.optOpts.lr ?? (this.optOpts.type === 'adam' ? 1e-3 : 0.01); }

  /**
   * Starts N workers and hands each the model (spec, parameters, running statistics, dropout
   * state) and the data. The model itself is not changed until syncToModel().
   */
  static async create(model: Model, data: TrainData, opts: ParallelSetupOptions): Promise<ParallelTrainer> {
    if (!(model instanceof Model)) throw new ParallelOptionError('model', 'must be a Model');
    if (!data || typeof data !== 'object' || !data.train) throw new ParallelOptionError('data.train', 'a training Dataset is required');
    model.checkDataset(data.train);
    if (data.test) model.checkDataset(data.test);
    const B = posInt('batchSize', opts.batchSize);
    if (B > data.train.n) throw new ParallelOptionError('batchSize', `${B} is larger than the ${data.train.n} training samples`);
    const seed = opts.seed ?? 0;
    if (typeof seed !== 'number' || !Number.isFinite(seed)) throw new ParallelOptionError('seed', `must be a finite number, got ${seed}`);
    const optName = opts.optimizer ?? 'adam';
    if (optName !== 'adam' && optName !== 'sgd') throw new ParallelOptionError('optimizer', `must be 'adam' or 'sgd' (workers build their own), got ${typeof optName === 'string' ? JSON.stringify(optName) : typeof optName}`);
    if (opts.lr !== undefined && !(typeof opts.lr === 'number' && opts.lr > 0 && Number.isFinite(opts.lr))) throw new ParallelOptionError('lr', `must be a positive finite number, got ${opts.lr}`);
    const trainEval = opts.trainEvalSamples === undefined ? data.train.n : Math.min(posInt('trainEvalSamples', opts.trainEvalSamples), data.train.n);
    const evalBatchSize = posInt('evalBatchSize', opts.evalBatchSize ?? 1000);
    const barrierTimeoutMs = posInt('barrierTimeoutMs', opts.barrierTimeoutMs ?? 120_000);
    if (opts.onStep !== undefined && typeof opts.onStep !== 'function') throw new ParallelOptionError('onStep', 'must be a function');
    const faults = opts.faults ?? [];
    if (!Array.isArray(faults)) throw new ParallelOptionError('faults', 'must be an array');
    const canShare = sharedMemoryAvailable();
    const shared = opts.sharedMemory ?? canShare;
    if (typeof shared !== 'boolean') throw new ParallelOptionError('sharedMemory', `must be a boolean, got ${JSON.stringify(shared)}`);
    if (shared && !canShare) throw new ParallelOptionError('sharedMemory', 'SharedArrayBuffer is unavailable here (a browser page must be cross-origin isolated: COOP/COEP headers); use sharedMemory: false');
    const optOpts: OptimizerOptions = optName === 'adam' ? { type: 'adam', lr: opts.lr } : { type: 'sgd', lr: opts.lr };

    const pool = await WorkerPool.create({ workers: opts.workers, workerUrl: opts.workerUrl });
    try {
      const N = pool.size, n = model.numParams, build = model.k.info.build;
      const shardCap = Math.ceil(B / N);
      const evalChunk = Math.min(Math.max(trainEval, data.test?.n ?? 0), Math.max(evalBatchSize, B));
      const capacity = (rank: number) => (rank === 0 ? Math.max(shardCap, evalChunk) : shardCap);
      const rng = opts.resumeFrom ? new Rng(opts.resumeFrom.rng) : new Rng(seed);
      const batcher = new Batcher(data.train, B, rng, { dropLast: opts.dropLast ?? false });
      const base = {
        workers: N, spec: model.toJSON(), buffers: model.buffers.view().slice(), dropoutBase: model.dropoutBase,
        trainForwards: model.trainForwards, optimizer: optOpts, faults,
      };
      const progressChannel = opts.onStep ? new MessageChannel() : null;
      let sh: SharedState | null = null, tr: TransferState | null = null;
      const configs: InitConfig[] = [];
      const transfers: Transferable[][] = [];
      if (shared) {
        const compiled = await compileKernels(build, { threads: true });
        const layout = await sharedLayout(compiled, await compileKernels(build), model, N, capacity(0), optOpts);
        const memory = new WebAssembly.Memory({ initial: layout.pages, maximum: layout.pages, shared: true });
        new Float32Array(memory.buffer, layout.paramsPtr, n).set(model.params.view());
        const ctl = new Int32Array(new SharedArrayBuffer(4 * controlInts(N)));
        const losses = new Float64Array(new SharedArrayBuffer(8 * N));
        const order = new Int32Array(new SharedArrayBuffer(4 * data.train.n));
        const train = payload(data.train, true), test = data.test ? payload(data.test, true) : null;
        for (let rank = 0; rank < N; rank++) {
          configs.push({
            ...base, rank, compiled, params: null, capacity: capacity(rank), train, test: rank === 0 ? test : null,
            shared: {
              memory, arena: layout.ranges[rank], ctl, losses, order, paramsPtr: layout.paramsPtr, sumPtr: layout.sumPtr,
              shardGradPtrs: layout.shardGradPtrs, barrierTimeoutMs,
            },
            gradPort: null, progressPort: rank === 0 ? progressChannel?.port2 ?? null : null,
          });
          transfers.push(rank === 0 && progressChannel ? [progressChannel.port2] : []);
        }
        sh = { memory, ctl, order, paramsPtr: layout.paramsPtr };
        pool.onFailure(() => abortAll(ctl));
      } else {
        const compiled = await compileKernels(build);
        const k = await loadKernels({ compiled });
        const v = () => k.arena.alloc(n * 4);
        const paramsPtr = v(), sumPtr = v();
        const shardGradPtrs = Array.from({ length: N }, v);
        new Float32Array(k.memory.buffer, paramsPtr, n).set(model.params.view());
        const opt = createOptimizer(k, n, optOpts);
        const queues: PortQueue<GradMessage>[] = [];
        // Only worker 0 gets data up front (what it evaluates on); shards travel with every step.
        const train = head(data.train, trainEval), test = data.test ? head(data.test, data.test.n) : null;
        for (let rank = 0; rank < N; rank++) {
          const ch = new MessageChannel();
          queues.push(new PortQueue<GradMessage>(ch.port1));
          configs.push({
            ...base, rank, compiled, params: model.params.view().slice(), capacity: capacity(rank), train: rank === 0 ? train : null, test: rank === 0 ? test : null,
            shared: null, gradPort: ch.port2, progressPort: rank === 0 ? progressChannel?.port2 ?? null : null,
          });
          transfers.push(rank === 0 && progressChannel ? [ch.port2, progressChannel.port2] : [ch.port2]);
        }
        tr = { timeoutMs: barrierTimeoutMs, k, opt, queues, paramsPtr, sumPtr, shardGradPtrs };
        pool.onFailure(() => {
          for (const q of queues) q.port.postMessage({ stop: true, reason: 'another worker failed' } satisfies ReducedMessage);
        });
      }
      await pool.all((w, rank) => w.init(Comlink.transfer(configs[rank], transfers[rank])));
      const t = new ParallelTrainer(model, pool, data, B, shared ? 'shared' : 'transfer', batcher, rng, optOpts,
        trainEval, evalBatchSize, opts.onStep, sh, tr);
      if (progressChannel) {
        t.progress = new PortQueue<StepEvent>(progressChannel.port1);
        t.pumpProgress();
      }
      if (opts.resumeFrom) await t.restoreOptimizer(opts.resumeFrom);
      return t;
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  private async pumpProgress(): Promise<void> {
    const q = this.progress!;
    for (;;) {
      const ev = await q.next();
      if (!ev) return;
      this.onStep?.({ epoch: ev.epoch, step: ev.step, globalStep: ev.globalStep, loss: ev.loss });
    }
  }

  /**
   * One epoch of training steps (no evaluation). Rejects with the first worker failure.
   * `maxSteps` stops the epoch early (benchmark warm-up); the next epoch draws a fresh order.
   */
  async trainEpoch(opts: { maxSteps?: number } = {}): Promise<EpochSteps> {
    const epoch = this.epochCount + 1;
    const order = this.batcher.epochOrder();
    const steps = Math.min(this.batcher.batchesPerEpoch, opts.maxSteps === undefined ? Infinity : posInt('maxSteps', opts.maxSteps));
    if (this.sh) this.sh.order.set(order);
    const plan: EpochPlan = {
      epoch, steps, batchSize: this.batchSize, globalStep: this.globalStep, lr: this.lr,
      trainSamples: this.data.train.n, progress: !!this.onStep,
    };
    const t0 = performance.now();
    let r: EpochResult;
    if (this.sh) {
      r = (await this.pool.all((w) => w.trainEpoch(plan)))[0];
    } else {
      const [results, nonFinite] = await this.pool.run(Promise.all([
        this.pool.all((w) => w.trainEpoch(plan)),
        this.driveTransfer(plan, order),
      ]));
      r = results[0];
      if (nonFinite) r = { ...r, nonFinite };
    }
    const seconds = (performance.now() - t0) / 1000;
    this.globalStep += r.steps;
    this.epochCount = epoch;
    if (r.nonFinite) {
      const f = r.nonFinite;
      throw new NonFiniteLossError(f.epoch, f.step, f.globalStep, f.loss);
    }
    await this.flushProgress();
    return { epoch, batchLoss: r.lossSum / r.samples, seconds, samples: r.samples, steps: r.steps, samplesPerSecond: r.samples / seconds };
  }

  /** Step events are posted before the epoch's result: give them a turn to arrive first. */
  private async flushProgress(): Promise<void> {
    if (this.progress) await new Promise((ok) => setTimeout(ok, 0));
  }

  /** Transfer mode: the main thread's side of every step (gather, reduce, update, send back). */
  private async driveTransfer(plan: EpochPlan, order: Int32Array): Promise<EpochResult['nonFinite']> {
    try {
      return await this.driveTransferSteps(plan, order);
    } catch (e) {
      // Unblocks the workers waiting for a reduced gradient (their calls then reject).
      this.pool.fail(e instanceof WorkerFailedError ? e : new WorkerFailedError(-1, (e as Error).message, { cause: e }));
      throw e;
    }
  }

  private async driveTransferSteps(plan: EpochPlan, order: Int32Array): Promise<EpochResult['nonFinite']> {
    const tr = this.tr!, N = this.pool.size, n = this.model.numParams, ds = this.data.train;
    const d = this.model.inputSize;
    for (let b = 0; b < plan.steps; b++) {
      const globalStep = plan.globalStep + b + 1;
      const batchLo = b * plan.batchSize;
      const Bb = Math.min(plan.batchSize, ds.n - batchLo);
      const shards = shardRanges(Bb, N);
      // Each worker's shard of the batch, gathered here and transferred (the batch's one copy).
      shards.forEach((r, s) => {
        const ns = r.hi - r.lo;
        const x = new Float32Array(ns * d), y = new Int32Array(ns);
        this.batcher.gather(order.subarray(batchLo + r.lo, batchLo + r.hi), x, y);
        tr.queues[s].port.postMessage({ kind: 'shard', globalStep, n: ns, x, y } satisfies ShardMessage, [x.buffer, y.buffer]);
      });
      const msgs = await this.pool.run(this.gradients(globalStep));
      let loss = 0;
      msgs.forEach((m, s) => {
        const ns = shards[s].hi - shards[s].lo;
        if (m.globalStep !== globalStep || m.n !== ns) throw new WorkerFailedError(s, `sent the gradient of step ${m.globalStep} (${m.n} samples), expected step ${globalStep} (${ns})`);
        loss += (ns / Bb) * m.loss;
      });
      if (!Number.isFinite(loss)) {
        for (const q of tr.queues) q.port.postMessage({ stop: true, reason: 'nonfinite' } satisfies ReducedMessage);
        return { epoch: plan.epoch, step: b + 1, globalStep, loss };
      }
      const heap = new Float32Array(tr.k.memory.buffer);
      msgs.forEach((m, s) => { if (m.grad) heap.set(m.grad, tr.shardGradPtrs[s] >>> 2); });
      reduceShardGradients(tr.k.exports, tr.sumPtr, tr.shardGradPtrs, shardWeights(Bb, N), 0, n);
      const reduced = new Float32Array(tr.k.memory.buffer, tr.sumPtr, n);
      tr.queues.forEach((q, s) => {
        const grad = reduced.slice();
        q.port.postMessage({ kind: 'reduced', globalStep, loss, grad, stop: false } satisfies ReducedMessage, [grad.buffer]);
      });
      tr.opt.lr = plan.lr;
      tr.opt.step(tr.paramsPtr, tr.sumPtr);
    }
    return null;
  }

  /** Every worker's gradient message of one step, or a WorkerFailedError naming the first silent worker after the timeout. */
  private gradients(globalStep: number): Promise<GradMessage[]> {
    const tr = this.tr!;
    const got = new Array<boolean>(tr.queues.length).fill(false);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const rank = got.indexOf(false);
        reject(new WorkerFailedError(rank, `sent no gradient for step ${globalStep} within ${tr.timeoutMs} ms (hung, or closed itself)`));
      }, tr.timeoutMs);
    });
    const all = Promise.all(tr.queues.map((q, s) => q.next().then((m) => { got[s] = true; return m; })));
    return Promise.race([all, timeout]).finally(() => clearTimeout(timer));
  }

  /** Hands a checkpoint's optimizer state to the workers (shared: each its slice) and sets the counters. */
  private async restoreOptimizer(c: Checkpoint): Promise<void> {
    const st = c.optimizer, n = this.model.numParams;
    for (const [name, v] of Object.entries(st?.vectors ?? {})) {
      if (!(v instanceof Float32Array) || v.length !== n) throw new CheckpointError('<checkpoint>', `optimizer vector ${name} must hold ${n} values`);
    }
    try {
      if (this.tr) {
        this.tr.opt.setState(st);
        await this.pool.all((w) => w.setOptimizerState(st));
      } else {
        const slices = sliceRanges(n, this.pool.size);
        await this.pool.all((w, r) => {
          const vectors: Record<string, Float32Array> = {};
          for (const [name, v] of Object.entries(st.vectors)) vectors[name] = v.slice(slices[r].lo, slices[r].hi);
          return w.setOptimizerState({ ...st, vectors });
        });
      }
    } catch (e) {
      throw new CheckpointError('<checkpoint>', `optimizer state does not fit: ${(e as Error).message}`, { cause: e });
    }
    this.epochCount = c.epoch;
    this.globalStep = c.step;
  }

  /** Evaluation-mode metrics on the training set (its first trainEvalSamples) or the test set, by worker 0. */
  async evaluate(which: 'train' | 'test'): Promise<Metrics> {
    const ds = which === 'train' ? this.data.train : this.data.test;
    if (!ds) throw new ParallelOptionError('which', 'there is no test set');
    const limit = which === 'train' ? this.trainEval : ds.n;
    // The chunking of train()'s evaluation (its model holds a full batch), so N = 1 matches it bit for bit.
    return this.pool.run(this.pool.worker(0).evaluate(which, limit, Math.max(this.evalBatchSize, this.batchSize)));
  }

  /** A copy of the current parameters (after the last completed step). */
  parameters(): Float32Array {
    const n = this.model.numParams;
    if (this.sh) return new Float32Array(this.sh.memory.buffer, this.sh.paramsPtr, n).slice();
    return new Float32Array(this.tr!.k.memory.buffer, this.tr!.paramsPtr, n).slice();
  }

  /**
   * Whether every parameter slice has taken the same number of optimizer steps. False only if
   * a worker died in the middle of its slice's update (shared mode): the parameters are torn.
   */
  consistent(): boolean {
    if (!this.sh) return true;
    const ctl = this.sh.ctl, N = this.pool.size;
    const applied = Array.from({ length: N }, (_, r) => Atomics.load(ctl, CTL.stepBase + 2 * r + 1));
    const started = Array.from({ length: N }, (_, r) => Atomics.load(ctl, CTL.stepBase + 2 * r));
    return applied.every((a) => a === applied[0]) && started.every((s, r) => s === applied[r]);
  }

  /** The optimizer state over the whole parameter vector (shared mode: the workers' slices joined). */
  async optimizerState(): Promise<OptimizerState> {
    if (this.tr) return this.tr.opt.state();
    const states = await this.pool.all((w) => w.optimizerState());
    const vectors: Record<string, Float32Array> = {};
    for (const name of Object.keys(states[0].vectors)) {
      const out = new Float32Array(this.model.numParams);
      const slices = sliceRanges(this.model.numParams, this.pool.size);
      states.forEach((s, r) => out.set(s.vectors[name].subarray(0, slices[r].hi - slices[r].lo), slices[r].lo));
      vectors[name] = out;
    }
    return { ...states[0], vectors };
  }

  /** Writes the trained parameters, worker 0's running statistics and the dropout counter into the model. */
  async syncToModel(): Promise<void> {
    const w0 = this.pool.worker(0);
    const [buffers, forwards] = await this.pool.run(Promise.all([w0.buffers(), w0.trainForwards()]));
    this.model.params.view().set(this.parameters());
    this.model.buffers.view().set(buffers);
    this.model.trainForwards = forwards;
  }

  /** Everything src/train's checkpoints hold, for this run after `epoch` epochs. */
  async snapshot(history: EpochMetrics[], run: Record<string, unknown>): Promise<Checkpoint> {
    const w0 = this.pool.worker(0);
    const [buffers, forwards, optimizer] = await this.pool.run(Promise.all([w0.buffers(), w0.trainForwards(), this.optimizerState()]));
    return {
      spec: this.model.toJSON(), epoch: this.epochCount, step: this.globalStep, rng: this.rng.state(),
      dropoutBase: this.model.dropoutBase, trainForwards: forwards,
      params: this.parameters(), buffers, optimizer, history: history.slice(), run,
    };
  }

  async close(): Promise<void> {
    this.progress?.close();
    this.tr?.queues.forEach((q) => q.close());
    await this.pool.close();
  }
}

interface SharedLayout {
  pages: number;
  paramsPtr: number;
  sumPtr: number;
  shardGradPtrs: number[];
  ranges: { base: number; limit: number }[];
}

/**
 * Lays out the shared memory: static data, then the parameters, the reduced gradient and N
 * shard gradients, then one arena range per worker, sized by building the model at its
 * capacity in a scratch (non-shared) instance and measuring.
 */
async function sharedLayout(threads: CompiledKernels, plain: CompiledKernels, model: Model, N: number, capacity: number, optOpts: OptimizerOptions): Promise<SharedLayout> {
  const probeMem = new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true });
  const heapBase = instantiateKernels(threads.module, probeMem).heap_base();
  const n = model.numParams, vec = alignUp(n * 4);
  const paramsPtr = alignUp(heapBase), sumPtr = paramsPtr + vec;
  const shardGradPtrs = Array.from({ length: N }, (_, s) => sumPtr + vec * (s + 1));
  const globalEnd = sumPtr + vec * (N + 1);
  const pk = await loadKernels({ compiled: plain, initialPages: 2 });
  const before = pk.arena.bytesInUse;
  const probe = Model.create(pk, model.toJSON());
  probe.reserve(capacity);
  const maxSlice = Math.max(...sliceRanges(n, N).map((r) => r.hi - r.lo));
  createOptimizer(pk, maxSlice, optOpts);
  const perWorker = Math.ceil((pk.arena.bytesInUse - before + (1 << 20)) / PAGE) * PAGE;
  const first = Math.ceil(globalEnd / PAGE) * PAGE;
  const ranges = Array.from({ length: N }, (_, r) => ({ base: first + r * perWorker, limit: first + (r + 1) * perWorker }));
  const pages = (first + N * perWorker) / PAGE;
  if (pages > MAX_PAGES) {
    throw new ParallelOptionError('batchSize', `the shared memory would need ${(pages * PAGE / 2 ** 30).toFixed(2)} GiB (${N} workers × ${(perWorker / 2 ** 20).toFixed(0)} MiB), more than wasm32's 4 GiB; use a smaller batch or fewer workers`);
  }
  return { pages, paramsPtr, sumPtr, shardGradPtrs, ranges };
}

/**
 * train() over a worker pool: same options and per-epoch metrics (N = 1 gives the same bits).
 * The model receives the trained parameters and running statistics at the end; checkpoints
 * (Node) use src/train's format. Always closes its pool, also on failure.
 */
export async function trainParallel(model: Model, data: TrainData, opts: ParallelTrainOptions): Promise<EpochMetrics[]> {
  const epochs = posInt('epochs', opts.epochs, 0);
  const every = opts.checkpoint ? posInt('checkpoint.every', opts.checkpoint.every ?? 1) : 0;
  if (opts.checkpoint && (typeof opts.checkpoint.path !== 'string' || !opts.checkpoint.path)) throw new ParallelOptionError('checkpoint.path', 'must be a non-empty string');
  let resumeFrom: Checkpoint | undefined;
  if (opts.resume !== undefined) {
    resumeFrom = typeof opts.resume === 'string' ? await loadCheckpoint(opts.resume) : opts.resume;
    const where = typeof opts.resume === 'string' ? opts.resume : '<checkpoint>';
    if (JSON.stringify(resumeFrom.spec) !== JSON.stringify(model.toJSON())) throw new CheckpointError(where, `was saved for a different network (${resumeFrom.spec?.name ?? 'unnamed'}) than this model (${model.spec.name ?? 'unnamed'})`);
    if (resumeFrom.params.length !== model.numParams) throw new CheckpointError(where, `holds ${resumeFrom.params.length} parameters, the model has ${model.numParams}`);
    if (resumeFrom.buffers.length !== model.numBuffers) throw new CheckpointError(where, `holds ${resumeFrom.buffers.length} buffer values, the model has ${model.numBuffers}`);
    model.params.view().set(resumeFrom.params);
    model.buffers.view().set(resumeFrom.buffers);
    model.dropoutBase = resumeFrom.dropoutBase;
    model.trainForwards = resumeFrom.trainForwards;
  }
  const t = await ParallelTrainer.create(model, data, { ...opts, resumeFrom });
  const run = {
    batchSize: t.batchSize, seed: opts.seed ?? 0, optimizer: opts.optimizer ?? 'adam', lr: t.lr, dropLast: opts.dropLast ?? false,
    trainEvalSamples: opts.trainEvalSamples === undefined ? data.train.n : Math.min(opts.trainEvalSamples, data.train.n),
    workers: t.workers, transport: t.mode,
  };
  const history: EpochMetrics[] = resumeFrom ? resumeFrom.history.slice() : [];
  try {
    for (let epoch = t.epochs + 1; epoch <= epochs; epoch++) {
      const s = await t.trainEpoch();
      const e0 = performance.now();
      const tr = await t.evaluate('train');
      const te = data.test ? await t.evaluate('test') : null;
      const m: EpochMetrics = {
        epoch, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te ? te.loss : null, testAcc: te ? te.accuracy : null,
        batchLoss: s.batchLoss, seconds: s.seconds, evalSeconds: (performance.now() - e0) / 1000,
        steps: t.steps, samplesPerSecond: s.samplesPerSecond,
      };
      history.push(m);
      opts.onEpoch?.(m);
      if (opts.checkpoint && (epoch % every === 0 || epoch === epochs)) {
        await saveCheckpoint(opts.checkpoint.path, await t.snapshot(history, run));
      }
    }
    await t.syncToModel();
    return history;
  } finally {
    await t.close();
  }
}
