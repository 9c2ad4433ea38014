// `lbgap remedies`: plain SB, plain LB and LB with each remedy (src/train/remedies.ts,
// LARS/LAMB) from the same initial weights per seed — a 'remedies' experiment spec run by the
// one runner (src/experiments/runner.ts), so it has --dump-spec, --spec, --resume, --shard,
// --jobs, `lbgap merge` and `lbgap report` like every experiment command. The flags below only
// edit the spec's remedy arms (`remedyRuns`).
import { remediesPreset } from '../experiments/remedies.js';
import { defineCommand, UsageError, type FlagValues } from './args.js';
import type { Io } from './io.js';
import { experimentFlags, runExperimentCommand } from './reproduce_command.js';

export const REMEDIES_COMMAND = defineCommand({
  name: 'remedies',
  summary: 'Plain SB, plain LB, and LB with each remedy (augmentation, conservative training, FGSM, dynamic sampling, SAM, ghost BN, LR warmup, LARS, LAMB) from the same initial weights: test accuracy and sharpness φ(1e-3); writes results.json and REPORT.md. Quick preset: ~10 min on 2 cores (6000 MNIST samples, 1 seed, 3 epochs).',
  flags: [
    ...experimentFlags("protocol: 'quick' (1 seed, 3 epochs on 6000 MNIST samples, cheap measurements) or 'paper' (5 seeds, 20 epochs on all of MNIST; hours)"),
    { name: 'test-limit', type: 'int', min: 1, metavar: 'N', help: 'evaluate test accuracy on the first N test samples (spec field data.testLimit)' },
    { name: 'remedies', type: 'string', metavar: 'R,R,…', help: 'run only these arms of the spec (default: augment, conservative, adversarial, dynamic, sam, ghost, warmup, lars, lamb)' },
    { name: 'sb', type: 'int', min: 1, help: 'small batch size (default 256; also where dynamic sampling starts)' },
    { name: 'lb', type: 'int', min: 1, metavar: 'N', help: 'large batch size (default 10% of the training samples)' },
    { name: 'shift', type: 'int', min: 1, help: 'augment: max shift in pixels (no flips: digits; default 2)' },
    { name: 'lambda', type: 'number', min: 0, minExclusive: true, help: 'conservative: λ of the proximal term (3 steps per batch; default 5)' },
    { name: 'fgsm-eps', type: 'number', min: 0, minExclusive: true, help: 'adversarial: FGSM ε (pixels in [0, 1]); half of each batch is adversarial (default 0.1)' },
    { name: 'rho', type: 'number', min: 0, minExclusive: true, help: 'sam: radius ρ (default 0.05)' },
    { name: 'ghost', type: 'int', min: 1, help: 'ghost: virtual batch size of batch norm (default 128)' },
    { name: 'warmup', type: 'number', min: 0, help: 'warmup: epochs of linear warmup to lr·LB/256 (default 1)' },
    { name: 'lars-lr', type: 'number', min: 0, minExclusive: true, help: 'lars: global learning rate (trust 0.001, momentum 0.9; default 1)' },
    { name: 'lamb-lr', type: 'number', min: 0, minExclusive: true, help: 'lamb: learning rate (default 0.01)' },
    { name: 'sharpness-samples', aliases: ['sharpness-sample'], type: 'int', min: 0, metavar: 'N', help: 'training samples for φ (0: no sharpness; spec field sharpness.sample)' },
  ],
});

type RemediesFlags = FlagValues<typeof REMEDIES_COMMAND.flags>;

type Arm = { name: string; optimizer: Record<string, unknown> | null; remedies: Record<string, Record<string, unknown>> };

/** The flags that set one option of one arm: flag → [arm, where in the arm, field]. */
const ARM_FLAGS: [flag: keyof RemediesFlags & string, arm: string, part: string, field: string][] = [
  ['shift', 'augment', 'augment', 'shift'],
  ['lambda', 'conservative', 'conservative', 'lambda'],
  ['fgsm-eps', 'adversarial', 'adversarial', 'epsilon'],
  ['rho', 'sam', 'sam', 'rho'],
  ['ghost', 'ghost', 'ghostBatch', 'size'],
  ['warmup', 'warmup', 'lrScaling', 'warmupEpochs'],
  ['lars-lr', 'lars', 'optimizer', 'lr'],
  ['lamb-lr', 'lamb', 'optimizer', 'lr'],
];

export function remediesCommand(f: RemediesFlags, io: Io, use: string): Promise<number> {
  return runExperimentCommand('remedies', f, io, use, (s) => {
    const data = s.data as Record<string, unknown>, sharpness = s.sharpness as Record<string, unknown>;
    let arms = s.remedyRuns as Arm[];
    if (f['test-limit'] !== undefined) data.testLimit = f['test-limit'];
    if (f.sb !== undefined) s.sb = f.sb;
    if (f.lb !== undefined) s.lb = f.lb;
    if (f.remedies !== undefined) {
      const names = f.remedies.split(',').map((x) => x.trim()).filter((x) => x !== '');
      if (names.length === 0) throw new UsageError('--remedies: must list at least one remedy', use);
      arms = names.map((name) => {
        const arm = arms.find((a) => a.name === name);
        if (!arm) throw new UsageError(`--remedies: unknown remedy ${JSON.stringify(name)} (choose from ${arms.map((a) => a.name).join(', ')})`, use);
        return arm;
      });
    }
    for (const [flag, name, part, field] of ARM_FLAGS) {
      if (f[flag] === undefined) continue;
      const arm = arms.find((a) => a.name === name);
      if (!arm) throw new UsageError(`--${flag}: the spec has no '${name}' run (its runs: ${arms.map((a) => a.name).join(', ') || 'none'})`, use);
      if (part === 'optimizer') arm.optimizer = { ...(arm.optimizer ?? {}), [field]: f[flag] };
      else arm.remedies[part] = { ...(arm.remedies[part] ?? {}), [field]: f[flag] };
    }
    // Dynamic sampling grows the batch from SB to LB; ghost BN needs a virtual batch ≤ LB.
    const dynamic = arms.find((a) => a.name === 'dynamic' && a.remedies.dynamicBatch);
    if (dynamic && f.sb !== undefined) dynamic.remedies.dynamicBatch.from = typeof s.lb === 'number' ? Math.min(f.sb, s.lb) : f.sb;
    const ghost = arms.find((a) => a.name === 'ghost' && a.remedies.ghostBatch);
    if (ghost && f.ghost === undefined && typeof s.lb === 'number') ghost.remedies.ghostBatch.size = Math.min(ghost.remedies.ghostBatch.size as number, s.lb);
    s.remedyRuns = arms;
    const sample = f['sharpness-samples'];
    if (sample === 0) sharpness.eps = [];
    else if (sample !== undefined) {
      sharpness.sample = sample;
      sharpness.chunk = Math.min(sharpness.chunk as number, sample);
    }
  }, remediesPreset);
}
