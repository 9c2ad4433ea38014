// The step program's pieces: a shard's augmentation draws equal the whole batch's (so
// augmentation does not depend on the worker count), the remedy registry validates and
// names fields, and the optimizer registry checks options with typed errors.
import { describe, expect, it } from 'vitest';
import { augmentBatch } from '../../src/data/augment.js';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { buildOptimizer, checkOptimizerOptions, OptimizerOptionError, OPTIMIZERS } from '../../src/optim/index.js';
import { loadKernels } from '../../src/kernels/index.js';
import { Model, tiny } from '../../src/nn/index.js';
import { augmentSeedAt, skipAugmentDraws } from '../../src/train/remedy_registry.js';
import { checkRemedies, REMEDY_FIELDS, REMEDY_NAMES, TrainOptionError } from '../../src/train/index.js';
import { Rng } from '../../src/util/rng.js';

describe('augmentation over shards', () => {
  it.each([[1, 0], [3, 1], [17, 5], [65, 31]])('a batch of %i split at %i draws the same transforms as the whole batch', (n, cut) => {
    const shape = [6, 6, 1], d = 36, a = { shift: 2, flip: true };
    const x = syntheticClassification({ n, shape, classes: 3, seed: 3, name: 'img' }).x;
    const whole = x.slice();
    augmentBatch(whole, n, shape, a, new Rng(augmentSeedAt(7, 11)));
    const parts = x.slice();
    for (const [lo, hi] of [[0, cut], [cut, n]]) {
      if (hi === lo) continue;
      const rng = new Rng(augmentSeedAt(7, 11));
      skipAugmentDraws(rng, lo, a);
      const shard = parts.subarray(lo * d, hi * d);
      augmentBatch(shard, hi - lo, shape, a, rng);
    }
    expect(parts).toEqual(whole);
  });
});

describe('registries', () => {
  it('remedy names are the option fields; a bad option names its field', () => {
    expect([...REMEDY_NAMES].sort()).toEqual([...REMEDY_FIELDS].sort());
    const ctx = { shape: [8], batchSize: 10, epochs: 2, seed: 0 };
    expect(checkRemedies({ sam: { rho: 0.1 }, dynamicBatch: { from: 2 } }, ctx)).toEqual({ sam: { rho: 0.1 }, dynamicBatch: { from: 2, over: 2 } });
    const err = (() => { try { checkRemedies({ ghostBatch: { size: 11 } }, ctx); } catch (e) { return e; } })();
    expect(err).toBeInstanceOf(TrainOptionError);
    expect((err as TrainOptionError).option).toBe('ghostBatch.size');
  });

  it('optimizer options: defaults, checks naming the option, every entry builds', async () => {
    expect(checkOptimizerOptions('sgd', { momentum: 0.5 })).toEqual({ momentum: 0.5, lr: 0.01 });
    const bad: [string, unknown, unknown, string][] = [
      ['rmsprop', {}, undefined, 'optimizer'],
      ['adam', { beta2: 1 }, undefined, 'optimizerOptions.beta2'],
      ['adam', { momentum: 0.9 }, undefined, 'optimizerOptions.momentum'],
      ['sgd', { nesterov: 'yes' }, undefined, 'optimizerOptions.nesterov'],
      ['lars', { granularity: 'row' }, undefined, 'optimizerOptions.granularity'],
      ['lamb', {}, -1, 'lr'],
    ];
    for (const [name, o, lr, field] of bad) {
      const e = (() => { try { checkOptimizerOptions(name, o, lr); } catch (x) { return x; } })();
      expect(e, field).toBeInstanceOf(OptimizerOptionError);
      expect((e as OptimizerOptionError).option).toBe(field);
    }
    const k = await loadKernels({ build: 'simd' });
    const m = Model.create(k, tiny(8, 3));
    for (const name of Object.keys(OPTIMIZERS)) {
      const opt = buildOptimizer(k, m.numParams, name, {}, { model: m });
      expect(opt.type).toBe(name);
      expect(opt.lr).toBe(OPTIMIZERS[name].defaultLr);
      opt.dispose();
    }
    expect(() => buildOptimizer(k, m.numParams, 'lars')).toThrow(/needs the model/);
    m.dispose();
  });
});
