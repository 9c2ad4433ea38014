// The target stopping rule over the worker pool: the loop runs epochs in pieces
// (EpochPlan.firstStep), which the parallel engine must honour in both transports — the same
// bits and the same evaluations as in-thread training, stopped at the same step.
import { beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model, tiny } from '../../src/nn/index.js';
import { targetReachedAt, train, type TargetRule } from '../../src/train/train.js';
import { trainParallel } from '../../src/workers/index.js';
import { workerBundle } from './bundle.js';

let workerUrl: URL, k: Kernels;
beforeAll(async () => { workerUrl = await workerBundle(); k = await loadKernels({ build: 'simd' }); }, 120_000);

describe('target rule on the worker pool', () => {
  const tr = syntheticClassification({ n: 300, dim: 6, classes: 3, seed: 5, kind: 'teacher', hidden: 8, name: 't/train' });
  const base = { batchSize: 20, lr: 1e-2, seed: 1, epochs: 3 };

  for (const sharedMemory of [true, false]) {
    it(`matches in-thread training bit for bit, evaluations included (${sharedMemory ? 'shared memory' : 'transfer'})`, async () => {
      const a = Model.create(k, tiny(6, 3), { seed: 1 });
      const ha = await train(a, { train: tr }, { ...base, epochs: 1 });
      const target: TargetRule = { metric: 'trainLoss', value: ha[0].trainLoss * 0.9, growth: 1.3, from: 30 };
      const b = Model.create(k, tiny(6, 3), { seed: 1 });
      const hb = await train(b, { train: tr }, { ...base, target });
      const c = Model.create(k, tiny(6, 3), { seed: 1 });
      const hc = await trainParallel(c, { train: tr }, { ...base, target, workers: 1, sharedMemory, workerUrl });
      expect(hc.flatMap((e) => e.checks!.map((x) => [x.step, x.examples, x.trainLoss]))).toEqual(hb.flatMap((e) => e.checks!.map((x) => [x.step, x.examples, x.trainLoss])));
      expect(targetReachedAt(hc, target)!.step).toBe(targetReachedAt(hb, target)!.step);
      expect(Buffer.from(c.params.view().slice().buffer).equals(Buffer.from(b.params.view().slice().buffer))).toBe(true);
      for (const m of [a, b, c]) m.dispose();
    }, 120_000);
  }
});
