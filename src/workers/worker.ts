// The one worker entry of lbgap, for Node worker_threads and browser module Workers alike:
// it exposes a data-parallel training worker over Comlink. Each worker owns an instance of
// the kernel module and a Model; in the shared-memory mode all instances run over one shared
// WebAssembly.Memory (parameters, reduced gradient and shard gradients live there once), in
// the transfer mode each worker keeps a replica and gradients go over a MessagePort.
import * as Comlink from 'comlink';
import { loadKernels, type Kernels } from '../kernels/index.js';
import type { Dataset } from '../data/dataset.js';
import { Model } from '../nn/model.js';
import { createOptimizer, type Optimizer, type OptimizerState } from '../optim/index.js';
import { CTL, SharedBarrier } from './barrier.js';
import { BarrierAbortedError, InjectedFailureError } from './errors.js';
import type { DatasetPayload, EpochPlan, EpochResult, GradMessage, InitConfig, MainMessage, StepEvent, TrainerWorkerApi } from './protocol.js';
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

export class TrainerWorker implements TrainerWorkerApi {
  private cfg!: InitConfig;
  private k!: Kernels;
  private model!: Model;
  private opt!: Optimizer;
  private train: Dataset | null = null;
  private test: Dataset | null = null;
  private slice: Range = { lo: 0, hi: 0 };
  private barrier: SharedBarrier | null = null;
  private grads: PortQueue<MainMessage> | null = null;
  /** Byte offsets of the parameters and this shard's gradient the layers are bound to. */
  private paramsPtr = 0;
  private gradPtr = 0;

  async init(cfg: InitConfig): Promise<{ build: string; numParams: number; shared: boolean }> {
    this.cfg = cfg;
    const sh = cfg.shared;
    this.k = await loadKernels(sh ? { memory: sh.memory, arena: sh.arena, compiled: cfg.compiled } : { compiled: cfg.compiled });
    const model = Model.create(this.k, cfg.spec);
    this.model = model;
    model.reserve(cfg.capacity);
    if (sh) {
      // Re-point every layer at the ONE shared parameter vector and at this worker's slot for
      // its shard gradient (both allocated by the main thread); running statistics stay per worker.
      let p = 0, b = 0;
      for (const l of model.layers) {
        l.bind(sh.paramsPtr + p * 4, sh.shardGradPtrs[cfg.rank] + p * 4, model.buffers.ptr + b * 4);
        p += l.paramCount; b += l.bufferCount;
      }
      this.paramsPtr = sh.paramsPtr;
      this.gradPtr = sh.shardGradPtrs[cfg.rank];
      this.slice = sliceRanges(model.numParams, cfg.workers)[cfg.rank];
      this.opt = createOptimizer(this.k, this.slice.hi - this.slice.lo, cfg.optimizer);
      this.barrier = new SharedBarrier(sh.ctl, cfg.workers, cfg.rank, sh.barrierTimeoutMs);
    } else {
      if (!cfg.params || cfg.params.length !== model.numParams) throw new RangeError(`params: need ${model.numParams} initial parameters, got ${cfg.params?.length}`);
      model.params.view().set(cfg.params);
      this.paramsPtr = model.params.ptr;
      this.gradPtr = model.grads.ptr;
      this.slice = { lo: 0, hi: model.numParams };
      this.opt = createOptimizer(this.k, model.numParams, cfg.optimizer);
      if (!cfg.gradPort) throw new TypeError('gradPort: the transfer mode needs a MessagePort');
      this.grads = new PortQueue<MainMessage>(cfg.gradPort);
    }
    model.buffers.view().set(cfg.buffers);
    model.dropoutBase = shardDropoutBase(cfg.dropoutBase, cfg.rank);
    model.trainForwards = cfg.trainForwards;
    this.train = cfg.train ? toDataset(cfg.train) : null;
    this.test = cfg.test ? toDataset(cfg.test) : null;
    return { build: this.k.info.build, numParams: model.numParams, shared: !!sh };
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

  /** Gathers this worker's shard of a batch into the model's input buffer and runs forward + backward. */
  private shardLossAndGrad(order: Int32Array, batchLo: number, shard: Range): number {
    const n = shard.hi - shard.lo;
    if (n === 0) return 0;
    const model = this.model, d = model.inputSize;
    const x = model.inputView(n), y = model.labelsView(n);
    const X = this.train!.x, Y = this.train!.y;
    for (let j = 0; j < n; j++) {
      const i = order[batchLo + shard.lo + j];
      x.set(X.subarray(i * d, i * d + d), j * d);
      y[j] = Y[i];
    }
    return model.lossAndGrad(x, y, n);
  }

  async trainEpoch(plan: EpochPlan): Promise<EpochResult> {
    return this.cfg.shared ? this.trainEpochShared(plan) : this.trainEpochTransfer(plan);
  }

  private trainEpochShared(plan: EpochPlan): EpochResult {
    const sh = this.cfg.shared!, barrier = this.barrier!, N = this.cfg.workers, rank = this.cfg.rank;
    const ex = this.k.exports, n = plan.trainSamples, B = plan.batchSize;
    const started = CTL.stepBase + 2 * rank, applied = started + 1;
    const { lo, hi } = this.slice;
    this.opt.lr = plan.lr;
    const t0 = performance.now();
    let lossSum = 0, samples = 0;
    for (let b = 0; b < plan.steps; b++) {
      const globalStep = plan.globalStep + b + 1;
      const batchLo = b * B, Bb = Math.min(B, n - batchLo);
      const shards = shardRanges(Bb, N);
      this.injectFaults(globalStep);
      sh.losses[rank] = this.shardLossAndGrad(sh.order, batchLo, shards[rank]);
      barrier.arrive(globalStep); // every shard gradient and loss is written
      let loss = 0;
      for (let s = 0; s < N; s++) loss += ((shards[s].hi - shards[s].lo) / Bb) * sh.losses[s];
      if (!Number.isFinite(loss)) {
        // Every worker sees the same losses and stops here, before any update of this step.
        return { lossSum, samples, steps: b, seconds: (performance.now() - t0) / 1000, nonFinite: { epoch: plan.epoch, step: b + 1, globalStep, loss } };
      }
      // Reduce-scatter: this worker sums ITS slice of all shard gradients, in shard order,
      // then applies the optimizer to its slice of the shared parameters.
      const weights = shardWeights(Bb, N), sole = soleShard(weights);
      let grad = sh.sumPtr;
      if (sole >= 0) grad = sh.shardGradPtrs[sole]; // exact: Σ = 1·g_sole
      else reduceShardGradients(ex, sh.sumPtr, sh.shardGradPtrs, weights, lo, hi);
      Atomics.store(sh.ctl, started, globalStep);
      this.opt.step(sh.paramsPtr + lo * 4, grad + lo * 4);
      Atomics.store(sh.ctl, applied, globalStep);
      barrier.arrive(globalStep); // every slice is updated: the next forward sees the new parameters
      lossSum += loss * Bb; samples += Bb;
      if (plan.progress && this.cfg.progressPort) {
        const ev: StepEvent = { type: 'step', epoch: plan.epoch, step: b + 1, globalStep, loss };
        this.cfg.progressPort.postMessage(ev);
      }
    }
    return { lossSum, samples, steps: plan.steps, seconds: (performance.now() - t0) / 1000, nonFinite: null };
  }

  private async trainEpochTransfer(plan: EpochPlan): Promise<EpochResult> {
    const port = this.cfg.gradPort!, rank = this.cfg.rank, queue = this.grads!, model = this.model;
    this.opt.lr = plan.lr;
    const t0 = performance.now();
    let lossSum = 0, samples = 0;
    for (let b = 0; b < plan.steps; b++) {
      const globalStep = plan.globalStep + b + 1;
      const shardMsg = await queue.next();
      if (!('kind' in shardMsg) || shardMsg.kind !== 'shard') {
        if ('stop' in shardMsg && shardMsg.stop) throw new BarrierAbortedError(`worker ${rank}: training aborted (${shardMsg.reason})`);
        throw new RangeError(`worker ${rank}: expected the shard of step ${globalStep}, got ${JSON.stringify(shardMsg).slice(0, 80)}`);
      }
      if (shardMsg.globalStep !== globalStep) throw new RangeError(`worker ${rank}: got the shard of step ${shardMsg.globalStep}, expected ${globalStep}`);
      this.injectFaults(globalStep);
      const count = shardMsg.n;
      let loss = 0;
      if (count) {
        const x = model.inputView(count), y = model.labelsView(count);
        x.set(shardMsg.x); y.set(shardMsg.y);
        loss = model.lossAndGrad(x, y, count);
      }
      const grad = count ? model.grads.view().slice() : null;
      const out: GradMessage = { globalStep, loss, n: count, grad };
      port.postMessage(out, grad ? [grad.buffer] : []);
      const reply = await queue.next();
      if ('kind' in reply && reply.kind === 'shard') throw new RangeError(`worker ${rank}: got a shard while waiting for the reduced gradient of step ${globalStep}`);
      if (reply.stop) {
        if (reply.reason === 'nonfinite') {
          return { lossSum, samples, steps: b, seconds: (performance.now() - t0) / 1000, nonFinite: { epoch: plan.epoch, step: b + 1, globalStep, loss: NaN } };
        }
        throw new BarrierAbortedError(`worker ${rank}: training aborted (${reply.reason})`);
      }
      model.grads.view().set(reply.grad!);
      this.opt.step(this.paramsPtr, this.gradPtr);
      const Bb = Math.min(plan.batchSize, plan.trainSamples - b * plan.batchSize);
      lossSum += reply.loss * Bb; samples += Bb;
      if (plan.progress && this.cfg.progressPort) {
        const ev: StepEvent = { type: 'step', epoch: plan.epoch, step: b + 1, globalStep, loss: reply.loss };
        this.cfg.progressPort.postMessage(ev);
      }
    }
    return { lossSum, samples, steps: plan.steps, seconds: (performance.now() - t0) / 1000, nonFinite: null };
  }

  evaluate(which: 'train' | 'test', limit: number, batchSize: number) {
    const ds = which === 'train' ? this.train : this.test;
    if (!ds) throw new RangeError('which: this worker holds no test set');
    return this.model.evaluate(ds, { limit, batchSize });
  }

  optimizerState(): OptimizerState {
    return this.opt.state();
  }

  setOptimizerState(state: OptimizerState): void {
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
