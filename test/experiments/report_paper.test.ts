// REPORT.md's paper side: the six networks' Tables 2–4 exactly as PAPER.md, the matching
// network's row beside the run, p ≠ 100 not set beside Table 4, a single seed without
// "± 0.00", the stopping rule and epochs per run, and the convergence verdict.
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PAPER_NETS, PAPER_NUMBERS } from '../../src/experiments/paper_numbers.js';
import { renderReport } from '../../src/experiments/report.js';
import { summarize, type ResultsFile, type RunRecord } from '../../src/experiments/results.js';
import { resolveSpec } from '../../src/experiments/spec.js';

const PAPER_MD = new URL('../../../shared/PAPER.md', import.meta.url);

function run(setting: 'SB' | 'LB', seed: number, o: { trainAcc: number; testAcc: number; phi: number; epochs: number; stoppedBy: 'plateau' | 'epochs' }): RunRecord {
  const history = Array.from({ length: o.epochs }, (_, i) => ({ epoch: i + 1, trainLoss: 0.01, trainAcc: o.trainAcc, testLoss: 0.1, testAcc: o.testAcc, batchLoss: 0.01, seconds: 1, evalSeconds: 1, steps: i, samplesPerSecond: 1 }));
  return {
    job: seed, seed, setting, batch: setting === 'SB' ? 256 : 6000, k: null, seconds: 1,
    phases: [{ name: setting, batch: setting === 'SB' ? 256 : 6000, epochs: 100, history, track: [], stoppedBy: o.stoppedBy }],
    final: {
      trainLoss: 0.01, trainAcc: o.trainAcc, testLoss: 0.1, testAcc: o.testAcc, hessian: null,
      sharpness: [{ space: 'full', dim: 100, eps: 1e-3, phi: o.phi, f0: 0, fmax: 0, iterations: 10, evaluations: 11, seconds: 1 },
        { space: 'random', dim: 20, eps: 1e-3, phi: o.phi / 10, f0: 0, fmax: 0, iterations: 10, evaluations: 11, seconds: 1 }],
    },
  };
}

function results(runs: RunRecord[], over: Record<string, unknown> = {}): ResultsFile {
  const spec = resolveSpec({ seeds: [0], hessian: { top: 0 }, sharpness: { eps: [1e-3], subspace: 20 }, interpolation: { points: 0 }, track: { enabled: false }, ...over });
  return {
    version: 1, kind: 'reproduce', status: 'complete', spec, seeds: spec.seeds,
    environment: { lbgap: '0', node: 'v20', platform: 'linux', cpus: 2, cpuModel: 'cpu', kernels: 'simd' },
    data: { train: 'mnist/train', trainSamples: 60000, test: 'mnist/test', testSamples: 10000 },
    totalJobs: 1, shard: null, jobs: [0], done: [0], runs, interpolations: [], final: summarize(runs),
    timings: { started: '', finished: '', seconds: 1, jobs: [] },
  };
}

describe('REPORT.md beside the paper', () => {
  it('holds the paper\'s Tables 2–4 for all six networks, cell for cell as PAPER.md', () => {
    const md = renderReport(results([run('SB', 0, { trainAcc: 0.999, testAcc: 0.98, phi: 1, epochs: 12, stoppedBy: 'plateau' }), run('LB', 0, { trainAcc: 0.999, testAcc: 0.975, phi: 200, epochs: 30, stoppedBy: 'plateau' })]));
    for (const n of PAPER_NETS) {
      const p = PAPER_NUMBERS[n];
      const row = (cells: { mean: number; std: number }[]) => `| ${n} (${p.data}) | ${cells.map((c) => `${c.mean.toFixed(2)} ± ${c.std.toFixed(2)}`).join(' | ')} |`;
      expect(md).toContain(row([p.trainAcc.sb, p.trainAcc.lb, p.testAcc.sb, p.testAcc.lb]));
      expect(md).toContain(row([p.sharpness['full@0.001'].sb, p.sharpness['full@0.001'].lb, p.sharpness['full@0.0005'].sb, p.sharpness['full@0.0005'].lb]));
      expect(md).toContain(row([p.sharpness['random@0.001'].sb, p.sharpness['random@0.001'].lb, p.sharpness['random@0.0005'].sb, p.sharpness['random@0.0005'].lb]));
    }
    expect(md).not.toMatch(/from memory|\*\s*\||recalled/);
  });

  it.skipIf(!existsSync(PAPER_MD))('paper_numbers.ts equals PAPER.md\'s tables', () => {
    const text = readFileSync(PAPER_MD, 'utf8');
    const tables = text.split(/^Table \d — /m).slice(1, 4);
    expect(tables.length).toBe(3);
    const parse = (t: string) => Object.fromEntries(t.split('\n').filter((l) => /^\| [FC]\d \|/.test(l)).map((l) => {
      const c = l.split('|').map((x) => x.trim()).filter(Boolean);
      return [c[0], c.slice(1).map((x) => x.split('±').map(Number))];
    }));
    const [t2, t3, t4] = tables.map(parse);
    for (const n of PAPER_NETS) {
      const p = PAPER_NUMBERS[n];
      const pairs = (a: { mean: number; std: number }[]) => a.map((v) => [v.mean, v.std]);
      expect(pairs([p.trainAcc.sb, p.trainAcc.lb, p.testAcc.sb, p.testAcc.lb])).toEqual(t2[n]);
      expect(pairs([p.sharpness['full@0.001'].sb, p.sharpness['full@0.001'].lb, p.sharpness['full@0.0005'].sb, p.sharpness['full@0.0005'].lb])).toEqual(t3[n]);
      expect(pairs([p.sharpness['random@0.001'].sb, p.sharpness['random@0.001'].lb, p.sharpness['random@0.0005'].sb, p.sharpness['random@0.0005'].lb])).toEqual(t4[n]);
    }
  });

  it('sets the matching network\'s paper row beside the run, one seed without ± 0.00, Table 4 only for p = 100', () => {
    const md = renderReport(results([run('SB', 0, { trainAcc: 0.999, testAcc: 0.98, phi: 1, epochs: 12, stoppedBy: 'plateau' }), run('LB', 0, { trainAcc: 0.995, testAcc: 0.975, phi: 200, epochs: 100, stoppedBy: 'epochs' })]));
    expect(md).toContain('| F1 (this run, mnist) | 99.90 | 99.50 | 98.00 | 97.50 |');
    expect(md).toContain('| F1 (paper, MNIST) | 99.66 ± 0.05 | 99.92 ± 0.01 | 98.03 ± 0.07 | 97.81 ± 0.07 |');
    expect(md).toMatch(/this run used p = 20, so its values are not set beside the paper's/);
    expect(md).toMatch(/Epochs trained per seed \(until the training loss has not improved.*\): SB 12 \(plateau\); LB 100 \(cap\)/);
    expect(md).toMatch(/LB seed 0 hit the 100-epoch cap/);
    expect(md).toMatch(/Both SB and LB fit the training set.*the paper's effect — a generalization gap, not an optimization gap/);
  });

  it('says when a run has not converged', () => {
    const md = renderReport(results([run('SB', 0, { trainAcc: 0.97, testAcc: 0.97, phi: 60, epochs: 2, stoppedBy: 'epochs' }), run('LB', 0, { trainAcc: 0.90, testAcc: 0.89, phi: 90, epochs: 2, stoppedBy: 'epochs' })], { stopping: { rule: 'epochs' }, epochs: 2 }));
    expect(md).toMatch(/LB reaches only 90\.00% training accuracy: it has not converged.*optimization gap/);
    expect(md).not.toMatch(/the paper's effect — a generalization gap/);
  });
});
