// The report's "Hessian spectral density" section and figure, from the SLQ quadrature stored
// in a run's MinimizerRecord.hessianDensity (written by `lbgap hessian --density --into`): the
// section and hessian-spectral-density.svg appear exactly when some run has a density, the table's
// extreme nodes and negative weight come from the quadrature, the curves from densityCurve;
// and the checkpoint → run mapping (runOfCheckpoint) by the runner's store names.
import { describe, expect, it } from 'vitest';
import { figures } from '../../src/experiments/charts.js';
import { renderReport } from '../../src/experiments/report.js';
import { ResultsError, runOfCheckpoint, summarize, type HessianDensityRecord, type ResultsFile, type RunRecord } from '../../src/experiments/results.js';
import { resolveSpec } from '../../src/experiments/spec.js';
import { densityCurve } from '../../src/landscape/hvp_density.js';

function run(setting: string, seed: number, density?: HessianDensityRecord): RunRecord {
  const history = [{ epoch: 1, trainLoss: 0.01, trainAcc: 0.999, testLoss: 0.1, testAcc: 0.98, batchLoss: 0.01, seconds: 1, evalSeconds: 1, steps: 1, samplesPerSecond: 1 }];
  return {
    job: seed, seed, setting, batch: setting === 'SB' ? 256 : 6000, k: null, seconds: 1,
    phases: [{ name: setting, batch: setting === 'SB' ? 256 : 6000, epochs: 1, history, track: [], stoppedBy: 'epochs' }],
    final: { trainLoss: 0.01, trainAcc: 0.999, testLoss: 0.1, testAcc: 0.98, hessian: null, sharpness: [], ...(density ? { hessianDensity: density } : {}) },
  };
}

function results(runs: RunRecord[]): ResultsFile {
  const spec = resolveSpec({ seeds: [0], hessian: { top: 0 }, sharpness: { eps: [1e-3], subspace: 0 }, interpolation: { points: 0 }, track: { enabled: false } });
  return {
    version: 1, kind: 'reproduce', status: 'complete', spec, seeds: spec.seeds,
    environment: { lbgap: '0', node: 'v20', platform: 'linux', cpus: 2, cpuModel: 'cpu', kernels: 'simd' },
    data: { train: 'mnist/train', trainSamples: 60000, test: 'mnist/test', testSamples: 10000 },
    totalJobs: 1, shard: null, jobs: [0], done: [0], runs, interpolations: [], final: summarize(runs),
    timings: { started: '', finished: '', seconds: 1, jobs: [] },
  };
}

const density = (nodes: number[], weights: number[], o: Partial<HessianDensityRecord> = {}): HessianDensityRecord => ({
  runs: [{ nodes, weights, steps: nodes.length }], hvp: 'exact', sample: 2000, chunk: 1000, sampleSeed: 0, bn: 'batch', seed: 0,
  products: nodes.length, seconds: 12.5, source: 'lbgap hessian --density --into (job0-SB.ckpt, epoch 21)', ...o,
});

describe('report: Hessian spectral density', () => {
  const sb = density([-0.0333, 0.01, 0.58], [0.25, 0.7, 0.05]);
  const lb = density([-0.05, 0.02, 1.2066], [0.125, 0.8, 0.075], { source: 'lbgap hessian --density --into (job0-LB.ckpt, epoch 30)' });

  it('no density in the results: no section, no figure', () => {
    const res = results([run('SB', 0), run('LB', 0)]);
    expect(renderReport(res)).not.toMatch(/Hessian spectral density|hessian-density\.svg/);
    expect(figures(res).map((f) => f.file)).not.toContain('hessian-spectral-density.svg');
  });

  it('with densities: the section (method, loss, figure, per-run extreme nodes and weight on λ < 0) and the figure with one curve per run', () => {
    const res = results([run('SB', 0, sb), run('LB', 0, lb)]);
    const md = renderReport(res);
    expect(md).toContain('## Hessian spectral density (later work; not in the paper)');
    expect(md).toMatch(/stochastic Lanczos quadrature.*1 Rademacher start vector × 3 Lanczos steps.*exact Hessian-vector products \(Pearlmutter's R-operator\).*a 2000-sample training subset, BN with the batch statistics of 1000-sample chunks, dropout off/);
    expect(md).toContain('![Hessian eigenvalue density](hessian-spectral-density.svg)');
    expect(md).toContain('| SB seed 0 | -0.03 … 0.58 | 0.25 | 3 × 1 | 3 | 12.5 s |');
    expect(md).toContain('| LB seed 0 | -0.05 … 1.21 | 0.13 | 3 × 1 | 3 | 12.5 s |');
    expect(md).toContain('Computed by: lbgap hessian --density --into (job0-SB.ckpt, epoch 21); lbgap hessian --density --into (job0-LB.ckpt, epoch 30).');
    // Before the health section and the figure list, which links it too.
    expect(md.indexOf('## Hessian spectral density')).toBeLessThan(md.indexOf('## Figures'));
    expect(md).toContain('- [Hessian eigenvalue density](hessian-spectral-density.svg)');
    const fig = figures(res).find((f) => f.file === 'hessian-spectral-density.svg');
    expect(fig).toBeDefined();
    const values = (fig!.spec as unknown as { data: { values: { name: string; x: number; y: number }[] } }).data.values;
    expect([...new Set(values.map((v) => v.name))]).toEqual(['SB seed 0', 'LB seed 0']);
    // The drawn points are densityCurve's (thinned, floored for the log scale), SB's grid spanning its nodes ± 0.01.
    const c = densityCurve({ runs: sb.runs, method: 'exact', products: 3 }, { bins: 1000 });
    const sbx = values.filter((v) => v.name === 'SB seed 0').map((v) => v.x);
    expect(sbx[0]).toBeCloseTo(c.grid[0], 12);
    expect(sbx[0]).toBeCloseTo(-0.0433, 12);
    expect(Math.max(...sbx)).toBeLessThanOrEqual(0.59 + 1e-12);
    expect(Math.max(...sbx)).toBeGreaterThan(0.58);
    // Deterministic: the same results render the same bytes.
    expect(renderReport(res)).toBe(md);
  });

  it('names the method per run when the runs differ, and running-statistics BN', () => {
    const cd = density([0.1, 0.3], [0.5, 0.5], { hvp: 'central-differences', bn: 'running' });
    const md = renderReport(results([run('SB', 0, sb), run('LB', 0, cd)]));
    expect(md).toMatch(/Hessian-vector products \(method per run in the table\)/);
    expect(md).toMatch(/\| run \| quadrature nodes \(λmin … λmax\) \| weight on λ < 0 \| Lanczos steps × start vectors \| H·v \| H·v products \| time \|/);
    expect(md).toContain('| LB seed 0 | 0.10 … 0.30 | 0.00 | 2 × 1 | central-differences | 2 | 12.5 s |');
  });

  it('runOfCheckpoint: checkpoints/job<J>-<phase>.ckpt is the run of job J ending in that phase', () => {
    const res = results([run('SB', 0), run('LB', 0), run('SB', 1), run('LB', 1)]);
    expect(runOfCheckpoint(res, '/x/checkpoints/job1-LB.ckpt')).toBe(res.runs[3]);
    expect(runOfCheckpoint(res, 'job0-SB.ckpt')).toBe(res.runs[0]);
    expect(() => runOfCheckpoint(res, '/x/job2-SB.ckpt', 'r.json')).toThrow(/r\.json: holds no run of job 2 ending in phase SB .*its runs: job0-SB, job0-LB, job1-SB, job1-LB/);
    expect(() => runOfCheckpoint(res, '/x/sb.ckpt')).toThrow(ResultsError);
    expect(() => runOfCheckpoint(res, '/x/sb.ckpt')).toThrow(/not named like an experiment's checkpoint/);
  });
});
