// The φ study (issue 16) on two tiny trained checkpoints: spec validation, what each grid point
// measures, in-thread = workers = merged shards (bit for bit, wall clock aside), resume, the
// running-statistics loss equal to the evaluation-mode loss, and the report.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { SpecError } from '../../src/experiments/spec.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { mergePhiStudyResults, parsePhiStudyResults, type PhiStudyResults } from '../../src/experiments/phi_study_results.js';
import { renderPhiReport } from '../../src/experiments/phi_study_report.js';
import { runPhiStudy } from '../../src/experiments/phi_study_runner.js';
import { defaultPhiStudySpec, pointMeasures, resolvePhiStudySpec, type PhiStudySpec } from '../../src/experiments/phi_study_spec.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { train } from '../../src/train/train.js';
import { phiStudyWorkerBundle } from './cli_bundle.js';
import { tinyData } from './helpers.js';
import { workerBundle } from '../workers/bundle.js';

const CLOCK = new Set(['seconds', 'timings', 'environment', 'wallSeconds']);
const metrics = (r: PhiStudyResults) => JSON.parse(JSON.stringify({ records: r.records, done: r.done }, (key, v) => (CLOCK.has(key) ? undefined : v)));

function io() {
  const out: string[] = [], err: string[] = [];
  return { out: (l: string) => out.push(l), err: (l: string) => err.push(l), lines: { out, err } };
}

describe('phi-study spec', () => {
  it('the defaults: the reproduce baseline and the grid of issue 16; each point measures what its change can affect', () => {
    const s = resolvePhiStudySpec({ kind: 'phi-study' });
    expect(s).toEqual(defaultPhiStudySpec());
    expect(s.baseline).toMatchObject({ eps: [1e-3, 5e-4], subspace: 100, maxIter: 10, sample: 6000, chunk: 1000, bn: 'batch', start: 'zero', columns: 'uniform', scaling: 'none', coordinates: 'paper' });
    const by = (label: string) => pointMeasures(s.variations.find((v) => v.label === label)!);
    expect(by('baseline')).toEqual(['full', 'random', 'hessian']);
    expect(by('Gaussian, unit columns')).toEqual(['random']);
    expect(by('200 iterations')).toEqual(['full', 'random']);
    expect(by('random corner')).toEqual(['full', 'random']);
    expect(by('filter-normalized')).toEqual(['full', 'hessian']);
    expect(by('running statistics')).toEqual(['full', 'random', 'hessian']);
    expect(s.variations.map((v) => v.choice)).toEqual(expect.arrayContaining(['baseline', 'columns', 'bn', 'sample', 'iterations', 'start', 'coordinates']));
  });

  it('bad specs are SpecErrors naming the field', () => {
    const bad = (over: Record<string, unknown>, msg: RegExp) => {
      expect(() => resolvePhiStudySpec({ kind: 'phi-study', ...over })).toThrow(SpecError);
      expect(() => resolvePhiStudySpec({ kind: 'phi-study', ...over })).toThrow(msg);
    };
    bad({ variations: [{ choice: 'columns', label: 'x', change: { colums: 'gaussian' } }] }, /variations\[0\]\.change\.colums: unknown field/);
    bad({ variations: [{ choice: 'columns', label: 'x', change: { columns: 'cauchy' } }] }, /variations\[0\]\.change\.columns: must be one of "uniform", "gaussian", "rademacher"/);
    bad({ variations: [{ choice: 'bn', label: 'x', change: { chunk: 7000 } }] }, /variations\[0\]\.change\.chunk: must be ≤ the sample \(6000\)/);
    bad({ variations: [{ choice: 'columns', label: 'x', change: { scaling: 'unit' }, only: ['hessian'] }] }, /variations\[0\]: measures nothing/);
    bad({ baseline: { eps: [] } }, /baseline\.eps: must be a non-empty list/);
    bad({ checkpoints: [] }, /checkpoints: must be a non-empty list/);
    bad({ checkpoints: [{ label: 'SB', path: 'a' }, { label: 'SB', path: 'b' }] }, /checkpoints\[1\]\.label: "SB" appears twice/);
    bad({ hessian: { traceSamples: 0 } }, /hessian\.traceSamples: must be an integer ≥ 1/);
    expect(() => resolvePhiStudySpec({ kind: 'reproduce' })).toThrow(/kind: must be "phi-study"/);
  });
});

describe('phi-study run (tiny network, two checkpoints)', () => {
  let k: Kernels;
  let dir: string;
  let spec: PhiStudySpec;
  const data = tinyData();
  let inThread: PhiStudyResults;

  beforeAll(async () => {
    k = await loadKernels({ build: 'simd' });
    dir = mkdtempSync(join(tmpdir(), 'lbgap-phi-'));
    const paths: string[] = [];
    for (const [i, batch] of [16, 200].entries()) {
      const model = Model.create(k, tiny(12, 4), { seed: 3 });
      const path = join(dir, `net${i}.ckpt`);
      await train(model, data, { epochs: 2, batchSize: batch, seed: 1, checkpoint: { path, every: 1 } });
      model.dispose();
      paths.push(path);
    }
    spec = resolvePhiStudySpec({
      kind: 'phi-study', build: 'simd', data: { name: 'synthetic' },
      checkpoints: [{ label: 'SB', path: paths[0] }, { label: 'LB', path: paths[1] }],
      baseline: { subspace: 5, maxIter: 3, sample: 200, chunk: 100 },
      hessian: { maxIter: 4, traceSamples: 3 },
      variations: [
        { choice: 'baseline', label: 'baseline', change: {} },
        { choice: 'columns', label: 'Gaussian, unit', change: { columns: 'gaussian', scaling: 'unit' } },
        { choice: 'columns', label: 'orthonormal', change: { scaling: 'orthonormal' } },
        { choice: 'start', label: 'corner', change: { start: 'corner' } },
        { choice: 'bn', label: 'running, all samples', change: { bn: 'running', sample: null } },
        { choice: 'coordinates', label: 'filter', change: { coordinates: 'filter' } },
        { choice: 'iterations', label: '6 iterations', change: { maxIter: 6 }, only: ['full'] },
      ],
    });
    inThread = (await runPhiStudy(spec, { outDir: join(dir, 'a'), train: data.train, kernels: k, jobs: 1 })).results;
  }, 120_000);

  afterAll(() => { if (dir) rmSync(dir, { recursive: true, force: true }); });

  it('records every grid point × checkpoint with the measures it asks for', () => {
    expect(inThread.status).toBe('complete');
    expect(inThread.records).toHaveLength(14);
    for (const rec of inThread.records) {
      const v = spec.variations[rec.point];
      const m = pointMeasures(v);
      expect(rec.measures).toEqual(m);
      expect(rec.sharpness.map((e) => e.space)).toEqual([...(m.includes('full') ? ['full', 'full'] : []), ...(m.includes('random') ? ['random', 'random'] : [])]);
      expect(rec.hessian !== null).toBe(m.includes('hessian'));
      for (const e of rec.sharpness) {
        expect(e.phi).toBeGreaterThanOrEqual(0);
        expect(Number.isFinite(e.projGradNorm)).toBe(true);
        expect(e.iterations).toBeLessThanOrEqual(rec.settings.maxIter);
      }
    }
    // The filter-normalized Hessian is the scaled one; the plain one at the baseline differs.
    const base = inThread.records.find((r) => r.label === 'baseline' && r.checkpoint === 'SB')!;
    const filt = inThread.records.find((r) => r.label === 'filter' && r.checkpoint === 'SB')!;
    expect(filt.hessian!.coordinates).toBe('filter');
    expect(filt.hessian!.top).not.toBe(base.hessian!.top);
    // A different A gives a different random-subspace φ; the full-space φ of the corner start is its own.
    const gauss = inThread.records.find((r) => r.label === 'Gaussian, unit' && r.checkpoint === 'LB')!;
    expect(gauss.sharpness[0].phi).not.toBe(inThread.records.find((r) => r.label === 'baseline' && r.checkpoint === 'LB')!.sharpness[2].phi);
  });

  it("the running-statistics point's f(x) is the evaluation-mode loss of the checkpoint on the whole training set", async () => {
    const { loadCheckpoint } = await import('../../src/train/checkpoint.js');
    const { modelFromCheckpoint } = await import('../../src/train/snapshot.js');
    for (const [i, c] of spec.checkpoints.entries()) {
      const model = modelFromCheckpoint(k, await loadCheckpoint(c.path), c.path);
      const evalLoss = model.evaluate(data.train).loss;
      model.dispose();
      const rec = inThread.records.find((r) => r.label === 'running, all samples' && r.checkpoint === spec.checkpoints[i].label)!;
      expect(rec.loss.bn).toBe('running');
      expect(rec.loss.sample).toBe(data.train.n);
      expect(Math.abs(rec.sharpness[0].f0 - evalLoss)).toBeLessThan(1e-5 * evalLoss);
    }
  });

  it('--jobs 2 (workers) and two merged shards give the same records bit for bit; --resume of a finished study runs nothing', async () => {
    const workerUrl = await phiStudyWorkerBundle();
    const par = (await runPhiStudy(spec, { outDir: join(dir, 'b'), train: data.train, kernels: k, jobs: 2, workerUrl })).results;
    expect(metrics(par)).toEqual(metrics(inThread));
    const s0 = (await runPhiStudy(spec, { outDir: join(dir, 's0'), train: data.train, kernels: k, shard: { index: 0, count: 2 } })).results;
    const s1 = (await runPhiStudy(spec, { outDir: join(dir, 's1'), train: data.train, kernels: k, shard: { index: 1, count: 2 } })).results;
    expect(s0.jobs.every((j) => j % 2 === 0)).toBe(true);
    expect(() => mergePhiStudyResults([{ file: 's0', results: s0 }])).toThrow(/jobs? .* missing/);
    const merged = mergePhiStudyResults([{ file: 's0', results: s0 }, { file: 's1', results: s1 }]);
    expect(metrics(merged)).toEqual(metrics(inThread));
    const logs: string[] = [];
    const again = await runPhiStudy(spec, { outDir: join(dir, 'a'), train: data.train, kernels: k, resume: true, log: (l) => logs.push(l) });
    expect(metrics(again.results)).toEqual(metrics(inThread));
    expect(logs[0]).toMatch(/14 already done/);
    await expect(runPhiStudy(spec, { outDir: join(dir, 'a'), train: data.train, kernels: k })).rejects.toThrow(/already exists: pass --resume/);
    await expect(runPhiStudy({ ...spec, checkpoints: [{ label: 'SB', path: join(dir, 'missing.ckpt') }] }, { outDir: join(dir, 'c'), train: data.train, kernels: k })).rejects.toThrow(/checkpoints\[0\] \(SB\): .*missing\.ckpt does not exist/);
  }, 180_000);

  it('jobs with idle cores beside them (--jobs 3, two jobs) spread their loss over workers: φ, Hessian and trace the same bits', async () => {
    const one = { ...spec, checkpoints: [spec.checkpoints[0]], variations: [spec.variations[0], spec.variations[5]] };
    const lines: string[] = [];
    const sink = { isTTY: false, write: (t: string) => { lines.push(t); } };
    const spreadRun = (await runPhiStudy(one, { outDir: join(dir, 'spread'), train: data.train, kernels: k, jobs: 3, workerUrl: await phiStudyWorkerBundle(), measureWorkerUrl: await workerBundle(), progress: sink })).results;
    const text = lines.join('');
    expect(text).toMatch(/φ full space ε=0\.001: .*over \d workers/);
    expect(text).toMatch(/top Hessian eigenvalue \(filter-normalized\) .*over \d workers/);
    const pick = (r: PhiStudyResults, label: string) => metrics({ ...r, records: r.records.filter((x) => x.label === label && x.checkpoint === 'SB').map((x) => ({ ...x, job: 0, point: 0 })) }).records;
    for (const label of ['baseline', 'filter']) expect(pick(spreadRun, label)).toEqual(pick(inThread, label));
  });

  it('the report: one table per choice beside the paper, the convergence table, a computed verdict; lbgap report re-renders it from results.json', async () => {
    const md = renderPhiReport(inThread);
    for (const h of ['## Baseline', "## A's columns", '## Batch norm in the loss', '## Start of the maximization', '## L-BFGS-B iterations', '## Scale-invariant view', '## Verdict', '## L-BFGS-B: is the maximization converged?'])
      expect(md).toContain(h);
    expect(md).toContain('1.23 ± 0.83'); // the paper's F1 SB φ, full space, ε = 1e-3
    expect(md).toMatch(/Scale-invariant view \(filter-normalized coordinates\), LB\/SB: /);
    expect(renderPhiReport(parsePhiStudyResults(readFileSync(join(dir, 'a', 'results.json'), 'utf8'), 'results.json'))).toBe(renderPhiReport(inThread));
    const t = io();
    expect(await main(['report', join(dir, 'a', 'results.json')], t)).toBe(0);
    expect(t.lines.out.join('\n')).toMatch(/REPORT\.md.*phi-ratios\.svg/);
    expect(readFileSync(join(dir, 'a', 'phi-ratios.svg'), 'utf8')).toMatch(/^<svg/);
    const d = io();
    expect(await main(['phi-study', '--dump-spec', '--sb', 'a.ckpt', '--lb', 'b.ckpt'], d)).toBe(0);
    expect(JSON.parse(d.lines.out.join('\n')).checkpoints).toEqual([{ label: 'SB', path: 'a.ckpt' }, { label: 'LB', path: 'b.ckpt' }]);
  });
});
