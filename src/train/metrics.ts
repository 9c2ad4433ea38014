// Per-epoch metrics: plain data, written into results and checkpoints.
export interface EpochMetrics {
  /** 1-based epoch number. */
  epoch: number;
  /** Evaluation-mode loss/accuracy on the training set (or its first `trainEvalSamples`). */
  trainLoss: number;
  trainAcc: number;
  /** Evaluation-mode metrics on the test set; null without one. */
  testLoss: number | null;
  testAcc: number | null;
  /** Mean of the training-mode mini-batch losses during the epoch. */
  batchLoss: number;
  /** Wall time of the epoch's optimizer steps, and of its evaluations. */
  seconds: number;
  evalSeconds: number;
  /** Optimizer steps so far (cumulative) and training samples per second this epoch. */
  steps: number;
  samplesPerSecond: number;
  /**
   * Under the target stopping rule (loop.ts): the evaluations of this epoch, between steps
   * and at its end, in order. Absent without the rule.
   */
  checks?: TargetCheck[];
}

/** One evaluation of the target stopping rule, after `step` optimizer steps in all. */
export interface TargetCheck {
  step: number;
  /** Training samples seen so far, and the wall time of the optimizer steps so far (evaluations excluded). */
  examples: number;
  seconds: number;
  /** The evaluated set's metrics (evaluation mode); the other set's are null. */
  trainLoss: number | null;
  trainAcc: number | null;
  testLoss: number | null;
  testAcc: number | null;
}
