// `lbgap sweep` (sharpness and test accuracy against batch size) and `lbgap warmstart`
// (SB for k epochs, then LB: sharpness and accuracy against k), the paper's other figures.
import { defineCommand, type FlagValues } from './args.js';
import type { Io } from './io.js';
import { EXPERIMENT_FLAGS, intList, runExperimentCommand } from './reproduce_command.js';

export const SWEEP_COMMAND = defineCommand({
  name: 'sweep',
  summary: 'Train at each batch size (jobs: batch × seed) and measure test accuracy and sharpness φ; one figure of both against batch size.',
  flags: [...EXPERIMENT_FLAGS, { name: 'batch', type: 'string', metavar: 'B,B,…', help: 'batch sizes (default 64,256,1024,4096,6000)' }],
});

export const WARMSTART_COMMAND = defineCommand({
  name: 'warmstart',
  summary: 'Warm start ("piggybacking"): SB for k epochs, then LB for --epochs; test accuracy and sharpness φ against k.',
  flags: [
    ...EXPERIMENT_FLAGS,
    { name: 'k', type: 'string', metavar: 'K,K,…', help: 'epochs of small-batch training before switching (default 0,1,2,5,10,20; quick: 0,1,2)' },
    { name: 'sb', type: 'int', min: 1, help: 'small batch (default 256)' },
    { name: 'lb', type: 'int', min: 1, help: 'large batch (default 10% of the training set)' },
  ],
});

export function sweepCommand(f: FlagValues<typeof SWEEP_COMMAND.flags>, io: Io, use: string): Promise<number> {
  return runExperimentCommand('sweep', f, io, use, (s) => {
    if (f.batch !== undefined) s.batches = intList('batch', f.batch, 1, use);
  });
}

export function warmstartCommand(f: FlagValues<typeof WARMSTART_COMMAND.flags>, io: Io, use: string): Promise<number> {
  return runExperimentCommand('warmstart', f, io, use, (s) => {
    if (f.k !== undefined) s.warmstartK = intList('k', f.k, 0, use);
    if (f.sb !== undefined) s.sb = f.sb;
    if (f.lb !== undefined) s.lb = f.lb;
  });
}
