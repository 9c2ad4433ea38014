// Learning-rate and batch-size schedules, as pure functions of training progress so that a
// resumed run recomputes exactly the values an uninterrupted run used.
import { OptimizerOptionError } from './optimizer.js';

/**
 * Linear LR scaling with linear warmup (Goyal et al. 2017): the target rate is
 * base · batch / reference; during the first `warmupEpochs` it ramps linearly from `base`
 * (at progress 0) to the target (at progress warmupEpochs), then stays there.
 * `progress` is the fractional epoch at the start of the step: (epoch − 1) + step / stepsPerEpoch.
 */
export function warmupScaledLr(base: number, batch: number, reference: number, warmupEpochs: number, progress: number): number {
  const target = base * batch / reference;
  if (!(warmupEpochs > 0) || progress >= warmupEpochs) return target;
  return base + (target - base) * (progress / warmupEpochs);
}

/**
 * Dynamic sampling (batch size grows during training; Smith et al. 2018 use it instead of LR
 * decay): geometric growth from `from` in epoch 1 to `to` in epoch `over` (and after),
 * b_e = round(from · (to/from)^((e − 1)/(over − 1))). over = 1 gives `to` from the start.
 */
export function geometricBatchSize(from: number, to: number, over: number, epoch: number): number {
  if (!Number.isInteger(epoch) || epoch < 1) throw new OptimizerOptionError('epoch', `must be an integer ≥ 1, got ${epoch}`);
  if (over <= 1 || epoch >= over) return to;
  return Math.round(from * Math.pow(to / from, (epoch - 1) / (over - 1)));
}
