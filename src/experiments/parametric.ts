// The paper's parametric 1-D plot between two minimizers: at each α the weights are
// α·x_b + (1 − α)·x_a (x_a = SB, x_b = LB), evaluated on training and test samples.
// Batch norm uses each evaluation chunk's own batch statistics (Keras BN "mode 2", what the
// authors' code evaluates with), so the BN running statistics of neither end point enter and
// none are updated; dropout is off. The model's parameters are restored afterwards.
import type { LabeledSet, Model } from '../nn/model.js';
import { SpecError } from './spec.js';

export interface ParametricOptions {
  alphas: number[];
  /** Evaluate the first N training / test samples (null: all). */
  trainSample: number | null;
  testSample: number | null;
  /** Samples per evaluation chunk (the BN batch). */
  chunk: number;
  /** Called after every α (progress, and a place to stop). */
  onPoint?: (i: number) => void;
}

export interface ParametricCurve {
  alphas: number[]; trainLoss: number[]; trainAcc: number[]; testLoss: number[]; testAcc: number[];
  trainSamples: number; testSamples: number; batchNorm: string;
}

/** `points` evenly spaced values of [from, to], both ends included. */
export function linspace(from: number, to: number, points: number): number[] {
  if (!Number.isInteger(points) || points < 2) throw new SpecError('interpolation.points', `must be an integer ≥ 2, got ${points}`);
  return Array.from({ length: points }, (_, i) => (i === points - 1 ? to : from + ((to - from) * i) / (points - 1)));
}

export function parametricCurve(model: Model, xa: Float32Array, xb: Float32Array, train: LabeledSet, test: LabeledSet, opts: ParametricOptions): ParametricCurve {
  const n = model.numParams;
  if (xa.length !== n || xb.length !== n) throw new SpecError('interpolation', `end points must have the model's ${n} parameters, got ${xa.length} and ${xb.length}`);
  const saved = Float32Array.from(model.params.view());
  const trainN = Math.min(train.n, opts.trainSample ?? train.n), testN = Math.min(test.n, opts.testSample ?? test.n);
  const out: ParametricCurve = {
    alphas: opts.alphas.slice(), trainLoss: [], trainAcc: [], testLoss: [], testAcc: [], trainSamples: trainN, testSamples: testN,
    batchNorm: `batch statistics of each evaluation chunk of ${opts.chunk} samples (Keras mode 2); running statistics unused`,
  };
  const w = new Float32Array(n);
  try {
    opts.alphas.forEach((alpha, i) => {
      for (let j = 0; j < n; j++) w[j] = alpha * xb[j] + (1 - alpha) * xa[j];
      model.params.view().set(w);
      const tr = model.evaluate(train, { limit: trainN, batchSize: opts.chunk, batchStats: true });
      const te = model.evaluate(test, { limit: testN, batchSize: opts.chunk, batchStats: true });
      out.trainLoss.push(tr.loss); out.trainAcc.push(tr.accuracy); out.testLoss.push(te.loss); out.testAcc.push(te.accuracy);
      opts.onPoint?.(i);
    });
  } finally {
    model.params.view().set(saved);
  }
  return out;
}
