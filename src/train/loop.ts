// THE training loop, over any Engine (engine.ts): option checks, resume, the epochs (seeded
// order, the remedies' batch size per epoch), NaN/Inf stop, evaluation and per-epoch metrics,
// checkpoints and the stopping rules (plateau, target). train() runs it in-thread,
// trainParallel() over a worker pool; both give the same results for one worker.
import { Batcher } from '../data/batcher.js';
import type { Model } from '../nn/model.js';
import { Rng } from '../util/rng.js';
import { loadCheckpoint, readCheckpoint, saveCheckpoint, writeCheckpoint, type Checkpoint } from './checkpoint.js';
import type { Engine, EpochRun } from './engine.js';
import { NonFiniteLossError } from './errors.js';
import type { EpochMetrics, TargetCheck } from './metrics.js';
import { epochBatchSize } from './remedies.js';
import { posInt, resolveSetup, type OptionErrorOf, type RunSetup, type SetupOptions, type TrainData } from './setup.js';
import { checkpointTensors } from './snapshot.js';
import type { Store } from './store.js';

export interface PlateauRule {
  patience: number;
  minDelta: number;
  /** Never stop before this many epochs (default 0). */
  minEpochs?: number;
}

/**
 * Stop as soon as a target is reached: the evaluated training loss ≤ `value` ('trainLoss') or
 * the test accuracy ≥ `value` ('testAcc'). The loop evaluates between steps — first once
 * `from` training samples have been seen, then each time the samples seen have grown by the
 * factor `growth` (and at every epoch end) — so the samples and steps to the target are known
 * to within that factor at any batch size; training stops at the first evaluation that meets
 * the target, mid-epoch if need be (that epoch's record is partial). The evaluations are kept
 * in the epochs' `checks`, so a resumed run stops where a straight one does.
 */
export interface TargetRule {
  metric: 'trainLoss' | 'testAcc';
  value: number;
  growth: number;
  from?: number;
}

export const TARGET_METRICS = ['trainLoss', 'testAcc'] as const;

/** True when the evaluation `c` meets the target. */
export function meetsTarget(c: TargetCheck, target: TargetRule): boolean {
  return target.metric === 'trainLoss' ? c.trainLoss !== null && c.trainLoss <= target.value : c.testAcc !== null && c.testAcc >= target.value;
}

/** The first evaluation in `history` that meets the target (null: not reached, or no rule). */
export function targetReachedAt(history: readonly EpochMetrics[], target: TargetRule | undefined): TargetCheck | null {
  if (!target) return null;
  for (const m of history) for (const c of m.checks ?? []) if (meetsTarget(c, target)) return c;
  return null;
}

export interface LoopOptions extends SetupOptions {
  /** Total epochs (a resumed run continues up to this count). */
  epochs: number;
  /**
   * Extra fields for the checkpoint's `run` record (e.g. the CLI's data set, sample limit and
   * kernel build), so a resume can restore the settings train() itself does not know.
   */
  runInfo?: Record<string, unknown>;
  /** After every epoch's metrics, before its checkpoint (a returned promise is awaited first). */
  onEpoch?: ((m: EpochMetrics) => void) | ((m: EpochMetrics) => Promise<void>);
  /** Save a checkpoint every `every` epochs (and after the last one). */
  checkpoint?: { path: string; every?: number };
  /** Resume from a checkpoint file (Node), a checkpoint of `store`, or a decoded checkpoint. */
  resume?: string | Checkpoint;
  /** Where `checkpoint.path` and a `resume` name live (store.ts); without it, they are files (Node). */
  store?: Store;
  /**
   * The paper's stopping rule ("until the loss function ceased to improve"): stop once the
   * evaluated training loss has not fallen below the best so far by more than `minDelta`
   * (absolute, as Keras's EarlyStopping) for `patience` epochs; `epochs` stays the cap.
   * Decided from the metrics history alone, so a resumed run stops where a straight one does.
   */
  plateau?: PlateauRule;
  /** Stop when a target is reached (see TargetRule); `epochs` stays the cap. */
  target?: TargetRule;
}

function checkTarget(t: TargetRule, hasTest: boolean, errorOf: OptionErrorOf): void {
  if (typeof t !== 'object' || t === null) throw errorOf('target', 'must be { metric, value, growth, from? }');
  if (!(TARGET_METRICS as readonly string[]).includes(t.metric)) throw errorOf('target.metric', `must be one of ${TARGET_METRICS.join(', ')}, got ${JSON.stringify(t.metric)}`);
  const ok = t.metric === 'trainLoss' ? Number.isFinite(t.value) && t.value > 0 : Number.isFinite(t.value) && t.value > 0 && t.value <= 1;
  if (!ok) throw errorOf('target.value', `must be ${t.metric === 'trainLoss' ? 'a finite loss > 0' : 'an accuracy in (0, 1]'}, got ${JSON.stringify(t.value)}`);
  if (!(Number.isFinite(t.growth) && t.growth > 1)) throw errorOf('target.growth', `must be a finite number > 1, got ${JSON.stringify(t.growth)}`);
  if (t.from !== undefined && !(Number.isFinite(t.from) && t.from >= 0)) throw errorOf('target.from', `must be a finite number ≥ 0, got ${JSON.stringify(t.from)}`);
  if (t.metric === 'testAcc' && !hasTest) throw errorOf('target.metric', "'testAcc' needs a test set");
}

/** Epochs since the last improvement of the training loss by more than minDelta. */
export function epochsWithoutImprovement(history: readonly EpochMetrics[], minDelta: number): number {
  let best = Infinity, since = 0;
  for (const m of history) {
    if (m.trainLoss < best - minDelta) { best = m.trainLoss; since = 0; } else since++;
  }
  return since;
}

/** True when `plateau` says training has stopped improving after `history`. */
export function plateaued(history: readonly EpochMetrics[], plateau: PlateauRule | undefined): boolean {
  return plateau !== undefined && history.length > 0 && history.length >= (plateau.minEpochs ?? 0) &&
    epochsWithoutImprovement(history, plateau.minDelta) >= plateau.patience;
}

/**
 * Trains through the engine `makeEngine` builds and returns the metrics of every epoch
 * (including those before a resume). The model holds the result at the end (also after a
 * NonFiniteLossError: the parameters after the last finite step). Bad options throw
 * `errorOf(option, message)`; the engine is always disposed.
 */
export async function runTraining(model: Model, data: TrainData, opts: LoopOptions, makeEngine: (setup: RunSetup) => Promise<Engine>, errorOf: OptionErrorOf): Promise<EpochMetrics[]> {
  const epochs = posInt(errorOf, 'epochs', opts.epochs, 0);
  const setup0 = resolveSetup(model, data, opts, epochs, errorOf);
  const every = opts.checkpoint ? posInt(errorOf, 'checkpoint.every', opts.checkpoint.every ?? 1) : 0;
  if (opts.checkpoint && (typeof opts.checkpoint.path !== 'string' || !opts.checkpoint.path)) throw errorOf('checkpoint.path', 'must be a non-empty string');
  if (opts.plateau !== undefined) {
    posInt(errorOf, 'plateau.patience', opts.plateau.patience);
    if (opts.plateau.minEpochs !== undefined) posInt(errorOf, 'plateau.minEpochs', opts.plateau.minEpochs, 0);
    if (typeof opts.plateau.minDelta !== 'number' || !(opts.plateau.minDelta >= 0) || !Number.isFinite(opts.plateau.minDelta)) throw errorOf('plateau.minDelta', `must be a finite number ≥ 0, got ${JSON.stringify(opts.plateau.minDelta)}`);
  }
  if (opts.target !== undefined) checkTarget(opts.target, !!data.test, errorOf);
  const target = opts.target;
  let resume: RunSetup['resume'] = null;
  if (opts.resume !== undefined) {
    const r = opts.resume, store = opts.store;
    const checkpoint = typeof r === 'string' ? await (store ? readCheckpoint(store, r) : loadCheckpoint(r)) : r;
    resume = { checkpoint, where: typeof r === 'string' ? (store ? store.where(r) : r) : '<checkpoint>' };
  }
  const setup: RunSetup = { ...setup0, resume };
  const engine = await makeEngine(setup);
  try {
    const o = setup.optimizer;
    const run: Record<string, unknown> = {
      ...opts.runInfo, batchSize: setup.batchSize, seed: setup.seed,
      optimizer: 'instance' in o ? o.instance.type : o.name, lr: 'instance' in o ? o.instance.lr : o.options.lr,
      dropLast: setup.dropLast, trainEvalSamples: setup.trainEval,
    };
    if (opts.optimizerOptions !== undefined) run.optimizerOptions = opts.optimizerOptions;
    if (setup.remedies) run.remedies = setup.remedies;
    Object.assign(run, engine.runInfo());
    const c = resume?.checkpoint;
    const rng = new Rng(c ? c.rng : setup.seed);
    let globalStep = c ? c.step : 0;
    const history: EpochMetrics[] = c ? c.history.slice() : [];
    const fixed = new Batcher(data.train, setup.batchSize, rng, { dropLast: setup.dropLast });
    // The target rule's running totals continue from the last evaluation before a resume.
    const lastCheck = history.flatMap((m) => m.checks ?? []).at(-1);
    let examples = lastCheck?.examples ?? 0, stepSeconds = lastCheck?.seconds ?? 0;
    let nextCheck = lastCheck ? lastCheck.examples * (target?.growth ?? 1) : target?.from ?? 0;
    const check = async (): Promise<TargetCheck> => {
      const which = target!.metric === 'testAcc' ? 'test' : 'train';
      const e = await engine.evaluate(which);
      nextCheck = examples * target!.growth;
      return {
        step: globalStep, examples, seconds: stepSeconds, trainLoss: which === 'train' ? e.loss : null, trainAcc: which === 'train' ? e.accuracy : null,
        testLoss: which === 'test' ? e.loss : null, testAcc: which === 'test' ? e.accuracy : null,
      };
    };
    try {
      for (let epoch = (c?.epoch ?? 0) + 1; epoch <= epochs && !plateaued(history, opts.plateau) && !targetReachedAt(history, target); epoch++) {
        // Dynamic sampling: a Batcher per epoch batch size, all drawing from the one shuffling Rng.
        const B = epochBatchSize(setup.remedies, setup.batchSize, epoch);
        const batcher = B === setup.batchSize ? fixed : new Batcher(data.train, B, rng, { dropLast: setup.dropLast });
        const nb = batcher.batchesPerEpoch;
        const order = batcher.epochOrder();
        const r: EpochRun = { lossSum: 0, samples: 0, steps: 0, seconds: 0, nonFinite: null };
        const checks: TargetCheck[] = [];
        let reached = false, evalSeconds = 0;
        // Without a target, one piece: the whole epoch. With one, pieces that end where the
        // samples seen reach the next evaluation point.
        while (r.steps < nb && !r.nonFinite && !reached) {
          const n = target ? Math.min(nb - r.steps, Math.max(1, Math.ceil((nextCheck - examples) / B))) : nb;
          const p = await engine.runEpoch({ epoch, order, batchSize: B, firstStep: r.steps, steps: n, stepsPerEpoch: nb, globalStep });
          r.lossSum += p.lossSum; r.samples += p.samples; r.steps += p.steps; r.seconds += p.seconds; r.nonFinite = p.nonFinite;
          globalStep += p.steps; examples += p.samples; stepSeconds += p.seconds;
          if (target && !p.nonFinite && r.steps < nb && examples >= nextCheck) {
            const e0 = performance.now();
            checks.push(await check());
            evalSeconds += (performance.now() - e0) / 1000;
            reached = meetsTarget(checks[checks.length - 1], target);
          }
        }
        if (r.nonFinite) throw new NonFiniteLossError(r.nonFinite.epoch, r.nonFinite.step, r.nonFinite.globalStep, r.nonFinite.loss);
        const e0 = performance.now();
        const tr = await engine.evaluate('train');
        const te = data.test ? await engine.evaluate('test') : null;
        const m: EpochMetrics = {
          epoch, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te ? te.loss : null, testAcc: te ? te.accuracy : null,
          batchLoss: r.lossSum / r.samples, seconds: r.seconds, evalSeconds: evalSeconds + (performance.now() - e0) / 1000,
          steps: globalStep, samplesPerSecond: r.samples / r.seconds,
        };
        if (target) {
          // The epoch end is an evaluation too (unless the target stopped the epoch just before it).
          if (!reached) {
            checks.push({ step: globalStep, examples, seconds: stepSeconds, trainLoss: tr.loss, trainAcc: tr.accuracy, testLoss: te ? te.loss : null, testAcc: te ? te.accuracy : null });
            nextCheck = examples * target.growth;
          }
          m.checks = checks;
        }
        history.push(m);
        await opts.onEpoch?.(m);
        if (opts.checkpoint && (epoch % every === 0 || epoch === epochs || plateaued(history, opts.plateau) || targetReachedAt(history, target))) {
          const s = await engine.state();
          const save = opts.store ? (c: Checkpoint) => writeCheckpoint(opts.store!, opts.checkpoint!.path, c) : (c: Checkpoint) => saveCheckpoint(opts.checkpoint!.path, c);
          await save({
            spec: model.toJSON(), epoch, step: globalStep, rng: rng.state(), dropoutBase: model.dropoutBase,
            trainForwards: s.trainForwards, params: s.params, buffers: s.buffers, optimizer: s.optimizer, history: history.slice(), run,
            tensors: checkpointTensors(model),
          });
        }
      }
    } catch (e) {
      if (e instanceof NonFiniteLossError) await engine.syncToModel();
      throw e;
    }
    await engine.syncToModel();
    return history;
  } finally {
    await engine.dispose();
  }
}
