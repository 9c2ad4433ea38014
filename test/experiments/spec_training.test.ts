// The training fields of a spec (optimizer, remedies, remedyRuns): defaults that keep older
// specs and results meaning what they meant, validation errors that name the field's path,
// the train() options they become, and the checks against the data that run before any job.
import { describe, expect, it } from 'vitest';
import { checkJobs, jobTrainings } from '../../src/experiments/job.js';
import { allJobs } from '../../src/experiments/jobs.js';
import { parseResults } from '../../src/experiments/results.js';
import { defaultSpec, resolveSpec, SpecError } from '../../src/experiments/spec.js';
import { defaultRemedyRuns, trainerOptions } from '../../src/experiments/spec_training.js';
import { tinyData } from './helpers.js';

describe('optimizer and remedies in every spec kind', () => {
  it('default to ADAM at lr with no remedies — what a spec without the fields always meant', () => {
    for (const kind of ['reproduce', 'sweep', 'warmstart', 'remedies'] as const) {
      const s = defaultSpec(kind);
      expect(s.optimizer).toEqual({ name: 'adam', lr: null, trust: null, weightDecay: null, granularity: null });
      expect(s.remedies).toEqual({});
      expect(trainerOptions(s.optimizer, s.remedies, 0.002)).toEqual({ optimizer: 'adam', lr: 0.002 });
    }
    // A spec (or results file) written before the fields existed resolves to the same spec as today's.
    const old = { kind: 'sweep', lr: 0.003, batches: [64] };
    expect(resolveSpec(old)).toEqual(resolveSpec({ ...old, optimizer: { name: 'adam' }, remedies: {} }));
    const oldResults = { version: 1, kind: 'sweep', status: 'complete', spec: old, runs: [], interpolations: [], jobs: [0], done: [0], seeds: [0], totalJobs: 1 };
    expect(parseResults(JSON.stringify(oldResults), 'old.json').spec).toEqual(resolveSpec(old));
  });

  it('become train() options: optimizer name and lr, remedies, lars/lamb options as layerwise', () => {
    const s = resolveSpec({ kind: 'reproduce', optimizer: { name: 'lars', lr: 0.5, trust: 0.002, granularity: 'tensor' }, remedies: { sam: { rho: 0.1 }, ghostBatch: { size: 32 } } });
    expect(trainerOptions(s.optimizer, s.remedies, s.lr)).toEqual({
      optimizer: 'lars', lr: 0.5, sam: { rho: 0.1 }, ghostBatch: { size: 32 }, layerwise: { granularity: 'tensor', trust: 0.002 },
    });
    // The runner passes them to every run of every kind.
    const jobs = allJobs(s, 6000);
    expect(jobs.slice(0, 2).flatMap((j) => jobTrainings(s, j)).map((t) => [t.name, t.options.optimizer, t.options.sam])).toEqual([['SB', 'lars', { rho: 0.1 }], ['LB', 'lars', { rho: 0.1 }]]);
    // Key order does not matter: the same options compare equal (a --resume with a re-ordered spec file).
    expect(resolveSpec({ remedies: { sam: { rho: 1 }, augment: { shift: 2, flip: false } } }).remedies)
      .toEqual(resolveSpec({ remedies: { augment: { flip: false, shift: 2 }, sam: { rho: 1 } } }).remedies);
    expect(JSON.stringify(resolveSpec({ remedies: { sam: { rho: 1 }, augment: { shift: 2, flip: false } } })))
      .toBe(JSON.stringify(resolveSpec({ remedies: { augment: { flip: false, shift: 2 }, sam: { rho: 1 } } })));
  });

  it('bad fields are named by their path', () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ optimizer: { name: 'adamw' } }, 'optimizer.name: must be one of "adam", "sgd", "lars", "lamb", got "adamw"'],
      [{ optimizer: { lr: -1 } }, 'optimizer.lr: must be a finite number > 0 or null, got -1'],
      [{ optimizer: { momentum: 0.9 } }, 'optimizer.momentum: unknown field'],
      [{ optimizer: { name: 'adam', trust: 0.001 } }, "optimizer.trust: applies to the 'lars' and 'lamb' optimizers, not \"adam\""],
      [{ remedies: { sam: { rho: -1 } } }, 'remedies.sam.rho: must be a finite number in (0, Infinity], got -1'],
      [{ remedies: { sam: { radius: 1 } } }, 'remedies.sam.radius: is not an option of sam'],
      [{ remedies: { dropout: {} } }, 'remedies.dropout: unknown remedy'],
      [{ remedies: { layerwise: { trust: 1 } } }, 'remedies.layerwise: is set in the optimizer'],
      [{ remedies: [] }, 'remedies: must be an object of remedy options'],
      [{ remedyRuns: [{ name: 'x', remedies: {} }] }, "remedyRuns: applies to 'remedies' specs only (this is a 'reproduce' spec)"],
      [{ kind: 'remedies', remedyRuns: [{ name: 'a', remedies: { ghostBatch: { size: 0 } } }] }, 'remedyRuns[0].remedies.ghostBatch.size: must be an integer in [1,'],
      [{ kind: 'remedies', remedyRuns: [{ name: 'a', optimizer: { name: 'lamb', trust: 1 } }] }, "remedyRuns[0].optimizer.trust: applies to 'lars' only"],
      [{ kind: 'remedies', remedyRuns: [{ name: 'a' }, { name: 'a' }] }, 'remedyRuns[1].name: "a" is used twice'],
      [{ kind: 'remedies', remedyRuns: [{ name: 'LB' }] }, 'remedyRuns[0].name: "LB" is used twice (SB and LB are the plain runs)'],
      [{ kind: 'remedies', remedyRuns: [{ name: 'a b' }] }, 'remedyRuns[0].name: must be a name of letters'],
      [{ kind: 'remedies', remedyRuns: [{ name: 'a', extra: 1 }] }, 'remedyRuns[0].extra: unknown field'],
    ];
    for (const [input, message] of cases) {
      let err: unknown;
      try { resolveSpec(input); } catch (e) { err = e; }
      expect(err, JSON.stringify(input)).toBeInstanceOf(SpecError);
      expect((err as Error).message, JSON.stringify(input)).toContain(message);
    }
  });

  it('checks that depend on the data and the batch run before any job, naming the field', () => {
    const { train } = tinyData(); // 400 samples of shape [12]
    const check = (over: Record<string, unknown>) => {
      const s = resolveSpec({ kind: 'remedies', net: 'tiny', sb: 16, lb: 80, ...over });
      return () => checkJobs(s, allJobs(s, train.n), train);
    };
    expect(check({ remedyRuns: [{ name: 'g', remedies: { ghostBatch: { size: 100 } } }] })).toThrow('remedyRuns[0].remedies.ghostBatch.size: must be an integer in [1, 80], got 100 (batch 80, sample shape [12])');
    expect(check({ remedyRuns: [{ name: 'aug', remedies: { augment: { shift: 2 } } }] })).toThrow(/remedyRuns\[0\]\.remedies\.augment/);
    expect(check({ remedies: { dynamicBatch: { from: 32 } }, remedyRuns: [] })).toThrow('remedies.dynamicBatch.from: must be an integer in [1, 16], got 32 (batch 16');
    expect(check({ lb: 500, remedyRuns: [] })).toThrow('job 5 (LB, seed 0): batch 500 is larger than the 400 training samples');
    expect(check({ remedyRuns: defaultRemedyRuns(16).filter((r) => r.name !== 'augment' && r.name !== 'ghost') })).not.toThrow();
  });

  it("the remedies kind: plain SB, plain LB, then one job per arm, seeds inner", () => {
    const s = resolveSpec({ kind: 'remedies', seeds: [3, 4], lb: 600, remedyRuns: [{ name: 'sam', remedies: { sam: { rho: 0.05 } } }] });
    expect(allJobs(s, 6000).map((j) => j.label)).toEqual(['SB, seed 3', 'SB, seed 4', 'LB, seed 3', 'LB, seed 4', 'sam, seed 3', 'sam, seed 4']);
    expect(defaultSpec('remedies').remedyRuns.map((r) => r.name)).toEqual(['augment', 'conservative', 'adversarial', 'dynamic', 'sam', 'ghost', 'warmup', 'lars', 'lamb']);
    expect(defaultSpec('remedies').sharpness).toMatchObject({ eps: [1e-3], fullSpace: true, subspace: 0 });
  });
});
