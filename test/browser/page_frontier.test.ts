// The page's batch-size frontier, in Node: its spec is `lbgap frontier --dump-spec`'s for the same
// choices (the CLI's own command, not a copy of its rules), the form's frontier fields are
// checked with messages in the labels' words, the address carries the experiment's fields only,
// and a frontier results file (the CLI's) maps back into the form; the table and verdict come
// from summarizeFrontier.
import { describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { RESULTS_VERSION, type ResultsFile, type RunRecord } from '../../src/experiments/results.js';
import { checkForm, checkSpec, ExperimentOptionError, formOfResults, fromQuery, rawOf, toQuery, type RawForm } from '../../web/form_rules.js';
import { frontierTable, frontierVerdict } from '../../web/frontier_view.js';
import { experimentSpec, frontierSpecOf, type PageSpec } from '../../web/results.js';

const base: PageSpec = {
  experiment: 'frontier', net: 'tiny', data: 'synthetic', trainSamples: 2048, testSamples: 256, sbBatch: 256, lbBatch: 600, epochs: 3, seeds: [0],
  lr: 0.01, jobs: 2, analysisSamples: 1000, sharpnessIterations: 10, batches: [64, 256], targetMetric: 'trainLoss', targetValue: 2,
};

/** `lbgap frontier <args> --dump-spec`, run in this process: the spec it prints. */
async function cliSpec(args: string[]): Promise<unknown> {
  const out: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: () => {} };
  expect(await main(['frontier', ...args, '--dump-spec'], io)).toBe(0);
  return JSON.parse(out.join('\n'));
}

const raw = (over: Partial<RawForm>): RawForm => ({ ...rawOf(base), ...over });

describe('the page’s frontier spec', () => {
  it('is `lbgap frontier`’s for the same choices (plus the test-set size)', async () => {
    const cases: [PageSpec, string[]][] = [
      [base, ['--net', 'tiny', '--data', 'synthetic', '--limit', '2048', '--epochs', '3', '--seeds', '0', '--lr', '0.01', '--batch', '64,256', '--target-loss', '2']],
      [{ ...base, net: 'F1', data: 'mnist', trainSamples: 20000, seeds: [0, 1, 2], lr: 0.001, epochs: 15, batches: null, targetMetric: 'testAcc', targetValue: 0.95 },
        ['--net', 'F1', '--data', 'mnist', '--limit', '20000', '--epochs', '15', '--seeds', '0,1,2', '--lr', '0.001', '--batch', '32,64,128,256,512,1024', '--target-acc', '0.95']],
    ];
    for (const [form, args] of cases) {
      const cli = await cliSpec(args) as { data: { testLimit: number | null } };
      cli.data.testLimit = form.testSamples; // the one choice the CLI takes from a --spec file only
      expect(JSON.parse(JSON.stringify(frontierSpecOf(form)))).toEqual(cli);
      expect(experimentSpec(form)).toEqual(frontierSpecOf(form));
    }
  });

  it('empty batch sizes: powers of two from 32 up to 10 % of the training samples (frontierBatches)', () => {
    expect(frontierSpecOf({ ...base, batches: null, trainSamples: 6000 }).frontier!.batches).toEqual([32, 64, 128, 256, 512]);
    expect(frontierSpecOf({ ...base, batches: null, trainSamples: 2048 }).frontier!.batches).toEqual([32, 64, 128]);
    const c = checkForm(raw({ batches: '' }));
    expect(c.errors).toEqual({});
    expect(c.spec!.batches).toBeNull();
  });
});

describe('the form’s frontier fields', () => {
  it('checks them with messages in the labels’ words', () => {
    const err = (over: Partial<RawForm>) => checkForm(raw(over)).errors;
    expect(err({ batches: '64,abc' }).batches).toBe('Batch sizes must be whole numbers from 1 to 2,048 (the training samples), separated by commas (or empty for the default); got "abc"');
    expect(err({ batches: '64,4096' }).batches).toBe('Batch sizes must be whole numbers from 1 to 2,048 (the training samples), separated by commas (or empty for the default); got "4096"');
    expect(err({ batches: '64,64' }).batches).toBe('Batch sizes must be distinct; 64 appears twice');
    expect(err({ targetValue: '-1' }).targetValue).toBe('Target value must be a training loss above 0 (e.g. 0.15); got -1');
    expect(err({ targetMetric: 'testAcc', targetValue: '97' }).targetValue).toBe('Target value must be a test accuracy above 0 and at most 1, as a fraction (0.97 for 97 %); got 97');
    expect(err({ targetMetric: 'steps' }).targetMetric).toBe('Target must be one of trainLoss, testAcc; got "steps"');
    expect(err({ trainSamples: '512' }).trainSamples).toBe("Training samples must be a whole number from 1,024 to 60,000 (MNIST has 60,000; the frontier's B_simple draws 1,024 samples); got 512");
    expect(err({ epochs: '0' }).epochs).toBe('Epoch cap must be a whole number from 1 to 1,000; got 0');
    expect(err({ experiment: 'sweep' }).experiment).toBe('Experiment must be one of reproduce, frontier; got "sweep"');
    // The reproduce fields are not the frontier's: a bad LB batch does not block it…
    expect(err({ lbBatch: 'x' })).toEqual({});
    // …and the frontier's fields do not block SB vs LB.
    expect(err({ experiment: 'reproduce', batches: 'x', targetValue: '' })).toEqual({});
    expect(checkForm(raw({ batches: '64' })).warnings.map((w) => w.text)).toEqual(['one batch size (64): no frontier to compare, and the model needs two or more']);
    expect(() => checkSpec({ ...base, batches: [0] })).toThrow(ExperimentOptionError);
    expect(() => checkSpec(base)).not.toThrow();
  });

  it('the address holds the experiment’s own fields, and reads back', () => {
    const q = toQuery(raw({}));
    expect(q).toBe('experiment=frontier&data=synthetic&trainSamples=2048&testSamples=256&batches=64%2C256&targetValue=2&epochs=3&lr=0.01');
    expect(fromQuery(`?${q}`).values).toMatchObject({ experiment: 'frontier', batches: '64,256', targetValue: '2' });
    expect(toQuery(rawOf({ ...base, experiment: 'reproduce' }))).not.toContain('batches');
  });

  it('a CLI frontier file maps back into the form', () => {
    const spec = frontierSpecOf({ ...base, batches: [64, 256], targetMetric: 'testAcc', targetValue: 0.9 });
    const r = { version: RESULTS_VERSION, kind: 'frontier', spec, data: { train: 'synthetic/train', trainSamples: 2048, test: 'synthetic/test', testSamples: 256 } } as unknown as ResultsFile;
    expect(formOfResults(r)).toEqual({
      values: { experiment: 'frontier', net: 'tiny', data: 'synthetic', trainSamples: '2048', testSamples: '256', epochs: '3', seeds: '0', lr: '0.01', batches: '64,256', targetMetric: 'testAcc', targetValue: '0.9' },
      notShown: [],
    });
  });
});

describe('the frontier’s table and verdict', () => {
  it('come from summarizeFrontier: steps, samples/s, time, the model and its error, accuracy, φ, λ_max', () => {
    const spec = frontierSpecOf(base);
    const run = (batch: number, steps: number, seconds: number, sps: number): RunRecord => ({
      job: batch, seed: 0, setting: `B=${batch}`, batch, k: null, phases: [], seconds: 1,
      final: { trainLoss: 1.9, trainAcc: 0.5, testLoss: 2, testAcc: 0.45, sharpness: [{ space: 'full', eps: 1e-3, dim: 100, phi: 3.25, seconds: 1 }], hessian: { values: [1.5] } },
      frontier: {
        batch, target: spec.frontier!.target, stepCost: { batch, steps: 10, secondsPerStep: batch / sps, samplesPerSecond: sps }, noise: [],
        crossing: { hit: { step: steps, examples: steps * batch, seconds, trainLoss: 1.9, testAcc: null }, bracketed: false, steps, examples: steps * batch, seconds },
      },
    }) as unknown as RunRecord;
    const r = { spec, runs: [run(64, 100, 2, 4000), run(256, 40, 3, 5000)] } as unknown as ResultsFile;
    const rows = frontierTable(r);
    expect(rows.map((x) => x.cells.slice(0, 5))).toEqual([['64', '1 of 1', '100', '4,000', '2.00'], ['256', '1 of 1', '40', '5,000', '3.00']]);
    expect(rows.map((x) => x.fastest)).toEqual([true, false]);
    for (const x of rows) {
      expect(x.cells[5]).toMatch(/^\d+ \([+−]\d+\.\d %\)$/);
      expect(x.cells.slice(6)).toEqual(['45.00', '3.250', '1.50']);
    }
    expect(frontierVerdict(r)).toMatch(/^Fastest to training loss ≤ 2: B = 64, 2.00 s of training steps, test accuracy 45.00 %, φ 3.250\. The model S\(B\) = S_min\(1 \+ B_noise\/B\) fitted to the measured steps: S_min = /);
  });
});
