// Every optimizer by name: ONE entry each (default learning rate, its options and how to check
// them, whether it is elementwise, a factory). Trainers, both engines (in-thread and the worker
// pool) and spec validation read this table; adding an optimizer is its class file plus an
// entry here.
import type { Kernels } from '../kernels/kernels.js';
import type { Model } from '../nn/model.js';
import { Adam } from './adam.js';
import { Lamb } from './lamb.js';
import { Lars } from './lars.js';
import { checkHyper, OptimizerOptionError, type Optimizer } from './optimizer.js';
import { layerSlices, type SliceGranularity } from './slices.js';
import { Sgd } from './sgd.js';

/** How one option is checked: a number in a range, a boolean, or one of some strings. */
export type OptionRule =
  | { kind: 'number'; lo: number; hi: number; openLo?: boolean }
  | { kind: 'boolean' }
  | { kind: 'enum'; values: readonly string[] };

/** What a factory may need besides kernels and the vector length. */
export interface OptimizerContext {
  /** The model whose flat vector is optimized (layer-wise optimizers read its parameter table). */
  model?: Pick<Model, 'paramTensors' | 'numParams'>;
}

export interface OptimizerEntry {
  readonly name: string;
  readonly defaultLr: number;
  /**
   * True when each element's update depends only on that element (and its own state): the
   * update can then run on any slice of the vector, e.g. one per worker (reduce-scatter).
   * False (layer-wise trust ratios): one participant updates the whole vector.
   */
  readonly elementwise: boolean;
  /** The options besides lr, each with its rule (the constructor checks them again). */
  readonly options: Readonly<Record<string, OptionRule>>;
  /** Builds it for n parameters from checked options (lr included). */
  create(k: Kernels, n: number, options: Record<string, unknown>, ctx: OptimizerContext): Optimizer;
}

const num = (lo: number, hi: number, openLo = false): OptionRule => ({ kind: 'number', lo, hi, openLo });
const moments = { beta1: num(0, 1), beta2: num(0, 1), eps: num(0, 1, true), weightDecay: num(0, Infinity) };
const granularity: OptionRule = { kind: 'enum', values: ['layer', 'tensor'] };

function slicesOf(name: string, n: number, options: Record<string, unknown>, ctx: OptimizerContext) {
  if (!ctx.model) throw new OptimizerOptionError('optimizer', `${JSON.stringify(name)} scales per layer and needs the model (its parameter table)`);
  if (ctx.model.numParams !== n) throw new OptimizerOptionError('optimizer', `${JSON.stringify(name)} updates the whole vector: n must be the model's ${ctx.model.numParams} parameters, got ${n}`);
  return layerSlices(ctx.model, (options.granularity as SliceGranularity | undefined) ?? 'layer');
}

function entries(list: OptimizerEntry[]): Readonly<Record<string, OptimizerEntry>> {
  return Object.freeze(Object.fromEntries(list.map((e) => [e.name, Object.freeze(e)])));
}

/** The registry, by name. */
export const OPTIMIZERS = entries([
  {
    name: 'adam', defaultLr: 1e-3, elementwise: true, options: moments,
    create: (k, n, o) => new Adam(k, n, o),
  },
  {
    name: 'sgd', defaultLr: 0.01, elementwise: true,
    options: { momentum: num(0, 1), nesterov: { kind: 'boolean' }, weightDecay: num(0, Infinity) },
    create: (k, n, o) => new Sgd(k, n, o),
  },
  {
    name: 'lars', defaultLr: 1, elementwise: false,
    options: { momentum: num(0, 1), weightDecay: num(0, Infinity), trust: num(0, Infinity, true), granularity },
    create: (k, n, o, ctx) => { const { granularity: _g, ...h } = o; return new Lars(k, n, slicesOf('lars', n, o, ctx), h); },
  },
  {
    name: 'lamb', defaultLr: 1e-3, elementwise: false, options: { ...moments, granularity },
    create: (k, n, o, ctx) => { const { granularity: _g, ...h } = o; return new Lamb(k, n, slicesOf('lamb', n, o, ctx), h); },
  },
]);

/** The registered optimizer names, for listing and spec validation. */
export const OPTIMIZER_NAMES: readonly string[] = Object.freeze(Object.keys(OPTIMIZERS));

/** The entry of `name`, or an OptimizerOptionError('optimizer') listing the names. */
export function optimizerEntry(name: unknown): OptimizerEntry {
  if (typeof name !== 'string' || !Object.hasOwn(OPTIMIZERS, name)) {
    throw new OptimizerOptionError('optimizer', `must be one of ${OPTIMIZER_NAMES.map((n) => `'${n}'`).join(', ')}, got ${JSON.stringify(name)}`);
  }
  return OPTIMIZERS[name];
}

/**
 * Checks a named optimizer's options (lr and the entry's options; JSON-able values) and returns
 * them with lr filled in. Errors are OptimizerOptionError naming `${field}.${option}` (field
 * defaults to 'optimizerOptions'; lr is named 'lr').
 */
export function checkOptimizerOptions(name: unknown, options: unknown = {}, lr?: unknown, field = 'optimizerOptions'): Record<string, unknown> & { lr: number } {
  const e = optimizerEntry(name);
  if (options === null || typeof options !== 'object' || Array.isArray(options)) throw new OptimizerOptionError(field, `must be an object with some of ${Object.keys(e.options).join(', ')}, got ${JSON.stringify(options)}`);
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(options)) {
    const rule = e.options[key], where = `${field}.${key}`;
    if (!rule) throw new OptimizerOptionError(where, `is not an option of ${e.name} (${Object.keys(e.options).join(', ') || 'none'})`);
    if (rule.kind === 'number') {
      if (typeof v !== 'number' || !Number.isFinite(v) && v !== Infinity) throw new OptimizerOptionError(where, `must be a number, got ${JSON.stringify(v)}`);
      try { checkHyper(where, v, rule.lo, rule.hi, rule.openLo); } catch (err) { throw new OptimizerOptionError(where, (err as Error).message.replace(/^[^:]*: /, '')); }
      if ((key === 'beta1' || key === 'beta2') && v === 1) throw new OptimizerOptionError(where, 'must be < 1');
    } else if (rule.kind === 'boolean') {
      if (typeof v !== 'boolean') throw new OptimizerOptionError(where, `must be a boolean, got ${JSON.stringify(v)}`);
    } else if (!rule.values.includes(v as string)) {
      throw new OptimizerOptionError(where, `must be ${rule.values.map((x) => `'${x}'`).join(' or ')}, got ${JSON.stringify(v)}`);
    }
    out[key] = v;
  }
  const rate = lr ?? e.defaultLr;
  if (typeof rate !== 'number' || !(rate > 0) || !Number.isFinite(rate)) throw new OptimizerOptionError('lr', `must be a positive finite number, got ${JSON.stringify(lr)}`);
  return { ...out, lr: rate };
}

/** Builds a named optimizer for n parameters (options checked first). */
export function buildOptimizer(k: Kernels, n: number, name: string, options: Record<string, unknown> = {}, ctx: OptimizerContext = {}): Optimizer {
  const { lr, ...rest } = options;
  return optimizerEntry(name).create(k, n, checkOptimizerOptions(name, rest, lr), ctx);
}
