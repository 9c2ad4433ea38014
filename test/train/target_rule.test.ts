// The target stopping rule: evaluations between steps on a geometric schedule of samples
// seen, a stop at the first evaluation that meets the target (mid-epoch if need be), the same
// training as without the rule up to that point, and a resume that stops where a straight run
// stops.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { TrainOptionError } from '../../src/train/errors.js';
import { targetReachedAt, train } from '../../src/train/train.js';

const bits = (m: Model) => Buffer.from(m.params.view().slice().buffer);

describe('train with a target rule', () => {
  let k: Kernels;
  let dir: string;
  const tr = syntheticClassification({ n: 400, dim: 6, classes: 3, seed: 5, kind: 'teacher', hidden: 8, name: 't/train' });
  const te = syntheticClassification({ n: 200, dim: 6, classes: 3, seed: 5, kind: 'teacher', hidden: 8, sampleSeed: 7, name: 't/test' });
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); dir = mkdtempSync(join(tmpdir(), 'lbgap-target-')); });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const base = { batchSize: 20, lr: 1e-2, seed: 1 };

  it('an unreachable target evaluates on the geometric schedule and trains exactly as without the rule', async () => {
    const a = Model.create(k, tiny(6, 3), { seed: 1 });
    const ha = await train(a, { train: tr }, { ...base, epochs: 2 });
    const b = Model.create(k, tiny(6, 3), { seed: 1 });
    const hb = await train(b, { train: tr }, { ...base, epochs: 2, target: { metric: 'trainLoss', value: 1e-9, growth: 1.5, from: 50 } });
    expect(bits(b).equals(bits(a))).toBe(true);
    expect(hb.map((e) => e.trainLoss)).toEqual(ha.map((e) => e.trainLoss));
    const checks = hb.flatMap((e) => e.checks!);
    // The first evaluation after the step that reaches 50 samples (3 batches of 20), then each
    // one at ≥ 1.5× the samples of the last; every epoch end (400 samples: 20 steps) is one too.
    expect(checks[0]).toMatchObject({ step: 3, examples: 60 });
    for (let i = 1; i < checks.length; i++) {
      const endOfEpoch = checks[i].examples % 400 === 0;
      if (!endOfEpoch) expect(checks[i].examples).toBeGreaterThanOrEqual(1.5 * checks[i - 1].examples);
      expect(checks[i].seconds).toBeGreaterThanOrEqual(checks[i - 1].seconds);
    }
    // 60 → ≥ 90: 100 → ≥ 150: 160 → 240 → 360 → epoch end 400 → ≥ 600 → epoch end 800.
    expect(checks.map((c) => c.step)).toEqual([3, 5, 8, 12, 18, 20, 30, 40]);
    expect(hb[1].checks!.at(-1)!.trainLoss).toBe(hb[1].trainLoss);
    expect(targetReachedAt(hb, { metric: 'trainLoss', value: 1e-9, growth: 1.5 })).toBeNull();
    a.dispose(); b.dispose();
  });

  it('stops at the first evaluation that meets the target, mid-epoch, and a resume trains nothing more', async () => {
    // A target between the losses after epoch 1 and epoch 3 of a plain run.
    const a = Model.create(k, tiny(6, 3), { seed: 1 });
    const ha = await train(a, { train: tr }, { ...base, epochs: 3 });
    const value = (ha[0].trainLoss + ha[2].trainLoss) / 2;
    const target = { metric: 'trainLoss' as const, value, growth: 1.2, from: 20 };
    const path = join(dir, 't.ckpt');
    const b = Model.create(k, tiny(6, 3), { seed: 1 });
    const hb = await train(b, { train: tr }, { ...base, epochs: 10, target, checkpoint: { path } });
    const hit = targetReachedAt(hb, target)!;
    expect(hit.trainLoss).toBeLessThanOrEqual(value);
    // Every earlier evaluation missed it; training stopped right at the hit.
    const checks = hb.flatMap((e) => e.checks!);
    expect(checks.at(-1)).toEqual(hit);
    for (const c of checks.slice(0, -1)) expect(c.trainLoss!).toBeGreaterThan(value);
    expect(hb.at(-1)!.steps).toBe(hit.step);
    expect(hb.length).toBeLessThanOrEqual(3);
    expect(hit.step % 20).not.toBe(0); // mid-epoch, for this target
    // The same schedule with an unreachable target trains on: its evaluation at hit.step sees
    // the very same parameters (same loss), so stopping changed nothing before it.
    const c = Model.create(k, tiny(6, 3), { seed: 1 });
    const hc = await train(c, { train: tr }, { ...base, epochs: 3, target: { ...target, value: 1e-9 } });
    expect(hc.flatMap((e) => e.checks!).find((x) => x.step === hit.step)!.trainLoss).toBe(hit.trainLoss);
    c.dispose();
    const d = Model.create(k, tiny(6, 3), { seed: 9 });
    const hd = await train(d, { train: tr }, { ...base, epochs: 10, target, resume: path });
    expect(hd).toEqual(hb);
    expect(bits(d).equals(bits(b))).toBe(true);
    for (const x of [a, b, d]) x.dispose();
  });

  it('a test-accuracy target evaluates the test set only', async () => {
    const a = Model.create(k, tiny(6, 3), { seed: 1 });
    const h = await train(a, { train: tr, test: te }, { ...base, epochs: 5, target: { metric: 'testAcc', value: 0.5, growth: 1.3 } });
    const hit = targetReachedAt(h, { metric: 'testAcc', value: 0.5, growth: 1.3 })!;
    expect(hit.testAcc!).toBeGreaterThanOrEqual(0.5);
    const mid = h.flatMap((e) => e.checks!).filter((c) => c.examples % 400 !== 0);
    expect(mid.length).toBeGreaterThan(0);
    for (const c of mid) expect(c.trainLoss).toBeNull();
    a.dispose();
  });

  it('rejects bad rules by name', async () => {
    const a = Model.create(k, tiny(6, 3), { seed: 1 });
    await expect(train(a, { train: tr }, { ...base, epochs: 1, target: { metric: 'trainLoss', value: 0, growth: 1.1 } })).rejects.toThrow(/target\.value/);
    await expect(train(a, { train: tr }, { ...base, epochs: 1, target: { metric: 'trainLoss', value: 0.1, growth: 1 } })).rejects.toThrow(/target\.growth/);
    await expect(train(a, { train: tr }, { ...base, epochs: 1, target: { metric: 'testAcc', value: 0.9, growth: 1.1 } })).rejects.toThrow(TrainOptionError);
    await expect(train(a, { train: tr }, { ...base, epochs: 1, target: { metric: 'loss' as never, value: 0.9, growth: 1.1 } })).rejects.toThrow(/target\.metric/);
    a.dispose();
  });
});
