// The paper's stopping rule ("until the loss function ceased to improve") as a plateau rule
// on the evaluated training loss: decided from the history alone, so resume stops where a
// straight run stops.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { TrainOptionError } from '../../src/train/errors.js';
import type { EpochMetrics } from '../../src/train/metrics.js';
import { epochsWithoutImprovement, plateaued, train } from '../../src/train/train.js';

const m = (trainLoss: number): EpochMetrics => ({ epoch: 0, trainLoss, trainAcc: 0, testLoss: null, testAcc: null, batchLoss: 0, seconds: 0, evalSeconds: 0, steps: 0, samplesPerSecond: 0 });

describe('plateau rule', () => {
  it('counts epochs since the last improvement by more than minDelta (absolute)', () => {
    expect(epochsWithoutImprovement([], 0.01)).toBe(0);
    expect(epochsWithoutImprovement([1, 0.5, 0.25].map(m), 0.01)).toBe(0);
    // 0.245 improves on 0.25 by less than 0.01: not an improvement.
    expect(epochsWithoutImprovement([1, 0.25, 0.245, 0.3].map(m), 0.01)).toBe(2);
    expect(epochsWithoutImprovement([1, 0.25, 0.245, 0.2].map(m), 0.01)).toBe(0);
    expect(epochsWithoutImprovement([1, 1, 1].map(m), 0)).toBe(2);
    expect(plateaued([1, 0.5, 0.6, 0.7, 0.55].map(m), { patience: 3, minDelta: 0 })).toBe(true);
    expect(plateaued([1, 0.5, 0.6, 0.7].map(m), { patience: 3, minDelta: 0 })).toBe(false);
    expect(plateaued([1, 1, 1, 1].map(m), undefined)).toBe(false);
    // minEpochs: never before that many epochs, whatever the history says.
    expect(plateaued([1, 1, 1, 1].map(m), { patience: 2, minDelta: 0, minEpochs: 5 })).toBe(false);
    expect(plateaued([1, 1, 1, 1, 1].map(m), { patience: 2, minDelta: 0, minEpochs: 5 })).toBe(true);
  });
});

describe('train with a plateau rule', () => {
  let k: Kernels;
  let dir: string;
  const tr = syntheticClassification({ n: 400, dim: 6, classes: 3, seed: 5, kind: 'teacher', hidden: 8, name: 'p/train' });
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); dir = mkdtempSync(join(tmpdir(), 'lbgap-plateau-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('stops before the cap once the training loss stops improving, and a resumed run stops at the same epoch with the same bits', async () => {
    // A huge minDelta: no epoch after the first counts as an improvement → stop after 1 + patience.
    const plateau = { patience: 2, minDelta: 10 };
    const a = Model.create(k, tiny(6, 3), { seed: 1 });
    const ha = await train(a, { train: tr }, { epochs: 50, batchSize: 50, lr: 1e-2, seed: 1, plateau });
    expect(ha.length).toBe(3);
    // Straight to epoch 2 with a checkpoint, then resume under the same rule.
    const path = join(dir, 'p.ckpt');
    const b = Model.create(k, tiny(6, 3), { seed: 1 });
    await train(b, { train: tr }, { epochs: 2, batchSize: 50, lr: 1e-2, seed: 1, plateau, checkpoint: { path } });
    const c = Model.create(k, tiny(6, 3), { seed: 9 });
    const hc = await train(c, { train: tr }, { epochs: 50, batchSize: 50, lr: 1e-2, seed: 1, plateau, resume: path, checkpoint: { path } });
    expect(hc.map((e) => e.trainLoss)).toEqual(ha.map((e) => e.trainLoss));
    expect(Buffer.from(c.params.view().slice().buffer).equals(Buffer.from(a.params.view().slice().buffer))).toBe(true);
    // Resuming a run that has already plateaued trains nothing more.
    const d = Model.create(k, tiny(6, 3), { seed: 9 });
    const hd = await train(d, { train: tr }, { epochs: 50, batchSize: 50, lr: 1e-2, seed: 1, plateau, resume: path });
    expect(hd.length).toBe(3);
    for (const x of [a, b, c, d]) x.dispose();
  });

  it('with minDelta 0 and a decreasing loss it runs to the cap', async () => {
    const a = Model.create(k, tiny(6, 3), { seed: 1 });
    const h = await train(a, { train: tr }, { epochs: 3, batchSize: 50, lr: 1e-2, seed: 1, plateau: { patience: 1, minDelta: 0 } });
    expect(h.length).toBe(3);
    a.dispose();
  });

  it('rejects bad rules by name', async () => {
    const a = Model.create(k, tiny(6, 3), { seed: 1 });
    await expect(train(a, { train: tr }, { epochs: 3, batchSize: 50, plateau: { patience: 0, minDelta: 0 } })).rejects.toThrow(TrainOptionError);
    await expect(train(a, { train: tr }, { epochs: 3, batchSize: 50, plateau: { patience: 2, minDelta: -1 } })).rejects.toThrow(/plateau\.minDelta/);
    a.dispose();
  });
});
