// The one worker entry of lbgap, for Node worker_threads and browser module Workers alike:
// it exposes a data-parallel training worker over Comlink. Each worker owns an instance of
// the kernel module and a Model; in the shared-memory mode all instances run over one shared
// WebAssembly.Memory (parameters, reduced gradient and shard gradients live there once), in
// the transfer mode each worker keeps a replica and gradients go over a MessagePort.
import * as Comlink from 'comlink';
import { loadKernels, type Kernels } from '../kernels/index.js';
import type { Dataset } from '../data/dataset.js';
import { Model } from '../nn/model.js';
import type { Optimizer, OptimizerState } from '../optim/index.js';
import { buildOptimizer, optimizerEntry } from '../optim/registry.js';
import { attachRemedies, readsWholeGradient, stepLearningRate } from '../train/remedies.js';
import { LocalBatch, updateProgram, type ParamSide, type StepHooks, type StepOptimizer } from '../train/step.js';
import { CTL, SharedBarrier } from './barrier.js';
import { BarrierAbortedError, InjectedFailureError } from './errors.js';
import { ObjectiveService } from './objective_worker.js';
import type { DatasetPayload, EpochPlan, EpochResult, GradMessage, InitConfig, MainMessage, ObjectiveInitConfig, StepEvent, TrainerWorkerApi } from './protocol.js';
import { PortQueue } from './port_queue.js';
import { reduceShardGradients, soleShard } from './reduce.js';
import { shardRanges, shardWeights, sliceRanges, type Range } from './shards.js';

const isNode = typeof process !== 'undefined' && !!process.versions?.node;

/** A per-shard dropout seed base; shard 0 keeps the model's, so one worker matches in-thread training. */
function shardDropoutBase(base: number, rank: number): number {
  if (rank === 0) return base;
  let z = (base ^ Math.imul(rank + 0x7f4a7c15, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function toDataset(p: DatasetPayload): Dataset {
  return { name: p.name, x: p.x, y: p.y, n: p.n, shape: p.shape, classes: p.classes };
}

/** Thrown inside an epoch when the batch loss is not finite: every worker stops before the update. */
class NonFiniteStop {
  constructor(readonly loss: number) {}
}

export class TrainerWorker implements TrainerWorkerApi {
  private cfg!: InitConfig;
  private k!: Kernels;
  private model!: Model;
  /** This worker's optimizer: over its slice (elementwise), the whole vector (rank 0 or a replica), or none. */
  private opt: Optimizer | null = null;
  private stepOpt!: StepOptimizer;
  private side!: ParamSide;
  private hooks: StepHooks[] = [];
  private local!: LocalBatch;
  /** Whether the update reads the whole reduced gradient (shared mode: one more barrier after the reduction). */
  private needWhole = false;
  private train: Dataset | null = null;
  private test: Dataset | null = null;
  private slice: Range = { lo: 0, hi: 0 };
  private barrier: SharedBarrier | null = null;
  private grads: PortQueue<MainMessage> | null = null;
  /** Byte offsets of the parameters the layers are bound to, and (transfer mode) of the reduced gradient. */
  private paramsPtr = 0;
  private reducedPtr = 0;

  async init(cfg: InitConfig): Promise<{ build: string; numParams: number; shared: boolean }> {
    this.cfg = cfg;
    const sh = cfg.shared;
    this.k = await loadKernels(sh ? { memory: sh.memory, arena: sh.arena, compiled: cfg.compiled } : { compiled: cfg.compiled });
    const model = Model.create(this.k, cfg.spec);
    this.model = model;
    model.reserve(cfg.capacity);
    const n = model.numParams, entry = optimizerEntry(cfg.optimizer.name);
    let ownsWhole: boolean;
    if (sh) {
      // Re-point every layer at the ONE shared parameter vector and at this worker's slot for
      // its shard gradient (both allocated by the main thread); running statistics stay per worker.
      model.bindLayers(sh.paramsPtr, sh.shardGradPtrs[cfg.rank]);
      this.paramsPtr = sh.paramsPtr;
      this.slice = sliceRanges(n, cfg.workers)[cfg.rank];
      // Elementwise optimizers update each worker's slice (reduce-scatter); layer-wise ones the whole vector, on rank 0.
      ownsWhole = !entry.elementwise && cfg.rank === 0;
      if (entry.elementwise) this.opt = buildOptimizer(this.k, this.slice.hi - this.slice.lo, entry.name, cfg.optimizer.options, { model });
      else if (ownsWhole) this.opt = buildOptimizer(this.k, n, entry.name, cfg.optimizer.options, { model });
      this.barrier = new SharedBarrier(sh.ctl, cfg.workers, cfg.rank, sh.barrierTimeoutMs);
      this.needWhole = !entry.elementwise || readsWholeGradient(cfg.remedies);
    } else {
      if (!cfg.params || cfg.params.length !== n) throw new RangeError(`params: need ${n} initial parameters, got ${cfg.params?.length}`);
      model.params.view().set(cfg.params);
      this.paramsPtr = model.params.ptr;
      this.slice = { lo: 0, hi: n };
      ownsWhole = true;
      this.opt = buildOptimizer(this.k, n, entry.name, cfg.optimizer.options, { model });
      this.reducedPtr = this.k.arena.alloc(n * 4);
      if (!cfg.gradPort) throw new TypeError('gradPort: the transfer mode needs a MessagePort');
      this.grads = new PortQueue<MainMessage>(cfg.gradPort);
    }
    this.stepOpt = { optimizer: this.opt, elementwise: entry.elementwise, ownsWhole };
    this.side = { k: this.k, params: this.paramsPtr, numParams: n, lo: this.slice.lo, hi: this.slice.hi };
    this.hooks = attachRemedies(cfg.remedies, { k: this.k, side: this.side, shape: cfg.sampleShape, gradientSide: true });
    this.local = new LocalBatch(model, { shape: cfg.sampleShape }, sh ? sh.shardGradPtrs[cfg.rank] : model.grads.ptr);
    model.buffers.view().set(cfg.buffers);
    model.dropoutBase = shardDropoutBase(cfg.dropoutBase, cfg.rank);
    model.trainForwards = cfg.trainForwards;
    this.train = cfg.train ? toDataset(cfg.train) : null;
    this.test = cfg.test ? toDataset(cfg.test) : null;
    return { build: this.k.info.build, numParams: n, shared: !!sh };
  }

  private injectFaults(globalStep: number): void {
    for (const f of this.cfg.faults) {
      if (f.rank !== this.cfg.rank || f.step !== globalStep) continue;
      if (f.kind === 'throw') throw new InjectedFailureError(`injected failure in worker ${f.rank} at step ${globalStep}`);
      if (f.kind === 'exit') {
        if (isNode) process.exit(3);
        (globalThis as unknown as { close(): void }).close();
      }
      if (f.kind === 'oom') this.k.arena.alloc(2 ** 32);
      if (f.kind === 'hang') {
        const until = performance.now() + (f.ms ?? 60_000);
        while (performance.now() < until) { /* not answering */ }
      }
    }
  }

  /** The step's learning rate: the plan's base rate under the remedies' schedules. */
  private setLr(plan: EpochPlan, b: number): void {
    if (this.opt) this.opt.lr = stepLearningRate(this.cfg.remedies, plan.lr, plan.batchSize, plan.epoch - 1 + b / plan.stepsPerEpoch);
  }

  /** Runs the step's input transforms on this worker's shard (already in the input buffer) and its first gradient. */
  private firstGradient(n: number, batch: number, offset: number, globalStep: number): number {
    this.local.begin({ n, batch, offset, globalStep: globalStep - 1 });
    for (const h of this.hooks) h.inputs?.(this.local);
    return this.local.gradient(true);
  }

  async trainEpoch(plan: EpochPlan): Promise<EpochResult> {
    const t0 = performance.now();
    let lossSum = 0, samples = 0;
    for (let b = plan.firstStep; b < plan.firstStep + plan.steps; b++) {
      const globalStep = plan.globalStep + b - plan.firstStep + 1;
      const Bb = Math.min(plan.batchSize, plan.trainSamples - b * plan.batchSize);
      let loss: number;
      try {
        loss = this.cfg.shared ? this.stepShared(plan, b, globalStep, Bb) : await this.stepTransfer(plan, b, globalStep, Bb);
      } catch (e) {
        if (!(e instanceof NonFiniteStop)) throw e;
        return { lossSum, samples, steps: b - plan.firstStep, seconds: (performance.now() - t0) / 1000, nonFinite: { epoch: plan.epoch, step: b + 1, globalStep, loss: e.loss } };
      }
      lossSum += loss * Bb; samples += Bb;
      if (plan.progress && this.cfg.progressPort) {
        const ev: StepEvent = { type: 'step', epoch: plan.epoch, step: b + 1, globalStep, loss };
        this.cfg.progressPort.postMessage(ev);
      }
    }
    return { lossSum, samples, steps: plan.steps, seconds: (performance.now() - t0) / 1000, nonFinite: null };
  }

  /** Shared memory: one step, synchronously, meeting the other workers at barriers. Returns the batch loss. */
  private stepShared(plan: EpochPlan, b: number, globalStep: number, Bb: number): number {
    const sh = this.cfg.shared!, barrier = this.barrier!, N = this.cfg.workers, rank = this.cfg.rank;
    const shards = shardRanges(Bb, N), mine = shards[rank], n = mine.hi - mine.lo;
    const started = CTL.stepBase + 2 * rank, applied = started + 1;
    this.injectFaults(globalStep);
    if (n > 0) {
      const model = this.model, d = model.inputSize, x = model.inputView(n), y = model.labelsView(n);
      const X = this.train!.x, Y = this.train!.y, batchLo = b * plan.batchSize;
      for (let j = 0; j < n; j++) {
        const i = sh.order[batchLo + mine.lo + j];
        x.set(X.subarray(i * d, i * d + d), j * d);
        y[j] = Y[i];
      }
    }
    sh.losses[rank] = this.firstGradient(n, Bb, mine.lo, globalStep);
    barrier.arrive(globalStep); // every shard gradient and loss is written
    let loss = 0;
    for (let s = 0; s < N; s++) loss += ((shards[s].hi - shards[s].lo) / Bb) * sh.losses[s];
    // Every worker sees the same losses and stops here, before any update of this step.
    if (!Number.isFinite(loss)) throw new NonFiniteStop(loss);
    const grad = this.reduceShared(globalStep, Bb);
    Atomics.store(sh.ctl, started, globalStep);
    this.setLr(plan, b);
    const program = updateProgram(this.side, this.hooks, this.stepOpt, grad);
    let reply = 0;
    for (let r = program.next(reply); !r.done; r = program.next(reply)) {
      if (r.value.kind === 'gradient') {
        this.local.gradient(false);
        barrier.arrive(globalStep);
        reply = this.reduceShared(globalStep, Bb);
      } else {
        barrier.arrive(globalStep);
        reply = 0;
      }
    }
    Atomics.store(sh.ctl, applied, globalStep);
    return loss;
  }

  /**
   * Reduce-scatter after every shard gradient is written: this worker sums ITS slice of all
   * shard gradients, in shard order. Returns the reduced gradient's byte offset (with the
   * whole vector readable after one more barrier when the update needs it).
   */
  private reduceShared(globalStep: number, Bb: number): number {
    const sh = this.cfg.shared!, weights = shardWeights(Bb, this.cfg.workers), sole = soleShard(weights);
    if (sole >= 0) return sh.shardGradPtrs[sole]; // exact: Σ = 1·g_sole
    reduceShardGradients(this.k.exports, sh.sumPtr, sh.shardGradPtrs, weights, this.slice.lo, this.slice.hi);
    if (this.needWhole) this.barrier!.arrive(globalStep);
    return sh.sumPtr;
  }

  /** Transfer mode: one step; shards and reduced gradients travel over the gradient port. Returns the batch loss. */
  private async stepTransfer(plan: EpochPlan, b: number, globalStep: number, Bb: number): Promise<number> {
    const rank = this.cfg.rank, queue = this.grads!, model = this.model;
    const shardMsg = await queue.next();
    if (!('kind' in shardMsg) || shardMsg.kind !== 'shard') {
      if ('stop' in shardMsg && shardMsg.stop) throw new BarrierAbortedError(`worker ${rank}: training aborted (${shardMsg.reason})`);
      throw new RangeError(`worker ${rank}: expected the shard of step ${globalStep}, got ${JSON.stringify(shardMsg).slice(0, 80)}`);
    }
    if (shardMsg.globalStep !== globalStep) throw new RangeError(`worker ${rank}: got the shard of step ${shardMsg.globalStep}, expected ${globalStep}`);
    this.injectFaults(globalStep);
    const count = shardMsg.n;
    if (count) { model.inputView(count).set(shardMsg.x); model.labelsView(count).set(shardMsg.y); }
    const offset = shardRanges(Bb, this.cfg.workers)[rank].lo;
    const first = await this.exchange(globalStep, this.firstGradient(count, Bb, offset, globalStep), count);
    this.setLr(plan, b);
    const program = updateProgram(this.side, this.hooks, this.stepOpt, this.reducedPtr);
    let reply = 0;
    for (let r = program.next(reply); !r.done; r = program.next(reply)) {
      reply = r.value.kind === 'gradient' ? (await this.exchange(globalStep, this.local.gradient(false), count), this.reducedPtr) : 0;
    }
    return first;
  }

  /** Sends this shard's gradient to the main thread and puts the reduced one at reducedPtr; returns the batch loss. */
  private async exchange(globalStep: number, loss: number, count: number): Promise<number> {
    const rank = this.cfg.rank, queue = this.grads!;
    const grad = count ? this.model.grads.view().slice() : null;
    const out: GradMessage = { globalStep, loss, n: count, grad };
    this.cfg.gradPort!.postMessage(out, grad ? [grad.buffer] : []);
    const reply = await queue.next();
    if ('kind' in reply && reply.kind === 'shard') throw new RangeError(`worker ${rank}: got a shard while waiting for the reduced gradient of step ${globalStep}`);
    if (reply.stop) {
      if (reply.reason === 'nonfinite') throw new NonFiniteStop(NaN);
      throw new BarrierAbortedError(`worker ${rank}: training aborted (${reply.reason})`);
    }
    new Float32Array(this.k.memory.buffer, this.reducedPtr, this.model.numParams).set(reply.grad!);
    return reply.loss;
  }

  evaluate(which: 'train' | 'test', limit: number, batchSize: number) {
    const ds = which === 'train' ? this.train : this.test;
    if (!ds) throw new RangeError('which: this worker holds no test set');
    return this.model.evaluate(ds, { limit, batchSize });
  }

  optimizerState(): OptimizerState | null {
    return this.opt ? this.opt.state() : null;
  }

  setOptimizerState(state: OptimizerState): void {
    if (!this.opt) throw new RangeError(`worker ${this.cfg.rank} holds no optimizer state (a layer-wise optimizer lives on worker 0)`);
    this.opt.setState(state);
  }

  buffers(): Float32Array {
    return this.model.buffers.view().slice();
  }

  params(): Float32Array {
    return new Float32Array(this.k.memory.buffer, this.paramsPtr, this.model.numParams).slice();
  }

  trainForwards(): number {
    return this.model.trainForwards;
  }

  private objective: ObjectiveService | null = null;

  async objectiveInit(cfg: ObjectiveInitConfig): Promise<void> {
    this.objective = await ObjectiveService.create(cfg);
  }

  objectiveServe(): void {
    if (!this.objective) throw new RangeError('objectiveServe: call objectiveInit first');
    this.objective.serve();
  }

  async threadCpuSeconds(): Promise<number | null> {
    if (!isNode) return null;
    try {
      const fsName = 'node:fs';
      const fs = (await import(/* @vite-ignore */ fsName)) as typeof import('node:fs');
      // Synchronous on purpose: /proc/thread-self is the thread that opens it (an async read would open it on a libuv pool thread).
      const stat = fs.readFileSync('/proc/thread-self/stat', 'utf8');
      // Fields after the parenthesized command name; utime and stime are fields 14 and 15 (clock ticks, 100 Hz on Linux).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      return null;
    }
  }
}

async function main(): Promise<void> {
  const api = new TrainerWorker();
  if (isNode) {
    const wt = 'node:worker_threads';
    const { parentPort } = (await import(/* @vite-ignore */ wt)) as typeof import('node:worker_threads');
    if (!parentPort) return; // imported on the main thread (e.g. for its types): nothing to serve
    const { default: nodeEndpoint } = await import('comlink/dist/esm/node-adapter.mjs');
    Comlink.expose(api, nodeEndpoint(parentPort as never));
  } else if (typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined') {
    Comlink.expose(api);
  }
}

void main();
