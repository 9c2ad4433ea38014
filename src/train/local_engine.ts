// The in-thread Engine: the caller's Model and an Optimizer in this thread, one step per
// mini-batch through RemedyStepper (step.ts's program with synchronous answers).
import type { Dataset } from '../data/dataset.js';
import type { Metrics, Model } from '../nn/model.js';
import type { Optimizer } from '../optim/optimizer.js';
import { buildOptimizer } from '../optim/registry.js';
import type { Engine, EngineState, EpochPlan, EpochRun } from './engine.js';
import { RemedyStepper } from './remedies.js';
import type { RunSetup, TrainData } from './setup.js';
import { restore } from './snapshot.js';

/** Copies the samples at `indices` (rows of `ds`) into x and their labels into y. */
export function gatherSamples(ds: Pick<Dataset, 'x' | 'y' | 'shape'>, indices: ArrayLike<number>, x: Float32Array, y: Int32Array): void {
  const d = ds.shape.reduce((a, b) => a * b, 1), X = ds.x, Y = ds.y;
  for (let j = 0; j < indices.length; j++) {
    const i = indices[j];
    x.set(X.subarray(i * d, i * d + d), j * d);
    y[j] = Y[i];
  }
}

export class LocalEngine implements Engine {
  private readonly stepper: RemedyStepper;

  private constructor(private readonly model: Model, private readonly data: TrainData, private readonly setup: RunSetup,
    private readonly optimizer: Optimizer, private readonly ownOptimizer: boolean) {
    this.stepper = new RemedyStepper(model, optimizer, setup.remedies, data.train);
  }

  /** Builds the optimizer (or takes the instance), restores a checkpoint being resumed, reserves the batch. */
  static create(model: Model, data: TrainData, setup: RunSetup): LocalEngine {
    const o = setup.optimizer;
    let optimizer: Optimizer, own: boolean;
    if ('instance' in o) {
      optimizer = o.instance; own = false;
      if (o.lr !== undefined) optimizer.lr = o.lr;
    } else {
      optimizer = buildOptimizer(model.k, model.numParams, o.name, o.options, { model }); own = true;
    }
    try {
      if (setup.resume) restore(model, optimizer, setup.resume.checkpoint, setup.resume.where);
      model.reserve(setup.batchSize);
      return new LocalEngine(model, data, setup, optimizer, own);
    } catch (e) {
      if (own) optimizer.dispose();
      throw e;
    }
  }

  async runEpoch(plan: EpochPlan): Promise<EpochRun> {
    const m = this.model, ds = this.data.train, B = plan.batchSize, onStep = this.setup.onStep;
    const t0 = performance.now();
    let lossSum = 0, samples = 0;
    const first = plan.firstStep ?? 0;
    for (let b = first; b < first + plan.steps; b++) {
      const idx = plan.order.subarray(b * B, Math.min((b + 1) * B, ds.n));
      const n = idx.length, globalStep = plan.globalStep + b - first + 1;
      gatherSamples(ds, idx, m.inputView(n), m.labelsView(n));
      const loss = this.stepper.gradient(n, globalStep - 1);
      if (!Number.isFinite(loss)) {
        return { lossSum, samples, steps: b - first, seconds: (performance.now() - t0) / 1000, nonFinite: { epoch: plan.epoch, step: b + 1, globalStep, loss } };
      }
      this.stepper.update(B, plan.epoch - 1 + b / plan.stepsPerEpoch);
      lossSum += loss * n; samples += n;
      onStep?.({ epoch: plan.epoch, step: b + 1, globalStep, loss });
    }
    return { lossSum, samples, steps: plan.steps, seconds: (performance.now() - t0) / 1000, nonFinite: null };
  }

  async evaluate(which: 'train' | 'test'): Promise<Metrics> {
    if (which === 'train') return this.model.evaluate(this.data.train, { limit: this.setup.trainEval, batchSize: this.setup.evalBatchSize });
    return this.model.evaluate(this.data.test!, { batchSize: this.setup.evalBatchSize });
  }

  async state(): Promise<EngineState> {
    const m = this.model;
    return { params: m.params.view().slice(), buffers: m.buffers.view().slice(), trainForwards: m.trainForwards, optimizer: this.optimizer.state() };
  }

  async syncToModel(): Promise<void> { /* the model is trained in place */ }

  runInfo(): Record<string, unknown> { return {}; }

  async dispose(): Promise<void> {
    this.stepper.dispose();
    if (this.ownOptimizer) this.optimizer.dispose();
  }
}
