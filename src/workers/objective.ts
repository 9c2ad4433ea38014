// A network's loss as an Objective (src/landscape) computed data-parallel over a worker pool,
// for measurements: sharpness, Hessian-vector products, interpolation. The sample and its
// chunks are ModelObjective's (same options, same f); the chunks are split over N workers,
// each computes its chunks' loss and gradient (or H·v) into the chunk's own slot of one shared
// WebAssembly.Memory, and the workers reduce the result by parameter slice over all chunks in
// chunk order — ModelObjective's reduction. So the result has ModelObjective's bits for ANY
// worker count, and the same bits run after run.
//
// evalGrad / hvp are synchronous, as landscape tools call them: the calling thread writes the
// point into shared memory, bumps a command word and blocks (Atomics.wait) until the workers
// are done. That needs a thread that may block: Node's main thread, or a (browser) worker —
// not a page's main thread (create() refuses it with a typed error).
import { alignUp } from '../kernels/arena.js';
import { compileKernels, instantiateKernels } from '../kernels/load.js';
import { loadKernels } from '../kernels/kernels.js';
import type { LabeledSet } from '../nn/model.js';
import { Model } from '../nn/model.js';
import { ModelObjective, sampleIndices, type ModelObjectiveInfo, type ModelObjectiveOptions } from '../landscape/model_objective.js';
import type { Objective } from '../landscape/objective.js';
import { controlInts } from './barrier.js';
import { ParallelOptionError, WorkerFailedError } from './errors.js';
import { OBJ, OBJ_KIND } from './objective_worker.js';
import { WorkerPool } from './pool.js';
import type { ObjectiveInitConfig } from './protocol.js';
import { shardRanges } from './shards.js';

const PAGE = 65536;
const MAX_PAGES = 65536;
const POLL_MS = 50;

export interface ParallelObjectiveOptions extends ModelObjectiveOptions {
  /** Worker count (default: core count). */
  workers?: number;
  workerUrl?: URL | string;
  /** How long a call waits for the workers (and they for each other) before failing (default 120 s). */
  timeoutMs?: number;
}

function positiveInt(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ParallelOptionError(name, `must be an integer ≥ 1, got ${JSON.stringify(v)}`);
  return v;
}

/** Whether this thread may block in Atomics.wait (Node's main thread and workers: yes; a page's main thread: no). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** A shared copy of the sample (ascending indices of a seeded draw, or the whole set). */
function sharedSample(ds: LabeledSet, d: number, sample: number, seed: number): { xs: Float32Array; ys: Int32Array } {
  const xs = new Float32Array(new SharedArrayBuffer(sample * d * 4)), ys = new Int32Array(new SharedArrayBuffer(sample * 4));
  if (sample === ds.n) { xs.set(ds.x.subarray(0, sample * d)); ys.set(ds.y.subarray(0, sample)); return { xs, ys }; }
  const idx = sampleIndices(ds.n, sample, seed);
  for (let j = 0; j < sample; j++) {
    const i = idx[j];
    xs.set(ds.x.subarray(i * d, (i + 1) * d), j * d);
    ys[j] = ds.y[i];
  }
  return { xs, ys };
}

export class ParallelObjective implements Objective {
  readonly n: number;
  /** Calls of evalGrad and of hvp so far. */
  evaluations = 0;
  products = 0;
  private failure: Error | null = null;
  private closed = false;

  private constructor(
    readonly model: Model,
    readonly info: ModelObjectiveInfo,
    readonly pool: WorkerPool,
    private readonly memory: WebAssembly.Memory,
    private readonly ptrs: { point: number; dir: number; out: number },
    private readonly ctl: Int32Array,
    private readonly losses: Float64Array,
    private readonly errorText: Uint8Array,
    private readonly chunkSizes: number[],
    private readonly timeoutMs: number,
    private readonly served: Promise<unknown>,
  ) {
    this.n = model.numParams;
  }

  /** Starts the workers with the model's spec and running statistics and the sample (ModelObjective's options). */
  static async create(model: Model, ds: LabeledSet, options: ParallelObjectiveOptions = {}): Promise<ParallelObjective> {
    if (!(model instanceof Model)) throw new ParallelOptionError('model', 'must be a Model');
    if (typeof SharedArrayBuffer === 'undefined') throw new ParallelOptionError('workers', 'a data-parallel objective needs SharedArrayBuffer (a browser page must be cross-origin isolated); use ModelObjective');
    if (!canBlock()) throw new ParallelOptionError('workers', 'a data-parallel objective blocks its caller (Atomics.wait), which a page\'s main thread may not: create it in a worker, or use ModelObjective');
    const timeoutMs = positiveInt('timeoutMs', options.timeoutMs ?? 120_000);
    // ModelObjective checks the data and options and says what f is (the same f here).
    const { workers: _w, workerUrl: _u, timeoutMs: _t, ...objectiveOptions } = options;
    const check = new ModelObjective(model, ds, objectiveOptions);
    const info = check.info;
    check.dispose();
    const { sample, chunk, seed, bn } = info;
    const d = model.inputSize, n = model.numParams, C = Math.ceil(sample / chunk);
    const chunkSizes = Array.from({ length: C }, (_, c) => Math.min(chunk, sample - c * chunk));
    const { xs, ys } = sharedSample(ds, d, sample, seed);

    const pool = await WorkerPool.create({ workers: options.workers, workerUrl: options.workerUrl });
    try {
      const N = pool.size, build = model.k.info.build;
      const threads = await compileKernels(build, { threads: true });
      // Layout: static data, x, v, the result, one slot per chunk, then one arena per worker
      // (sized by building a worker's model, with its R-operator buffers, in a scratch instance).
      const heapBase = instantiateKernels(threads.module, new WebAssembly.Memory({ initial: 2, maximum: 2, shared: true })).heap_base();
      const vec = alignUp(n * 4), point = alignUp(heapBase), dir = point + vec, out = dir + vec;
      const slotPtrs = Array.from({ length: C }, (_, c) => out + vec * (c + 1));
      const pk = await loadKernels({ compiled: await compileKernels(build), initialPages: 2 });
      const before = pk.arena.bytesInUse;
      const probe = Model.create(pk, model.toJSON());
      probe.reserve(chunk);
      probe.lossHvp(xs.subarray(0, d), ys.subarray(0, 1), 1, { dropout: false, updateStats: false, bn });
      const perWorker = Math.ceil((pk.arena.bytesInUse - before + (1 << 20)) / PAGE) * PAGE;
      const first = Math.ceil((out + vec * (C + 1)) / PAGE) * PAGE;
      const pages = (first + N * perWorker) / PAGE;
      if (pages > MAX_PAGES) throw new ParallelOptionError('sample', `the shared memory would need ${(pages * PAGE / 2 ** 30).toFixed(2)} GiB (${C} chunk results of ${n} parameters, ${N} workers), more than wasm32's 4 GiB; use a smaller sample or larger chunks`);
      const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
      new Float32Array(memory.buffer, point, n).set(model.params.view());
      const ctl = new Int32Array(new SharedArrayBuffer(16));
      const barrierCtl = new Int32Array(new SharedArrayBuffer(4 * controlInts(N)));
      const losses = new Float64Array(new SharedArrayBuffer(8 * C));
      const errorText = new Uint8Array(new SharedArrayBuffer(1024));
      const split = shardRanges(C, N);
      const buffers = model.buffers.view().slice();
      await pool.all((w, rank) => w.objectiveInit({
        rank, workers: N, compiled: threads, memory, arena: { base: first + rank * perWorker, limit: first + (rank + 1) * perWorker },
        spec: model.toJSON(), buffers, xs, ys, sample, chunk, bn, chunks: split[rank],
        pointPtr: point, dirPtr: dir, outPtr: out, slotPtrs, ctl, barrierCtl, losses, errorText, timeoutMs,
      } satisfies ObjectiveInitConfig));
      const served = pool.all((w) => w.objectiveServe());
      served.catch(() => {}); // a failure is reported by the call that meets it
      return new ParallelObjective(model, info, pool, memory, { point, dir, out }, ctl, losses, errorText, chunkSizes, timeoutMs, served);
    } catch (e) {
      await pool.close();
      throw e;
    }
  }

  get workers(): number { return this.pool.size; }

  /** A copy of the model's current parameters (the usual point to probe). */
  point(): Float32Array {
    return Float32Array.from(this.model.params.view());
  }

  evalGrad(x: Float32Array, g: Float32Array): number {
    this.checkVec('x', x); this.checkVec('g', g);
    const loss = this.command(OBJ_KIND.grad, x, null);
    g.set(new Float32Array(this.memory.buffer, this.ptrs.out, this.n));
    this.evaluations++;
    return loss;
  }

  /** out = ∇²f(x)·v (Model.lossHvp per chunk, reduced in chunk order); returns f(x). */
  hvp(x: Float32Array, v: Float32Array, out: Float32Array): number {
    this.checkVec('x', x); this.checkVec('v', v); this.checkVec('out', out);
    const loss = this.command(OBJ_KIND.hvp, x, v);
    out.set(new Float32Array(this.memory.buffer, this.ptrs.out, this.n));
    this.products++;
    return loss;
  }

  private checkVec(name: string, a: Float32Array): void {
    if (!(a instanceof Float32Array) || a.length !== this.n) throw new ParallelOptionError(name, `must be a Float32Array of length ${this.n}`);
  }

  /** Runs one command on every worker and waits for it; returns the mean loss (chunk losses summed in chunk order). */
  private command(kind: number, x: Float32Array, v: Float32Array | null): number {
    if (this.closed) throw new ParallelOptionError('objective', 'was disposed');
    if (this.failure) throw this.failure;
    if (this.pool.error) throw this.pool.error;
    const ctl = this.ctl, N = this.pool.size;
    new Float32Array(this.memory.buffer, this.ptrs.point, this.n).set(x);
    if (v) new Float32Array(this.memory.buffer, this.ptrs.dir, this.n).set(v);
    Atomics.store(ctl, OBJ.done, 0);
    Atomics.store(ctl, OBJ.kind, kind);
    Atomics.add(ctl, OBJ.generation, 1);
    Atomics.notify(ctl, OBJ.generation);
    const deadline = performance.now() + this.timeoutMs;
    for (let done = Atomics.load(ctl, OBJ.done); done < N; done = Atomics.load(ctl, OBJ.done)) {
      Atomics.wait(ctl, OBJ.done, done, POLL_MS);
      if (performance.now() > deadline && Atomics.load(ctl, OBJ.done) < N) {
        this.failure = new WorkerFailedError(-1, `the objective's workers did not finish within ${this.timeoutMs} ms (a worker hung or died)`);
        throw this.failure;
      }
    }
    const failed = Atomics.load(ctl, OBJ.failed);
    if (failed) {
      const len = new DataView(this.errorText.buffer).getUint32(0, true);
      this.failure = new WorkerFailedError(failed - 1, new TextDecoder().decode(this.errorText.slice(4, 4 + len)));
      throw this.failure;
    }
    let loss = 0;
    this.chunkSizes.forEach((b, c) => { loss += this.losses[c] * b; });
    return loss / this.info.sample;
  }

  /** Stops the workers and closes the pool. */
  async dispose(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    Atomics.store(this.ctl, OBJ.kind, OBJ_KIND.stop);
    Atomics.add(this.ctl, OBJ.generation, 1);
    Atomics.notify(this.ctl, OBJ.generation);
    await Promise.race([this.served.catch(() => {}), new Promise((ok) => setTimeout(ok, 1000))]);
    await this.pool.close();
  }
}
