// The page's form checks and results document, in Node: the form becomes a valid
// `lbgap reproduce` spec, a fresh results file is one the CLI parses, and loadResults names
// the field of every kind of corruption the page would otherwise draw wrongly.
import { describe, expect, it } from 'vitest';
import { parseResults } from '../../src/experiments/results.js';
import { checkSpec, ExperimentOptionError } from '../../web/experiment.js';
import { experimentSpec, loadResults, newResults, ResultsFormatError, type PageSpec } from '../../web/results.js';

const form: PageSpec = {
  net: 'tiny', data: 'mnist', trainSamples: 512, testSamples: 256, sbBatch: 64, lbBatch: 256, epochs: 2, seeds: [0, 1],
  lr: 1e-3, workersPerRun: 1, analysisSamples: 128, sharpnessIterations: 3,
};
const page = { form, userAgent: 'test', crossOriginIsolated: true, transport: 'shared' as const, workersPerRun: 1 };
const data = { train: 'mnist/train', trainSamples: 512, test: 'mnist/test', testSamples: 256 };

function fileWithOneRun() {
  const r = newResults(experimentSpec(form), data, 'simd', page);
  const m = { epoch: 1, trainLoss: 1, trainAcc: 0.5, testLoss: 1.1, testAcc: 0.4, batchLoss: 1.2, seconds: 1, evalSeconds: 0.1, steps: 8, samplesPerSecond: 100 };
  r.runs.push({
    job: 0, seed: 0, setting: 'SB', batch: 64, k: null, phases: [{ name: 'SB', batch: 64, epochs: 2, history: [m], track: [] }],
    final: { trainLoss: 1, trainAcc: 0.5, testLoss: 1.1, testAcc: 0.4, sharpness: [{ space: 'full', dim: 10, eps: 1e-3, phi: 2, f0: 1, fmax: 1.02, iterations: 3, evaluations: 4, seconds: 0.1 }], hessian: null },
    seconds: 1,
  });
  r.interpolations.push({ job: 0, seed: 0, alphas: [0, 1], trainLoss: [1, 2], trainAcc: [0.5, 0.4], testLoss: [1, 2], testAcc: [0.5, 0.4], trainSamples: 128, testSamples: 256, batchNorm: 'batch stats', seconds: 0.1 });
  return r;
}

describe('page results', () => {
  it('the form becomes the paper protocol shrunk to its sizes, and the CLI parses the page file', () => {
    const spec = experimentSpec(form);
    expect(spec).toMatchObject({
      kind: 'reproduce', net: 'tiny', sb: 64, lb: 256, epochs: 2, seeds: [0, 1],
      data: { name: 'mnist', trainLimit: 512, testLimit: 256 },
      sharpness: { eps: [1e-3, 5e-4], fullSpace: true, subspace: 100, maxIter: 3, sample: 128 },
      interpolation: { points: 25, range: [-1, 2], trainSample: 128, chunk: 5000 },
    });
    const r = fileWithOneRun();
    expect(r.jobs).toEqual([0, 1]);
    const text = JSON.stringify(r);
    expect(parseResults(text, 'x.json').runs).toHaveLength(1);
    expect(loadResults(text, 'x.json').page).toEqual(page);
  });

  it('loadResults names the file and field of a corruption', () => {
    const cases: [string, (r: ReturnType<typeof fileWithOneRun>) => void, string][] = [
      ['epoch 0', (r) => { r.runs[0].phases[0].history[0].epoch = 0; }, 'runs[0].phases[0].history[0].epoch: must be an integer ≥ 1, got 0'],
      ['null trainLoss', (r) => { (r.runs[0].phases[0].history[0] as { trainLoss: unknown }).trainLoss = null; }, 'runs[0].phases[0].history[0].trainLoss: must be a finite number, got null'],
      ['bad space', (r) => { (r.runs[0].final.sharpness[0] as { space: string }).space = 'diag'; }, 'runs[0].final.sharpness[0].space: must be "full" or "random", got "diag"'],
      ['short curve', (r) => { r.interpolations[0].testAcc.pop(); }, 'interpolations[0].testAcc: must be a list of 2 numbers (one per α)'],
      ['batch 0', (r) => { r.runs[0].batch = 0; }, 'runs[0].batch: must be an integer ≥ 1, got 0'],
    ];
    for (const [what, corrupt, msg] of cases) {
      const r = fileWithOneRun();
      corrupt(r);
      let err: unknown;
      try { loadResults(JSON.stringify(r), 'f.json'); } catch (e) { err = e; }
      expect(err, what).toBeInstanceOf(ResultsFormatError);
      expect((err as Error).message, what).toBe(`f.json: ${msg}`);
    }
    expect(() => loadResults('{"version": 1', 'g.json')).toThrow(/g\.json: is not valid JSON/);
  });

  it('checkSpec rejects bad form values by field name', () => {
    const bad: [Partial<PageSpec>, string][] = [
      [{ lbBatch: 513 }, 'lbBatch: must be an integer in [1, 512], got 513'],
      [{ epochs: 0 }, 'epochs: must be an integer in [1, 1000], got 0'],
      [{ seeds: [1, 1] }, 'seeds: must be distinct, got 1, 1'],
      [{ seeds: [] }, 'seeds: give at least one seed'],
      [{ lr: 0 }, 'lr: must be a positive number, got 0'],
      [{ trainSamples: 70000 }, 'trainSamples: must be an integer in [1, 60000], got 70000'],
      [{ analysisSamples: NaN }, 'analysisSamples: must be an integer in [1, 512], got NaN'],
    ];
    expect(() => checkSpec(form)).not.toThrow();
    for (const [patch, msg] of bad) {
      expect(() => checkSpec({ ...form, ...patch }), msg).toThrow(ExperimentOptionError);
      expect(() => checkSpec({ ...form, ...patch })).toThrow(msg);
    }
  });
});
