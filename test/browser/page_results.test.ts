// The page's form checks and results document, in Node: the form becomes a valid
// `lbgap reproduce` spec, a results file with the page's facts is one the CLI parses, and loadResults names
// the field of every kind of corruption the page would otherwise draw wrongly.
import { describe, expect, it } from 'vitest';
import { allJobs } from '../../src/experiments/jobs.js';
import { parseResults, RESULTS_VERSION } from '../../src/experiments/results.js';
import { checkForm, checkSpec, estimateSeconds, ExperimentOptionError, formOfResults, fromQuery, rawOf, toQuery } from '../../web/form_rules.js';
import { fmtDuration, fmtInt, fmtLoss, fmtPct, fmtPhi } from '../../web/format.js';
import { PhaseClock } from '../../web/phase_clock.js';
import { curvesText, parametricText } from '../../web/plot_text.js';
import { browserEnvironment, experimentSpec, loadResults, ResultsFormatError, type PageResults, type PageSpec } from '../../web/results.js';

const form: PageSpec = {
  experiment: 'reproduce',
  net: 'tiny', data: 'mnist', trainSamples: 512, testSamples: 256, sbBatch: 64, lbBatch: 256, epochs: 2, seeds: [0, 1],
  lr: 1e-3, jobs: 2, analysisSamples: 128, sharpnessIterations: 3,
};
const page = { form, userAgent: 'test', crossOriginIsolated: true, transport: 'shared' as const, jobs: 2 };
const data = { train: 'mnist/train', trainSamples: 512, test: 'mnist/test', testSamples: 256 };

/** A results file as the runner writes it for the page (the runner's fields, the page's environment and `page`). */
function fileWithOneRun() {
  const spec = experimentSpec(form), jobs = allJobs(spec, data.trainSamples);
  const r: PageResults = {
    version: RESULTS_VERSION, kind: 'reproduce', status: 'running', spec, environment: browserEnvironment('simd'), seeds: spec.seeds.slice(), data,
    totalJobs: jobs.length, shard: null, jobs: jobs.map((j) => j.index), done: [], runs: [], interpolations: [], final: [],
    timings: { started: new Date().toISOString(), finished: null, seconds: 0, jobs: [] }, page,
  };
  const m = { epoch: 1, trainLoss: 1, trainAcc: 0.5, testLoss: 1.1, testAcc: 0.4, batchLoss: 1.2, seconds: 1, evalSeconds: 0.1, steps: 8, samplesPerSecond: 100 };
  r.runs.push({
    job: 0, seed: 0, setting: 'SB', batch: 64, k: null, phases: [{ name: 'SB', batch: 64, epochs: 2, history: [m], track: [] }],
    final: { trainLoss: 1, trainAcc: 0.5, testLoss: 1.1, testAcc: 0.4, sharpness: [{ space: 'full', dim: 10, eps: 1e-3, phi: 2, f0: 1, fmax: 1.02, iterations: 3, evaluations: 4, seconds: 0.1 }], hessian: null },
    seconds: 1,
  });
  r.interpolations.push({ job: 2, seed: 0, alphas: [0, 1], trainLoss: [1, 2], trainAcc: [0.5, 0.4], testLoss: [1, 2], testAcc: [0.5, 0.4], trainSamples: 128, testSamples: 256, batchNorm: 'batch stats', seconds: 0.1 });
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
    // The runner's jobs: SB, LB and the parametric plot of each seed.
    expect(r.jobs).toEqual([0, 1, 2, 3, 4, 5]);
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
      [{ lbBatch: 513 }, 'lbBatch: LB batch must be a whole number from 1 to 512 (the training samples); got 513'],
      [{ epochs: 0 }, 'epochs: Epochs must be a whole number from 1 to 1,000; got 0'],
      [{ seeds: [1, 1] }, 'seeds: Seeds must be distinct; 1 appears twice'],
      [{ seeds: [] }, 'seeds: Seeds: give at least one whole number, or several separated by commas (0,1,2)'],
      [{ lr: 0 }, 'lr: Adam lr must be a number above 0 (e.g. 0.001); got 0'],
      [{ trainSamples: 70000 }, 'trainSamples: Training samples must be a whole number from 1 to 60,000 (MNIST has 60,000); got 70000'],
      [{ analysisSamples: NaN }, 'analysisSamples: Sharpness sample must be a whole number from 1 to 60,000; got NaN'],
      [{ analysisSamples: 600 }, 'analysisSamples: Sharpness sample must be at most the 512 training samples; got 600'],
    ];
    expect(() => checkSpec(form)).not.toThrow();
    for (const [patch, msg] of bad) {
      expect(() => checkSpec({ ...form, ...patch }), msg).toThrow(ExperimentOptionError);
      expect(() => checkSpec({ ...form, ...patch })).toThrow(msg);
    }
  });
});

describe('the page form, as typed', () => {
  const raw = rawOf(form);
  it('errors use the label’s words, one per field, and block the run', () => {
    const c = checkForm({ ...raw, lbBatch: '5000', epochs: '', seeds: '0, x', lr: '-1', net: 'C9' });
    expect(c.spec).toBeNull();
    expect(c.errors).toEqual({
      net: 'Network must be one of tiny, F1; got "C9"',
      lbBatch: 'LB batch must be a whole number from 1 to 512 (the training samples); got 5000',
      epochs: 'Epochs is empty: give a whole number from 1 to 1,000',
      seeds: 'Seeds must be whole numbers from 0 to 4,294,967,294, separated by commas; got "x"',
      lr: 'Adam lr must be a number above 0 (e.g. 0.001); got -1',
    });
    expect(checkForm({ ...raw, trainSamples: '1.5' }).errors.trainSamples).toBe('Training samples must be a whole number from 1 to 60,000 (MNIST has 60,000); got 1.5');
    expect(checkForm(raw)).toEqual({ spec: form, errors: {}, warnings: [] });
  });

  it('warns (without blocking) for SB ≥ LB, more jobs than cores, a sample larger than the set, and a long run', () => {
    const cost = { net: 'tiny' as const, samplesPerSecond: [{ batch: 32, value: 1000 }, { batch: 256, value: 4000 }] };
    const c = checkForm({ ...raw, sbBatch: '300', lbBatch: '256', jobs: '3', analysisSamples: '1000', epochs: '1000' }, { cores: 2, cost });
    expect(c.spec).not.toBeNull();
    expect(c.spec!.analysisSamples).toBe(512);
    expect(c.warnings.map((w) => w.field)).toEqual(['sbBatch', 'analysisSamples', 'jobs', 'epochs']);
    expect(c.warnings[0].text).toBe('SB batch (300) is not smaller than LB batch (256): the “small-batch” run is the large one');
    expect(c.warnings[2].text).toBe('3 jobs at a time on 2 cores: they share cores, so each is slower (the results are the same)');
    expect(c.warnings[3].text).toMatch(/^a long run: about \d+ min \d\d s \(training .*\) at the measured [\d,]+ samples\/s/);
    // The estimate: SB and LB of a seed train side by side on the 2 cores; the two seeds in turn.
    const e = estimateSeconds({ ...form, epochs: 10, jobs: 2 }, { cores: 2, cost });
    const epoch = (rate: number) => 512 / rate + (512 + 256) / (3 * 4000);
    expect(e.training).toBeCloseTo(2 * 10 * Math.max(epoch(1000 + (Math.log(64) - Math.log(32)) / (Math.log(256) - Math.log(32)) * 3000), epoch(4000)), 9);
    expect(checkForm(raw, { cores: 2, cost }).warnings).toEqual([]);
  });

  it('the address holds the fields that differ from the defaults, and reads them back', () => {
    const q = toQuery({ ...checkDefaults(), net: 'F1', epochs: '10', seeds: '0,1' });
    expect(q).toBe('net=F1&epochs=10&seeds=0%2C1');
    expect(fromQuery(`?${q}&autostart=1&colour=red`)).toEqual({ values: { net: 'F1', epochs: '10', seeds: '0,1' }, unknown: ['colour'], autostart: true });
  });

  it('a loaded file’s settings come back as the form (page file: its form; CLI file: its spec)', () => {
    const r = fileWithOneRun();
    expect(formOfResults(r)).toEqual({ values: raw, notShown: [] });
    const cli = { ...r, page: undefined, spec: { ...r.spec, lb: null, net: 'C1' as const } };
    const f = formOfResults(cli);
    expect(f.values).toMatchObject({ trainSamples: '512', lbBatch: '51', sbBatch: '64', seeds: '0,1', analysisSamples: '128', sharpnessIterations: '3' });
    expect(f.values.net).toBeUndefined();
    expect(f.notShown).toEqual(['network C1']);
  });
});

function checkDefaults() {
  return rawOf({ net: 'tiny', data: 'mnist', trainSamples: 6000, testSamples: 2000, sbBatch: 256, lbBatch: 600, epochs: 5, seeds: [0], lr: 0.001, jobs: 2, analysisSamples: 1000, sharpnessIterations: 10 });
}

describe('the page’s formats, progress and plot text', () => {
  it('formats numbers one way everywhere', () => {
    // biome-ignore lint/suspicious/noApproximativeNumericConstant: a loss value to format, not ln 10
    expect([fmtInt(60000), fmtPct(0.97314), fmtPct(null), fmtLoss(0.412345), fmtLoss(2.302585), fmtPhi(0.12345), fmtPhi(12.345)])
      .toEqual(['60,000', '97.31 %', '–', '0.4123', '2.303', '0.123', '12.3']);
    expect([fmtDuration(4.26), fmtDuration(42.4), fmtDuration(185), fmtDuration(7800), fmtDuration(NaN)]).toEqual(['4.3 s', '42 s', '3 min 05 s', '2 h 10 min', '–']);
  });

  it('a phase’s ETA counts only the time it ran', () => {
    let t = 0;
    const c = new PhaseClock('training', 100, () => t);
    expect(c.view()).toMatchObject({ state: 'waiting', fraction: 0, etaSeconds: null });
    c.run('a'); t = 2000; c.advance(20);
    expect(c.view()).toMatchObject({ state: 'running', fraction: 0.2, etaSeconds: 8, seconds: 2 });
    c.halt('paused'); t = 60_000; // paused for a minute: not counted
    expect(c.view()).toMatchObject({ state: 'paused', etaSeconds: 8, seconds: 2 });
    c.run(); t = 62_000; c.advance(20);
    expect(c.view()).toMatchObject({ fraction: 0.4, etaSeconds: 6, seconds: 4 });
    c.setTotal(60); // a run diverged: its share will not run
    expect(c.view().fraction).toBeCloseTo(40 / 60, 12);
    c.finish('done');
    expect(c.view()).toMatchObject({ state: 'done', fraction: 1, etaSeconds: 0 });
  });

  it('each plot has its numbers in words', () => {
    const r = fileWithOneRun();
    expect(curvesText(r, 'loss')).toBe('SB (B = 64), seed 0: train cross-entropy 1.000, test 1.100 after epoch 1.');
    expect(curvesText(r, 'acc')).toBe('SB (B = 64), seed 0: train accuracy 50.00 %, test 40.00 % after epoch 1.');
    expect(parametricText(r, 'loss')).toBe('Seed 0, 2 points from α = 0 to α = 1: train 1.000 at α = 0 (SB), 2.000 at α = 1 (LB), highest 2.000 at α = 1; test 1.000 at SB, 2.000 at LB, highest 2.000 at α = 1.');
  });
});
