// `lbgap frontier`: for a network, data and this machine, which batch size reaches a target
// (training loss or test accuracy) fastest in wall time, and what it costs in generalization
// (src/experiments/frontier_spec.ts). Runs on the experiment runner like reproduce and sweep.
import { defineCommand, UsageError, type FlagValues } from './args.js';
import type { Io } from './io.js';
import { experimentFlags, intList, runExperimentCommand } from './reproduce_command.js';

export const FRONTIER_COMMAND = defineCommand({
  name: 'frontier',
  summary: 'Time a training step at each batch size alone, in-thread and over the --jobs workers (one job, run first), then train each batch size to a target (jobs: batch × seed): step cost, steps and wall time to the target, the McCandlish et al. model fitted to them, B_simple, and test accuracy, φ and λ_max at the target; the fastest batch and its price.',
  flags: [
    ...experimentFlags("protocol: 'quick' (F1 on MNIST, 1 seed, batches 32,128,512,2048,4096 to training loss ≤ 0.15, at most 15 epochs, φ and λ_max on 2000 samples; about 4 min on 2 cores) or 'paper' (3 seeds, powers of two from 32 to 10 % of the data, training loss ≤ 0.1, at most 30 epochs; ~40 min on 2 cores)"),
    { name: 'batch', type: 'string', metavar: 'B,B,…', help: 'batch sizes (default: powers of two from 32 up to 10% of the training set; quick: 32,128,512,2048,4096)' },
    { name: 'target-loss', type: 'number', min: 0, minExclusive: true, metavar: 'X', help: 'target: training loss ≤ X (evaluation mode; default 0.1, quick 0.15)' },
    { name: 'target-acc', type: 'number', min: 0, minExclusive: true, max: 1, metavar: 'Y', help: 'target: test accuracy ≥ Y, a fraction (e.g. 0.97) instead of a loss' },
  ],
});

export function frontierCommand(f: FlagValues<typeof FRONTIER_COMMAND.flags>, io: Io, use: string): Promise<number> {
  if (f['target-loss'] !== undefined && f['target-acc'] !== undefined) throw new UsageError('--target-loss and --target-acc: give one target, not both', use);
  return runExperimentCommand('frontier', f, io, use, (s) => {
    const fr = s.frontier as Record<string, unknown>;
    if (f.batch !== undefined) fr.batches = intList('batch', f.batch, 1, use);
    if (f['target-loss'] !== undefined) fr.target = { metric: 'trainLoss', value: f['target-loss'] };
    if (f['target-acc'] !== undefined) fr.target = { metric: 'testAcc', value: f['target-acc'] };
  });
}
