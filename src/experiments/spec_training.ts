// The training fields of an experiment spec: the optimizer (`optimizer`), the remedies of
// src/train/remedies.ts (`remedies`), and the remedy arms of a 'remedies' spec
// (`remedyRuns`). Validated here with errors naming the spec path
// (`remedyRuns[2].remedies.sam.rho: …`); turned into train() options by `trainerOptions`.
import { checkRemedies, REMEDY_FIELDS, type RemedyOptions } from '../train/remedies.js';
import { TrainOptionError } from '../train/errors.js';
import type { TrainOptions } from '../train/train.js';

export const OPTIMIZER_NAMES = ['adam', 'sgd', 'lars', 'lamb'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

/**
 * The optimizer of every run. `lr` null: the spec's top-level `lr` (what specs without this
 * field have always meant — ADAM at `lr`). trust / weightDecay / granularity are the
 * layer-wise options of 'lars' and 'lamb' (null: the optimizer's defaults).
 */
export interface OptimizerSpec {
  name: OptimizerName;
  lr: number | null;
  trust: number | null;
  weightDecay: number | null;
  granularity: 'layer' | 'tensor' | null;
}

/** The remedy options of train() (src/train/remedies.ts) minus `layerwise` (in `optimizer`). */
export type RemediesSpec = Omit<RemedyOptions, 'layerwise'>;

/** One arm of a 'remedies' spec: LB trained with these remedies (and optimizer). */
export interface RemedyRunSpec {
  name: string;
  /** null: the spec's optimizer. */
  optimizer: OptimizerSpec | null;
  remedies: RemediesSpec;
}

export const defaultOptimizer = (): OptimizerSpec => ({ name: 'adam', lr: null, trust: null, weightDecay: null, granularity: null });

/**
 * The remedies `lbgap remedies` compares by default (SB = the spec's small batch): the
 * paper's tested ones (augmentation, conservative and adversarial training), the one it only
 * proposes (dynamic sampling), and later work's (SAM, ghost BN, warmup, LARS, LAMB).
 */
export function defaultRemedyRuns(sb = 256): RemedyRunSpec[] {
  const arm = (name: string, remedies: RemediesSpec, optimizer: Partial<OptimizerSpec> | null = null): RemedyRunSpec =>
    ({ name, optimizer: optimizer ? { ...defaultOptimizer(), ...optimizer } : null, remedies });
  return [
    arm('augment', { augment: { shift: 2 } }),
    arm('conservative', { conservative: { lambda: 5, steps: 3 } }),
    arm('adversarial', { adversarial: { epsilon: 0.1, fraction: 0.5 } }),
    arm('dynamic', { dynamicBatch: { from: sb } }),
    arm('sam', { sam: { rho: 0.05 } }),
    arm('ghost', { ghostBatch: { size: 128 } }),
    arm('warmup', { lrScaling: { reference: 256, warmupEpochs: 1 } }),
    arm('lars', {}, { name: 'lars', lr: 1, trust: 0.001 }),
    arm('lamb', {}, { name: 'lamb', lr: 0.01 }),
  ];
}

/** A field of the spec is wrong; `path` names it (the spec module's SpecError). */
export type SpecErrorFactory = (path: string, problem: string) => Error;

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown) => (v === undefined ? 'nothing' : JSON.stringify(v));

/** Validates an optimizer object (already overlaid on the defaults). */
export function resolveOptimizer(path: string, v: unknown, fail: SpecErrorFactory): OptimizerSpec {
  if (!isObj(v)) throw fail(path, `must be an object { name, lr, … }, got ${show(v)}`);
  const keys = Object.keys(defaultOptimizer());
  for (const key of Object.keys(v)) if (!keys.includes(key)) throw fail(`${path}.${key}`, `unknown field (expected one of ${keys.join(', ')})`);
  const o = { ...defaultOptimizer(), ...v } as Obj;
  if (typeof o.name !== 'string' || !(OPTIMIZER_NAMES as readonly string[]).includes(o.name))
    throw fail(`${path}.name`, `must be one of ${OPTIMIZER_NAMES.map((n) => JSON.stringify(n)).join(', ')}, got ${show(o.name)}`);
  const pos = (key: string, allowZero = false): number | null => {
    const x = o[key];
    if (x === null) return null;
    if (typeof x !== 'number' || !Number.isFinite(x) || (allowZero ? x < 0 : !(x > 0)))
      throw fail(`${path}.${key}`, `must be a finite number ${allowZero ? '≥ 0' : '> 0'} or null, got ${show(x)}`);
    return x;
  };
  const out: OptimizerSpec = { name: o.name as OptimizerName, lr: pos('lr'), trust: pos('trust'), weightDecay: pos('weightDecay', true), granularity: null };
  if (o.granularity !== null) {
    if (o.granularity !== 'layer' && o.granularity !== 'tensor') throw fail(`${path}.granularity`, `must be "layer", "tensor" or null, got ${show(o.granularity)}`);
    out.granularity = o.granularity;
  }
  if (out.name !== 'lars' && out.name !== 'lamb') {
    for (const key of ['trust', 'weightDecay', 'granularity'] as const)
      if (out[key] !== null) throw fail(`${path}.${key}`, `applies to the 'lars' and 'lamb' optimizers, not ${JSON.stringify(out.name)}`);
  }
  if (out.name === 'lamb' && out.trust !== null) throw fail(`${path}.trust`, "applies to 'lars' only (LAMB's trust ratio has no coefficient)");
  return out;
}

/** Sorts object keys recursively, so the same options always serialize (and compare) alike. */
function canonical(v: unknown): unknown {
  if (!isObj(v)) return v;
  return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k])]));
}

/**
 * Validates remedy options (the trainer's own rules, with paths under `path`). Checks that
 * depend on the data or the batch (augment on images, ghost size ≤ batch) run again before
 * any job starts (see `trainerOptions`). Returns them with keys in a canonical order.
 */
export function resolveRemedies(path: string, v: unknown, epochs: number, fail: SpecErrorFactory): RemediesSpec {
  if (!isObj(v)) throw fail(path, `must be an object of remedy options (${REMEDY_FIELDS.filter((f) => f !== 'layerwise').join(', ')}), got ${show(v)}`);
  for (const key of Object.keys(v)) {
    if (key === 'layerwise') throw fail(`${path}.layerwise`, "is set in the optimizer (optimizer.trust, optimizer.weightDecay, optimizer.granularity with name 'lars' or 'lamb')");
    if (!(REMEDY_FIELDS as readonly string[]).includes(key)) throw fail(`${path}.${key}`, `unknown remedy (expected one of ${REMEDY_FIELDS.filter((f) => f !== 'layerwise').join(', ')})`);
  }
  try {
    // Shape and batch are not known here: an image shape and an unbounded batch pass every
    // data-independent rule; the real ones are checked per job before training.
    checkRemedies(v as RemedyOptions, { shape: [28, 28, 1], batchSize: Number.MAX_SAFE_INTEGER, epochs, seed: 0 });
  } catch (e) {
    if (e instanceof TrainOptionError) throw fail(`${path}.${e.option}`, e.message.slice(e.option.length + 2));
    throw e;
  }
  return canonical(v) as RemediesSpec;
}

/** Validates the arms of a 'remedies' spec. */
export function resolveRemedyRuns(path: string, v: unknown, epochs: number, fail: SpecErrorFactory): RemedyRunSpec[] {
  if (!Array.isArray(v)) throw fail(path, `must be a list of { name, optimizer, remedies }, got ${show(v)}`);
  const seen = new Set<string>(['SB', 'LB']);
  return v.map((arm, i) => {
    const p = `${path}[${i}]`;
    if (!isObj(arm)) throw fail(p, `must be an object { name, optimizer, remedies }, got ${show(arm)}`);
    for (const key of Object.keys(arm)) if (!['name', 'optimizer', 'remedies'].includes(key)) throw fail(`${p}.${key}`, 'unknown field (expected one of name, optimizer, remedies)');
    if (typeof arm.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.+-]{0,39}$/.test(arm.name))
      throw fail(`${p}.name`, `must be a name of letters, digits, _ . + - (at most 40), got ${show(arm.name)}`);
    if (seen.has(arm.name)) throw fail(`${p}.name`, `${JSON.stringify(arm.name)} is used twice (SB and LB are the plain runs)`);
    seen.add(arm.name);
    return {
      name: arm.name,
      optimizer: arm.optimizer === undefined || arm.optimizer === null ? null : resolveOptimizer(`${p}.optimizer`, arm.optimizer, fail),
      remedies: resolveRemedies(`${p}.remedies`, arm.remedies ?? {}, epochs, fail),
    };
  });
}

/**
 * The train() options of an optimizer and remedies (`lr` falls back to `specLr`). No remedy
 * and no layer-wise option gives exactly the options the runner always passed (ADAM at lr).
 */
export function trainerOptions(optimizer: OptimizerSpec, remedies: RemediesSpec, specLr: number): Partial<TrainOptions> {
  const o: Partial<TrainOptions> = { optimizer: optimizer.name, lr: optimizer.lr ?? specLr, ...(structuredClone(remedies) as RemediesSpec) };
  const lw: NonNullable<RemedyOptions['layerwise']> = {};
  if (optimizer.granularity !== null) lw.granularity = optimizer.granularity;
  if (optimizer.trust !== null) lw.trust = optimizer.trust;
  if (optimizer.weightDecay !== null) lw.weightDecay = optimizer.weightDecay;
  if (Object.keys(lw).length) o.layerwise = lw;
  return o;
}

/** Checks train() options against the data's sample shape and a run's batch and epochs; `path` names the spec field. */
export function checkTrainerOptions(o: Partial<TrainOptions>, ctx: { shape: readonly number[]; batchSize: number; epochs: number }, path: string, fail: SpecErrorFactory): void {
  try {
    checkRemedies(o, { ...ctx, seed: 0 });
  } catch (e) {
    if (e instanceof TrainOptionError) throw fail(`${path}.${e.option}`, `${e.message.slice(e.option.length + 2)} (batch ${ctx.batchSize}, sample shape [${ctx.shape.join(', ')}])`);
    throw e;
  }
}
