// The worker side of a data-parallel objective (objective.ts). The worker waits on a shared
// command word; for each command it computes its chunks' mean loss and gradient (or
// Hessian-vector product) at the point in shared memory, each into the chunk's own slot,
// meets the others at a barrier, then reduces ITS slice of the result over all chunks in
// chunk order — exactly ModelObjective's reduction, so any worker count gives its bits.
import { loadKernels, type Kernels } from '../kernels/index.js';
import { Model } from '../nn/model.js';
import { abortAll, SharedBarrier } from './barrier.js';
import type { ObjectiveInitConfig } from './protocol.js';
import { sliceRanges, type Range } from './shards.js';

/** Command words of the objective's control array. */
export const OBJ = {
  /** Incremented by the main thread for every command. */
  generation: 0,
  kind: 1,
  /** Workers done with the current command. */
  done: 2,
  /** 0, or 1 + the rank of the first worker that failed (its message in errorText). */
  failed: 3,
} as const;

export const OBJ_KIND = { stop: 0, grad: 1, hvp: 2 } as const;

export class ObjectiveService {
  private readonly k: Kernels;
  private readonly model: Model;
  private readonly slice: Range;
  private readonly barrier: SharedBarrier;

  private constructor(private readonly cfg: ObjectiveInitConfig, k: Kernels, model: Model) {
    this.k = k; this.model = model;
    this.slice = sliceRanges(model.numParams, cfg.workers)[cfg.rank];
    this.barrier = new SharedBarrier(cfg.barrierCtl, cfg.workers, cfg.rank, cfg.timeoutMs);
  }

  static async create(cfg: ObjectiveInitConfig): Promise<ObjectiveService> {
    const k = await loadKernels({ memory: cfg.memory, arena: cfg.arena, compiled: cfg.compiled });
    const model = Model.create(k, cfg.spec);
    model.reserve(cfg.chunk);
    // The layers read the ONE shared point; gradients and running statistics stay this worker's own.
    model.bindLayers(cfg.pointPtr, model.grads.ptr);
    model.buffers.view().set(cfg.buffers);
    // Allocate the R-operator buffers now (one sample at full capacity), not in the first command.
    const d = model.inputSize;
    model.lossHvp(cfg.xs.subarray(0, d), cfg.ys.subarray(0, 1), 1, { dropout: false, updateStats: false, bn: cfg.bn });
    return new ObjectiveService(cfg, k, model);
  }

  /** Blocks this worker, serving commands until the stop command. */
  serve(): void {
    const ctl = this.cfg.ctl;
    // The generation starts at 0 and only commands move it: one posted before this worker got
    // here (the main thread does not wait for serve() to start) is still seen.
    let gen = 0;
    for (;;) {
      Atomics.wait(ctl, OBJ.generation, gen);
      const now = Atomics.load(ctl, OBJ.generation);
      if (now === gen) continue;
      gen = now;
      const kind = Atomics.load(ctl, OBJ.kind);
      if (kind === OBJ_KIND.stop) return;
      if (Atomics.load(ctl, OBJ.failed) === 0) {
        try {
          this.run(kind, gen);
        } catch (e) {
          this.fail(e);
        }
      }
      Atomics.add(ctl, OBJ.done, 1);
      Atomics.notify(ctl, OBJ.done);
    }
  }

  private run(kind: number, gen: number): void {
    const c = this.cfg, m = this.model, e = this.k.exports, n = m.numParams, d = m.inputSize;
    const opts = { dropout: false, updateStats: false, bn: c.bn };
    if (kind === OBJ_KIND.hvp) e.copy_f32(n, c.dirPtr, m.hvpDirection.ptr);
    for (let ch = c.chunks.lo; ch < c.chunks.hi; ch++) {
      const off = ch * c.chunk, b = Math.min(c.chunk, c.sample - off);
      const x = c.xs.subarray(off * d, (off + b) * d), y = c.ys.subarray(off, off + b);
      if (kind === OBJ_KIND.hvp) {
        c.losses[ch] = m.lossHvp(x, y, b, opts);
        e.copy_f32(n, m.hvpProduct.ptr, c.slotPtrs[ch]);
      } else {
        c.losses[ch] = m.lossAndGrad(x, y, b, opts);
        e.copy_f32(n, m.grads.ptr, c.slotPtrs[ch]);
      }
    }
    this.barrier.arrive(gen); // every chunk's slot is written
    // ModelObjective's reduction, on this worker's slice: out = Σ_c (b_c/N)·slot_c in chunk order.
    const { lo, hi } = this.slice, len = hi - lo, o = lo * 4;
    if (len === 0) return;
    const chunks = c.slotPtrs.length;
    for (let ch = 0; ch < chunks; ch++) {
      const b = Math.min(c.chunk, c.sample - ch * c.chunk), w = b / c.sample;
      if (ch === 0) { e.copy_f32(len, c.slotPtrs[0] + o, c.outPtr + o); e.scale_f32(c.outPtr + o, w, len); }
      else e.add_scaled_f32(c.outPtr + o, c.outPtr + o, w, c.slotPtrs[ch] + o, len);
    }
  }

  /** Records the first failure (rank and message) and releases the others from the barrier. */
  private fail(e: unknown): void {
    const c = this.cfg;
    if (Atomics.compareExchange(c.ctl, OBJ.failed, 0, c.rank + 1) === 0) {
      const err = e as Error;
      const text = new TextEncoder().encode(err?.name && err.name !== 'Error' ? `${err.name}: ${err.message}` : String(err?.message ?? e));
      const n = Math.min(text.length, c.errorText.length - 4);
      new DataView(c.errorText.buffer, c.errorText.byteOffset).setUint32(0, n, true);
      c.errorText.set(text.subarray(0, n), 4);
    }
    abortAll(c.barrierCtl);
  }
}
