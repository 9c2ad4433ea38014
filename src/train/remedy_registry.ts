// Every remedy by name: ONE entry each — how its option is checked (errors name the field),
// and what it does: the epoch's batch size, the step's learning rate, or step-time hooks
// (step.ts) that run on every participant of every engine, in-thread and in the workers of a
// pool alike. Entries run in the order listed (input transforms: augmentation, then the ghost
// batches' copies, then FGSM; gradient adjustments: SAM, then the proximal term). Adding a
// remedy is its implementation plus an entry here.
import { augmentBatch, checkAugment } from '../data/augment.js';
import type { Kernels } from '../kernels/kernels.js';
import { ProximalTerm } from '../optim/proximal.js';
import { SamPerturbation } from '../optim/sam.js';
import { geometricBatchSize, warmupScaledLr } from '../optim/schedule.js';
import type { SliceGranularity } from '../optim/slices.js';
import { Rng } from '../util/rng.js';
import { TrainOptionError } from './errors.js';
import { GRADIENT, SYNC, type LocalBatch, type ParamSide, type StepHooks, type StepRequest } from './step.js';

/** What an option is checked against. */
export interface RemedyContext { shape: readonly number[]; batchSize: number; epochs: number; seed: number }

/** Where a participant's hooks live: its kernels, its parameter slice, the data's sample shape. */
export interface AttachEnv {
  k: Kernels;
  side: ParamSide;
  shape: readonly number[];
  /** False for a participant without samples (the main thread of the transfer fallback): only update-side hooks run. */
  gradientSide: boolean;
}

export interface RemedyEntry<R = unknown> {
  readonly name: string;
  /** Validates the option value (TrainOptionError naming the field) and fills in defaults. */
  check(value: unknown, ctx: RemedyContext): R;
  /** The batch size of an epoch (dynamic sampling). */
  epochBatchSize?(r: R, batchSize: number, epoch: number): number;
  /** A step's learning rate from the base rate; `progress` is the fractional epoch at the step's start. */
  learningRate?(r: R, base: number, batchSize: number, progress: number): number;
  /** True when its hooks read the whole batch gradient, not only the participant's slice (a pool then makes it whole before the update). */
  readsWholeGradient?: boolean;
  /** The step-time hooks of one participant (may allocate Wasm memory; freed by their dispose). */
  attach?(r: R, env: AttachEnv): StepHooks;
}

function obj(field: string, v: unknown, keys: readonly string[]): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new TrainOptionError(field, `must be an object with ${keys.join(', ')}, got ${JSON.stringify(v)}`);
  for (const key of Object.keys(v)) if (!keys.includes(key)) throw new TrainOptionError(`${field}.${key}`, `is not an option of ${field} (${keys.join(', ')})`);
  return v as Record<string, unknown>;
}

function num(field: string, v: unknown, lo: number, hi: number, openLo = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (openLo ? v <= lo : v < lo) || v > hi) {
    throw new TrainOptionError(field, `must be a finite number in ${openLo ? '(' : '['}${lo}, ${hi}], got ${JSON.stringify(v)}`);
  }
  return v;
}

function int(field: string, v: unknown, lo: number, hi = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) throw new TrainOptionError(field, `must be an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`);
  return v;
}

/** The seed of the augmentation draws of global step `globalStep` (0-based) for an augmentation seed. */
export function augmentSeedAt(seed: number, globalStep: number): number {
  let z = (seed ^ Math.imul(globalStep + 0x632be5ab, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  return (z ^ (z >>> 13)) >>> 0;
}

/**
 * Advances `rng` past the draws augmentBatch makes for `samples` samples (per sample: dy, dx
 * when shifting, then the flip), so a shard starting at sample `offset` of the batch draws
 * exactly what the whole batch would: augmentation does not depend on the worker count.
 */
export function skipAugmentDraws(rng: Rng, samples: number, a: { shift: number; flip: boolean }): void {
  for (let s = 0; s < samples; s++) {
    if (a.shift) { rng.int(2 * a.shift + 1); rng.int(2 * a.shift + 1); }
    if (a.flip) rng.int(2);
  }
}

const augment: RemedyEntry<{ shift: number; flip: boolean; seed: number }> = {
  name: 'augment',
  check(v, ctx) {
    const a = obj('augment', v, ['shift', 'flip', 'seed']);
    const seed = a.seed === undefined ? ctx.seed : num('augment.seed', a.seed, 0, 2 ** 32 - 1);
    const { seed: _s, ...geo } = a;
    try {
      return { ...checkAugment(geo, ctx.shape, 'augment'), seed };
    } catch (e) {
      const err = e as Error & { argument?: string };
      throw new TrainOptionError(err.argument ?? 'augment', err.message.replace(/^[^:]*: /, ''));
    }
  },
  attach: (r, env) => ({
    inputs(b: LocalBatch) {
      const { n, offset, globalStep } = b.info;
      if (n === 0) return;
      const rng = new Rng(augmentSeedAt(r.seed, globalStep));
      skipAugmentDraws(rng, offset, r);
      augmentBatch(b.model.inputView(n), n, env.shape, { shift: r.shift, flip: r.flip }, rng);
    },
  }),
};

const ghostBatch: RemedyEntry<{ size: number }> = {
  name: 'ghostBatch',
  check(v, ctx) {
    const g = obj('ghostBatch', v, ['size']);
    return { size: int('ghostBatch.size', g.size, 1, ctx.batchSize) };
  },
  attach(r, env) {
    const acc = env.gradientSide ? env.k.arena.alloc(env.side.numParams * 4) : 0;
    return {
      inputs: (b: LocalBatch) => b.useChunks(r.size, acc),
      dispose: () => { if (acc) env.k.arena.release(acc); },
    };
  },
};

const adversarial: RemedyEntry<{ epsilon: number; fraction: number }> = {
  name: 'adversarial',
  check(v) {
    const a = obj('adversarial', v, ['epsilon', 'fraction']);
    return { epsilon: num('adversarial.epsilon', a.epsilon, 0, Infinity, true), fraction: a.fraction === undefined ? 1 : num('adversarial.fraction', a.fraction, 0, 1, true) };
  },
  // FGSM on the batch's first round(fraction·B) samples (those of them this participant holds):
  // x += ε·sign(∂loss/∂x), the gradient taken at the clean inputs.
  attach: (r) => ({
    inputs(b: LocalBatch) {
      const { n, batch, offset } = b.info;
      const count = Math.min(n, Math.max(0, Math.round(r.fraction * batch) - offset));
      if (count === 0) return;
      const m = b.model, d = m.inputSize;
      const dx = new Float32Array(n * d);
      b.chunked((x, y, off, c) => { dx.set(m.lossAndInputGrad(x, y, c, { updateStats: false }).dx, off * d); });
      const x = b.inputs();
      for (let i = 0; i < count * d; i++) x[i] += r.epsilon * Math.sign(dx[i]);
      if (x.buffer !== m.k.memory.buffer) m.inputView(n).set(x); // the ghost copies: back into the input buffer
    },
  }),
};

const sam: RemedyEntry<{ rho: number }> = {
  name: 'sam',
  check(v) {
    const s = obj('sam', v, ['rho']);
    return { rho: num('sam.rho', s.rho, 0, Infinity, true) };
  },
  readsWholeGradient: true,
  attach(r, env) {
    const { lo, hi } = env.side;
    const p = new SamPerturbation(env.k, hi - lo, r.rho);
    return {
      // Move to x + ρ·g/‖g‖ (‖g‖ over the whole vector, each participant its slice), take the
      // batch gradient there, come back exactly.
      *adjust(side: ParamSide, grad: number): Generator<StepRequest, number, number> {
        const norm = Math.sqrt(side.k.exports.sumsq_f32(grad, side.numParams));
        p.perturb(side.params + lo * 4, grad + lo * 4, norm);
        yield SYNC;
        const g = yield GRADIENT;
        p.restore(side.params + lo * 4);
        return g;
      },
      dispose: () => p.dispose(),
    };
  },
};

const conservative: RemedyEntry<{ lambda: number; steps: number }> = {
  name: 'conservative',
  check(v) {
    const c = obj('conservative', v, ['lambda', 'steps']);
    return { lambda: num('conservative.lambda', c.lambda, 0, Infinity, true), steps: c.steps === undefined ? 3 : int('conservative.steps', c.steps, 1, 1000) };
  },
  attach(r, env) {
    const { lo, hi } = env.side;
    const prox = new ProximalTerm(env.k, hi - lo, r.lambda);
    return {
      innerSteps: r.steps,
      beginUpdate: (side: ParamSide) => prox.anchor(side.params + lo * 4),
      // biome-ignore lint/correctness/useYield: the proximal term needs no extra gradient evaluations; a generator keeps the hook's one shape
      *adjust(side: ParamSide, grad: number): Generator<StepRequest, number, number> {
        prox.addGradient(side.params + lo * 4, grad + lo * 4);
        return grad;
      },
      dispose: () => prox.dispose(),
    };
  },
};

const dynamicBatch: RemedyEntry<{ from: number; over: number }> = {
  name: 'dynamicBatch',
  check(v, ctx) {
    const d = obj('dynamicBatch', v, ['from', 'over']);
    const from = int('dynamicBatch.from', d.from, 1, ctx.batchSize);
    return { from, over: d.over === undefined ? Math.max(1, ctx.epochs) : int('dynamicBatch.over', d.over, 1) };
  },
  epochBatchSize: (r, batchSize, epoch) => geometricBatchSize(r.from, batchSize, r.over, epoch),
};

const lrScaling: RemedyEntry<{ reference: number; warmupEpochs: number }> = {
  name: 'lrScaling',
  check(v) {
    const l = obj('lrScaling', v, ['reference', 'warmupEpochs']);
    return {
      reference: l.reference === undefined ? 256 : int('lrScaling.reference', l.reference, 1),
      warmupEpochs: l.warmupEpochs === undefined ? 0 : num('lrScaling.warmupEpochs', l.warmupEpochs, 0, Infinity),
    };
  },
  learningRate: (r, base, batchSize, progress) => warmupScaledLr(base, batchSize, r.reference, r.warmupEpochs, progress),
};

/** Options of the layer-wise optimizers (lars, lamb), kept as a remedy field for the existing API. */
const layerwise: RemedyEntry<{ granularity: SliceGranularity; trust?: number; weightDecay?: number }> = {
  name: 'layerwise',
  check(v) {
    const l = obj('layerwise', v, ['granularity', 'trust', 'weightDecay']);
    const granularity = (l.granularity ?? 'layer') as SliceGranularity;
    if (granularity !== 'layer' && granularity !== 'tensor') throw new TrainOptionError('layerwise.granularity', `must be 'layer' or 'tensor', got ${JSON.stringify(l.granularity)}`);
    const out: { granularity: SliceGranularity; trust?: number; weightDecay?: number } = { granularity };
    if (l.trust !== undefined) out.trust = num('layerwise.trust', l.trust, 0, Infinity, true);
    if (l.weightDecay !== undefined) out.weightDecay = num('layerwise.weightDecay', l.weightDecay, 0, Infinity);
    return out;
  },
};

/** The registry, in the order the hooks run. */
export const REMEDIES: readonly RemedyEntry<never>[] = Object.freeze([
  augment, ghostBatch, adversarial, sam, conservative, dynamicBatch, lrScaling, layerwise,
] as RemedyEntry<never>[]);

/** The registered remedy names, for listing and spec validation. */
export const REMEDY_NAMES: readonly string[] = Object.freeze(REMEDIES.map((r) => r.name));
