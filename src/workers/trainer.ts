// Data-parallel training over a worker pool — the pool's Engine (src/train/engine.ts): each
// batch is cut into N shards, every worker computes the mean gradient of its shard, the
// gradients are combined as Σ (n_s/B)·g_s in shard order, and the update (src/train/step.ts:
// remedies and any registered optimizer) is applied once. Same seed and N → identical bits;
// N = 1 → the same bits as src/train's in-thread train(). trainParallel() is src/train's one
// loop over this engine.
//
// Two transports, bit-identical results:
// - shared memory (needs SharedArrayBuffer: Node, or a cross-origin-isolated page): one
//   shared WebAssembly.Memory holds the parameters, the reduced gradient and every shard's
//   gradient; worker i reduces parameter slice i and applies the optimizer to it
//   (reduce-scatter), with Atomics barriers between the phases. No per-step copies, and the
//   main thread is not involved in a step at all.
// - transfer fallback: each worker keeps a replica of the parameters and optimizer; the main
//   thread sends each worker its shard of every batch and receives the shard gradients over
//   MessagePorts (transferred), reduces them with the same kernels and sends the result back
//   (once more for every extra gradient a remedy asks for: SAM, conservative training);
//   everyone, the main thread included, applies the same update.
// Elementwise optimizers (adam, sgd) update per-worker slices in the shared mode; layer-wise
// ones (lars, lamb) need whole-layer norms, so worker 0 updates the whole vector between
// barriers.
//
// Batch norm: statistics are per shard (like PyTorch DDP without SyncBN), so N = 2 trains a
// slightly different function than N = 1 (deterministically). Running statistics, used by
// evaluation and saved in checkpoints, are worker 0's (as with DDP's broadcast_buffers).
import * as Comlink from 'comlink';
import { Batcher } from '../data/batcher.js';
import { compileKernels, type CompiledKernels } from '../kernels/load.js';
import { loadKernels, type Kernels } from '../kernels/kernels.js';
import { instantiateKernels } from '../kernels/load.js';
import { alignUp } from '../kernels/arena.js';
import { Model, type Metrics } from '../nn/model.js';
import type { Optimizer, OptimizerState } from '../optim/index.js';
import { buildOptimizer } from '../optim/registry.js';
import type { Checkpoint } from '../train/checkpoint.js';
import type { Engine, EngineState, EpochPlan as TrainEpochPlan, EpochRun } from '../train/engine.js';
import { CheckpointError, NonFiniteLossError } from '../train/errors.js';
import type { EpochMetrics } from '../train/metrics.js';
import { runTraining, type LoopOptions } from '../train/loop.js';
import { attachRemedies, disposeHooks, stepLearningRate } from '../train/remedies.js';
import { resolveSetup, posInt as checkedInt, type RunSetup, type SetupOptions, type TrainData } from '../train/setup.js';
import { checkCheckpointFits, checkpointTensors, restoreModel } from '../train/snapshot.js';
import { updateProgram, type ParamSide, type StepHooks, type StepOptimizer } from '../train/step.js';
import { Rng } from '../util/rng.js';
import { abortAll, controlInts, CTL } from './barrier.js';
import { ParallelOptionError, WorkerFailedError } from './errors.js';
import { WorkerPool } from './pool.js';
import { PortQueue } from './port_queue.js';
import type { DatasetPayload, EpochPlan, EpochResult, FaultPlan, GradMessage, InitConfig, ReducedMessage, ShardMessage, StepEvent } from './protocol.js';
import { reduceShardGradients } from './reduce.js';
import { shardRanges, shardWeights, sliceRanges } from './shards.js';

export type { TrainData } from '../train/setup.js';

const PAGE = 65536;
const MAX_PAGES = 65536;

const optionError = (option: string, message: string) => new ParallelOptionError(option, message);

/** How the pool is made: worker count, transport, the worker script, failure handling. */
export interface PoolSetupOptions {
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
}

/**
 * Options of ParallelTrainer.create: train()'s shared options (setup.ts: any registered
 * optimizer by name, remedies) and the pool's. Dynamic sampling's per-epoch batch size is
 * the loop's (trainParallel); trainEpoch() runs the fixed batchSize.
 */
export interface ParallelSetupOptions extends SetupOptions, PoolSetupOptions {
  /**
   * Continue a run from a decoded checkpoint: parameters, running statistics, dropout state,
   * RNG, step and epoch counters and optimizer state (the model receives the checkpoint's).
   */
  resumeFrom?: Checkpoint;
}

/** trainParallel's options: train()'s (loop.ts) and the pool's. */
export interface ParallelTrainOptions extends LoopOptions, PoolSetupOptions {}

/** Epoch statistics of the training steps alone (no evaluation). */
export interface EpochSteps { epoch: number; batchLoss: number; seconds: number; samples: number; steps: number; samplesPerSecond: number }

export function sharedMemoryAvailable(): boolean {
  return typeof SharedArrayBuffer !== 'undefined' && (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated !== false;
}

const posInt = (name: string, v: unknown, min = 1) => checkedInt(optionError, name, v, min);

/** `a` itself if it already lives in a SharedArrayBuffer (no second copy of a big dataset), else a shared copy. */
function sharedCopy<T extends Float32Array | Int32Array>(a: T): T {
  if (a.buffer instanceof SharedArrayBuffer) return a;
  const C = a.constructor as { new (b: SharedArrayBuffer): T };
  const out = new C(new SharedArrayBuffer(a.byteLength));
  out.set(a as never);
  return out;
}

function payload(ds: TrainData['train'], shared: boolean): DatasetPayload {
  return { name: ds.name, x: shared ? sharedCopy(ds.x) : ds.x, y: shared ? sharedCopy(ds.y) : ds.y, n: ds.n, shape: ds.shape.slice(), classes: ds.classes };
}

/** The first `n` samples as their own (compact) arrays: posting a subarray would clone its whole buffer. */
function head(ds: TrainData['train'], n: number): DatasetPayload {
  const d = ds.shape.reduce((a, b) => a * b, 1);
  return { name: ds.name, x: ds.x.slice(0, n * d), y: ds.y.slice(0, n), n, shape: ds.shape.slice(), classes: ds.classes };
}

interface SharedState {
  memory: WebAssembly.Memory;
  ctl: Int32Array;
  order: Int32Array;
  paramsPtr: number;
}

/** The main thread's replica in the transfer mode: it reduces, and applies the same update as every worker. */
interface TransferState {
  timeoutMs: number;
  k: Kernels;
  opt: Optimizer;
  stepOpt: StepOptimizer;
  side: ParamSide;
  hooks: StepHooks[];
  queues: PortQueue<GradMessage>[];
  paramsPtr: number;
  sumPtr: number;
  shardGradPtrs: number[];
}

type NamedOptimizer = { name: string; options: Record<string, unknown> & { lr: number }; elementwise: boolean };

export class ParallelTrainer implements Engine {
  private epochCount = 0;
  private globalStep = 0;
  private progress: PortQueue<StepEvent> | null = null;

  private constructor(
    readonly model: Model,
    readonly pool: WorkerPool,
    private readonly data: TrainData,
    private readonly setup: RunSetup,
    readonly mode: 'shared' | 'transfer',
    private readonly batcher: Batcher,
    private readonly rng: Rng,
    private readonly optimizer: NamedOptimizer,
    private readonly sh: SharedState | null,
    private readonly tr: TransferState | null,
  ) {}

  get workers(): number { return this.pool.size; }
  get steps(): number { return this.globalStep; }
  get epochs(): number { return this.epochCount; }
  get batchSize(): number { return this.setup.batchSize; }
  get lr(): number { return this.optimizer.options.lr; }

  /**
   * Starts N workers and hands each the model (spec, parameters, running statistics, dropout
   * state) and the data. The model itself is not changed until syncToModel() (unless
   * `resumeFrom` puts the checkpoint's state into it).
   */
  static async create(model: Model, data: TrainData, opts: ParallelSetupOptions): Promise<ParallelTrainer> {
    if (!(model instanceof Model)) throw new ParallelOptionError('model', 'must be a Model');
    const setup = resolveSetup(model, data, opts, 1, optionError);
    return ParallelTrainer.fromSetup(model, data, { ...setup, resume: opts.resumeFrom ? { checkpoint: opts.resumeFrom, where: '<checkpoint>' } : null }, opts);
  }

  /** The pool engine for a setup checked by src/train's setup.ts (trainParallel's way in). */
  static async fromSetup(model: Model, data: TrainData, setup: RunSetup, opts: PoolSetupOptions): Promise<ParallelTrainer> {
    if (!(model instanceof Model)) throw new ParallelOptionError('model', 'must be a Model');
    if ('instance' in setup.optimizer) throw new ParallelOptionError('optimizer', `must be a registered optimizer's name on a worker pool (each worker builds its own), got an instance of ${JSON.stringify(setup.optimizer.instance.type)}`);
    const optimizer = setup.optimizer;
    const B = setup.batchSize;
    const barrierTimeoutMs = posInt('barrierTimeoutMs', opts.barrierTimeoutMs ?? 120_000);
    const faults = opts.faults ?? [];
    if (!Array.isArray(faults)) throw new ParallelOptionError('faults', 'must be an array');
    const canShare = sharedMemoryAvailable();
    const shared = opts.sharedMemory ?? canShare;
    if (typeof shared !== 'boolean') throw new ParallelOptionError('sharedMemory', `must be a boolean, got ${JSON.stringify(shared)}`);
    if (shared && !canShare) throw new ParallelOptionError('sharedMemory', 'SharedArrayBuffer is unavailable here (a browser page must be cross-origin isolated: COOP/COEP headers); use sharedMemory: false');
    const c = setup.resume?.checkpoint;
    if (c) {
      // Parameters, running statistics and the dropout state go to the workers through the model.
      checkCheckpointFits(model, c, setup.resume!.where);
      const n = model.numParams;
      for (const [name, v] of Object.entries(c.optimizer?.vectors ?? {})) {
        if (!(v instanceof Float32Array) || v.length !== n) throw new CheckpointError(setup.resume!.where, `optimizer vector ${name} must hold ${n} values`);
      }
      restoreModel(model, c);
    }

    const pool = await WorkerPool.create({ workers: opts.workers, workerUrl: opts.workerUrl });
    const tr: { state: TransferState | null } = { state: null };
    try {
      const N = pool.size, n = model.numParams, build = model.k.info.build, trainEval = setup.trainEval;
      const shardCap = Math.ceil(B / N);
      const evalChunk = Math.min(Math.max(trainEval, data.test?.n ?? 0), Math.max(setup.evalBatchSize, B));
      const capacity = (rank: number) => (rank === 0 ? Math.max(shardCap, evalChunk) : shardCap);
      const rng = c ? new Rng(c.rng) : new Rng(setup.seed);
      const batcher = new Batcher(data.train, B, rng, { dropLast: setup.dropLast });
      const base = {
        workers: N, spec: model.toJSON(), buffers: model.buffers.view().slice(), dropoutBase: model.dropoutBase,
        trainForwards: model.trainForwards, optimizer: { name: optimizer.name, options: optimizer.options },
        remedies: setup.remedies, sampleShape: data.train.shape.slice(), faults,
      };
      const progressChannel = setup.onStep ? new MessageChannel() : null;
      let sh: SharedState | null = null;
      const configs: InitConfig[] = [];
      const transfers: Transferable[][] = [];
      if (shared) {
        const compiled = await compileKernels(build, { threads: true });
        const layout = await sharedLayout(compiled, await compileKernels(build), model, N, capacity(0), optimizer, setup);
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
        const opt = buildOptimizer(k, n, optimizer.name, optimizer.options, { model });
        const side: ParamSide = { k, params: paramsPtr, numParams: n, lo: 0, hi: n };
        const queues: PortQueue<GradMessage>[] = [];
        tr.state = {
          timeoutMs: barrierTimeoutMs, k, opt, queues, paramsPtr, sumPtr, shardGradPtrs, side,
          stepOpt: { optimizer: opt, elementwise: optimizer.elementwise, ownsWhole: true },
          hooks: attachRemedies(setup.remedies, { k, side, shape: data.train.shape, gradientSide: false }),
        };
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
        pool.onFailure(() => {
          for (const q of queues) q.port.postMessage({ stop: true, reason: 'another worker failed' } satisfies ReducedMessage);
        });
      }
      await pool.all((w, rank) => w.init(Comlink.transfer(configs[rank], transfers[rank])));
      const t = new ParallelTrainer(model, pool, data, setup, shared ? 'shared' : 'transfer', batcher, rng, optimizer, sh, tr.state);
      if (progressChannel) {
        t.progress = new PortQueue<StepEvent>(progressChannel.port1);
        t.pumpProgress();
      }
      if (c) await t.restoreOptimizer(c, setup.resume!.where);
      return t;
    } catch (e) {
      await pool.close();
      if (tr.state) { disposeHooks(tr.state.hooks); tr.state.opt.dispose(); }
      throw e;
    }
  }

  private async pumpProgress(): Promise<void> {
    const q = this.progress!;
    for (;;) {
      const ev = await q.next();
      if (!ev) return;
      this.setup.onStep?.({ epoch: ev.epoch, step: ev.step, globalStep: ev.globalStep, loss: ev.loss });
    }
  }

  /**
   * One epoch of training steps (no evaluation) at the fixed batch size, over an order drawn
   * from this trainer's own seeded RNG. Rejects with the first worker failure.
   * `maxSteps` stops the epoch early (benchmark warm-up); the next epoch draws a fresh order.
   */
  async trainEpoch(opts: { maxSteps?: number } = {}): Promise<EpochSteps> {
    const epoch = this.epochCount + 1, nb = this.batcher.batchesPerEpoch;
    const steps = Math.min(nb, opts.maxSteps === undefined ? Infinity : posInt('maxSteps', opts.maxSteps));
    const r = await this.runEpoch({ epoch, order: this.batcher.epochOrder(), batchSize: this.batchSize, steps, stepsPerEpoch: nb, globalStep: this.globalStep });
    if (r.nonFinite) {
      const f = r.nonFinite;
      throw new NonFiniteLossError(f.epoch, f.step, f.globalStep, f.loss);
    }
    return { epoch, batchLoss: r.lossSum / r.samples, seconds: r.seconds, samples: r.samples, steps: r.steps, samplesPerSecond: r.samples / r.seconds };
  }

  /** The Engine's epoch: the steps of `plan` over the workers. Rejects with the first worker failure. */
  async runEpoch(p: TrainEpochPlan): Promise<EpochRun> {
    if (p.batchSize > this.batchSize) throw new ParallelOptionError('batchSize', `an epoch's batch of ${p.batchSize} exceeds the ${this.batchSize} the workers were sized for`);
    if (this.sh) this.sh.order.set(p.order);
    const plan: EpochPlan = {
      epoch: p.epoch, firstStep: p.firstStep ?? 0, steps: p.steps, stepsPerEpoch: p.stepsPerEpoch, batchSize: p.batchSize, globalStep: p.globalStep, lr: this.lr,
      trainSamples: this.data.train.n, progress: !!this.setup.onStep,
    };
    const t0 = performance.now();
    let r: EpochResult;
    if (this.sh) {
      r = (await this.pool.all((w) => w.trainEpoch(plan)))[0];
    } else {
      const [results, nonFinite] = await this.pool.run(Promise.all([
        this.pool.all((w) => w.trainEpoch(plan)),
        this.driveTransfer(plan, p.order),
      ]));
      r = results[0];
      if (nonFinite) r = { ...r, nonFinite };
    }
    const seconds = (performance.now() - t0) / 1000;
    this.globalStep = p.globalStep + r.steps;
    this.epochCount = p.epoch;
    if (!r.nonFinite) await this.flushProgress();
    return { lossSum: r.lossSum, samples: r.samples, steps: r.steps, seconds, nonFinite: r.nonFinite };
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
    const tr = this.tr!, N = this.pool.size, ds = this.data.train;
    const d = this.model.inputSize;
    for (let b = plan.firstStep; b < plan.firstStep + plan.steps; b++) {
      const globalStep = plan.globalStep + b - plan.firstStep + 1;
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
      const loss = await this.reduceTransfer(globalStep, shards, Bb, true);
      if (!Number.isFinite(loss)) return { epoch: plan.epoch, step: b + 1, globalStep, loss };
      tr.opt.lr = stepLearningRate(this.setup.remedies, plan.lr, plan.batchSize, plan.epoch - 1 + b / plan.stepsPerEpoch);
      // The same update program as every worker runs on its replica; a fresh gradient is one more exchange.
      const program = updateProgram(tr.side, tr.hooks, tr.stepOpt, tr.sumPtr);
      let reply = 0;
      for (let r = program.next(reply); !r.done; r = program.next(reply)) {
        reply = r.value.kind === 'gradient' ? (await this.reduceTransfer(globalStep, shards, Bb, false), tr.sumPtr) : 0;
      }
    }
    return null;
  }

  /**
   * Collects every worker's shard gradient of one exchange, reduces them in shard order into
   * sumPtr and sends the result back; returns the batch loss. A non-finite first loss stops
   * the workers instead.
   */
  private async reduceTransfer(globalStep: number, shards: { lo: number; hi: number }[], Bb: number, first: boolean): Promise<number> {
    const tr = this.tr!, N = this.pool.size, n = this.model.numParams;
    const msgs = await this.pool.run(this.gradients(globalStep));
    let loss = 0;
    msgs.forEach((m, s) => {
      const ns = shards[s].hi - shards[s].lo;
      if (m.globalStep !== globalStep || m.n !== ns) throw new WorkerFailedError(s, `sent the gradient of step ${m.globalStep} (${m.n} samples), expected step ${globalStep} (${ns})`);
      loss += (ns / Bb) * m.loss;
    });
    if (first && !Number.isFinite(loss)) {
      for (const q of tr.queues) q.port.postMessage({ stop: true, reason: 'nonfinite' } satisfies ReducedMessage);
      return loss;
    }
    const heap = new Float32Array(tr.k.memory.buffer);
    msgs.forEach((m, s) => { if (m.grad) heap.set(m.grad, tr.shardGradPtrs[s] >>> 2); });
    reduceShardGradients(tr.k.exports, tr.sumPtr, tr.shardGradPtrs, shardWeights(Bb, N), 0, n);
    const reduced = new Float32Array(tr.k.memory.buffer, tr.sumPtr, n);
    tr.queues.forEach((q) => {
      const grad = reduced.slice();
      q.port.postMessage({ kind: 'reduced', globalStep, loss, grad, stop: false } satisfies ReducedMessage, [grad.buffer]);
    });
    return loss;
  }

  /** Every worker's gradient message of one exchange, or a WorkerFailedError naming the first silent worker after the timeout. */
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

  /**
   * Hands a checkpoint's optimizer state to whoever holds it (transfer: the main thread and
   * every replica; shared: each worker its slice, or worker 0 the whole vector for a
   * layer-wise optimizer) and sets the counters.
   */
  private async restoreOptimizer(c: Checkpoint, where: string): Promise<void> {
    const st = c.optimizer, n = this.model.numParams;
    try {
      if (this.tr) {
        this.tr.opt.setState(st);
        await this.pool.all((w) => w.setOptimizerState(st));
      } else if (!this.optimizer.elementwise) {
        await this.pool.run(this.pool.worker(0).setOptimizerState(st));
      } else {
        const slices = sliceRanges(n, this.pool.size);
        await this.pool.all((w, r) => {
          const vectors: Record<string, Float32Array> = {};
          for (const [name, v] of Object.entries(st.vectors)) vectors[name] = v.slice(slices[r].lo, slices[r].hi);
          return w.setOptimizerState({ ...st, vectors });
        });
      }
    } catch (e) {
      throw new CheckpointError(where, `optimizer state does not fit: ${(e as Error).message}`, { cause: e });
    }
    this.epochCount = c.epoch;
    this.globalStep = c.step;
  }

  /** Evaluation-mode metrics on the training set (its first trainEvalSamples) or the test set, by worker 0. */
  async evaluate(which: 'train' | 'test'): Promise<Metrics> {
    const ds = which === 'train' ? this.data.train : this.data.test;
    if (!ds) throw new ParallelOptionError('which', 'there is no test set');
    const limit = which === 'train' ? this.setup.trainEval : ds.n;
    // The chunking of train()'s evaluation (its model holds a full batch), so N = 1 matches it bit for bit.
    return this.pool.run(this.pool.worker(0).evaluate(which, limit, Math.max(this.setup.evalBatchSize, this.batchSize)));
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

  /** The optimizer state over the whole parameter vector (shared mode, elementwise: the workers' slices joined). */
  async optimizerState(): Promise<OptimizerState> {
    if (this.tr) return this.tr.opt.state();
    if (!this.optimizer.elementwise) return (await this.pool.run(this.pool.worker(0).optimizerState()))!;
    const states = (await this.pool.all((w) => w.optimizerState())) as OptimizerState[];
    const vectors: Record<string, Float32Array> = {};
    const slices = sliceRanges(this.model.numParams, this.pool.size);
    for (const name of Object.keys(states[0].vectors)) {
      const out = new Float32Array(this.model.numParams);
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

  /** The Engine's state for checkpoints: parameters, worker 0's running statistics and dropout counter, the optimizer state. */
  async state(): Promise<EngineState> {
    const w0 = this.pool.worker(0);
    const [buffers, trainForwards, optimizer] = await this.pool.run(Promise.all([w0.buffers(), w0.trainForwards(), this.optimizerState()]));
    return { params: this.parameters(), buffers, trainForwards, optimizer };
  }

  /** Everything src/train's checkpoints hold, for this run after its last epoch. */
  async snapshot(history: EpochMetrics[], run: Record<string, unknown>): Promise<Checkpoint> {
    const s = await this.state();
    return {
      spec: this.model.toJSON(), epoch: this.epochCount, step: this.globalStep, rng: this.rng.state(),
      dropoutBase: this.model.dropoutBase, trainForwards: s.trainForwards,
      params: s.params, buffers: s.buffers, optimizer: s.optimizer, history: history.slice(), run,
      tensors: checkpointTensors(this.model),
    };
  }

  runInfo(): Record<string, unknown> {
    return { workers: this.workers, transport: this.mode };
  }

  async dispose(): Promise<void> {
    await this.close();
  }

  async close(): Promise<void> {
    this.progress?.close();
    this.progress = null;
    if (this.tr) {
      this.tr.queues.forEach((q) => q.close());
      disposeHooks(this.tr.hooks);
      this.tr.hooks.length = 0;
    }
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
 * shard gradients, then one arena range per worker, sized by building a worker's model (at
 * its capacity), optimizer and remedies in a scratch (non-shared) instance and measuring.
 */
async function sharedLayout(threads: CompiledKernels, plain: CompiledKernels, model: Model, N: number, capacity: number, optimizer: NamedOptimizer, setup: RunSetup): Promise<SharedLayout> {
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
  // Elementwise: every worker an optimizer over its slice; layer-wise: worker 0 one over the whole vector.
  const optN = optimizer.elementwise ? Math.max(...sliceRanges(n, N).map((r) => r.hi - r.lo)) : n;
  buildOptimizer(pk, optN, optimizer.name, optimizer.options, { model: probe });
  attachRemedies(setup.remedies, { k: pk, side: { k: pk, params: probe.params.ptr, numParams: n, lo: 0, hi: optN }, shape: model.inputShape.slice(), gradientSide: true });
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
 * train() over a worker pool: src/train's one loop (loop.ts) with this engine — same options
 * (any registered optimizer by name, remedies, plateau, checkpoints, resume) and per-epoch
 * metrics (N = 1 gives the same bits). The model receives the trained parameters and running
 * statistics at the end; checkpoints (Node) use src/train's format. Always closes its pool.
 */
export async function trainParallel(model: Model, data: TrainData, opts: ParallelTrainOptions): Promise<EpochMetrics[]> {
  return runTraining(model, data, opts, (setup) => ParallelTrainer.fromSetup(model, data, setup, opts), optionError);
}
