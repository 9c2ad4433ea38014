// `lbgap hessian --density --into results.json`: each checkpoint's SLQ density stored in its
// run of an experiment's results file (matched by the runner's checkpoint names), nothing else
// in the file changed, and `lbgap report` then renders the "Hessian spectral density" section
// and hessian-spectral-density.svg; usage errors before any computation.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { summarize, type ResultsFile, type RunRecord } from '../../src/experiments/results.js';
import { resolveSpec } from '../../src/experiments/spec.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const DATA = ['--data', 'synthetic', '--limit', '300', '--build', 'simd'];

function run(setting: string, seed: number): RunRecord {
  // Two epochs, as the checkpoints below were trained.
  const history = [1, 2].map((epoch) => ({ epoch, trainLoss: 0.5, trainAcc: 0.8, testLoss: 0.6, testAcc: 0.75, batchLoss: 0.5, seconds: 1, evalSeconds: 1, steps: 1, samplesPerSecond: 1 }));
  return {
    job: seed, seed, setting, batch: setting === 'SB' ? 20 : 150, k: null, seconds: 1,
    phases: [{ name: setting, batch: setting === 'SB' ? 20 : 150, epochs: 2, history, track: [], stoppedBy: 'epochs' }],
    final: { trainLoss: 0.5, trainAcc: 0.8, testLoss: 0.6, testAcc: 0.75, hessian: null, sharpness: [] },
  };
}

describe('lbgap hessian --into', () => {
  let dir: string, sb: string, lb: string, resultsPath: string, original: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lbgap-into-'));
    mkdirSync(join(dir, 'checkpoints'));
    sb = join(dir, 'checkpoints', 'job0-SB.ckpt'); lb = join(dir, 'checkpoints', 'job0-LB.ckpt');
    for (const [path, batch] of [[sb, '20'], [lb, '150']]) {
      const io = capture();
      const code = await main(['train', '--net', 'tiny', ...DATA, '--epochs', '2', '--batch', batch, '--checkpoint', path], io);
      expect(code, io.stderr.join('\n')).toBe(0);
    }
    const spec = resolveSpec({ net: 'tiny', seeds: [0], hessian: { top: 0 }, sharpness: { eps: [1e-3], subspace: 0 }, interpolation: { points: 0 }, track: { enabled: false } });
    const runs = [run('SB', 0), run('LB', 0)];
    const res: ResultsFile = {
      version: 1, kind: 'reproduce', status: 'complete', spec, seeds: spec.seeds,
      environment: { lbgap: '0', node: 'v20', platform: 'linux', cpus: 2, cpuModel: 'cpu', kernels: 'simd' },
      data: { train: 'synthetic/train', trainSamples: 300, test: 'synthetic/test', testSamples: 100 },
      totalJobs: 1, shard: null, jobs: [0], done: [0], runs, interpolations: [], final: summarize(runs),
      timings: { started: '', finished: '', seconds: 1, jobs: [] },
    };
    resultsPath = join(dir, 'results.json');
    original = JSON.stringify(res, null, 1) + '\n';
    writeFileSync(resultsPath, original);
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('stores each density in its run (the same quadrature as --out), changes nothing else; report draws them', async () => {
    const out = join(dir, 'h.json');
    const io = capture();
    const code = await main(['hessian', '--checkpoint', sb, '--compare', lb, ...DATA, '--samples', '60', '--top', '1', '--max-iter', '6', '--density', '--density-steps', '8', '--out', out, '--into', resultsPath], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/stored 2 densities in .*results\.json \(SB seed 0, LB seed 0\)/);
    const h = JSON.parse(readFileSync(out, 'utf8'));
    const after = JSON.parse(readFileSync(resultsPath, 'utf8'));
    const [dSB, dLB] = [after.runs[0].final.hessianDensity, after.runs[1].final.hessianDensity];
    expect(dSB.runs).toEqual(h.density.runs);
    expect(dLB.runs).toEqual(h.compare[0].density.runs);
    expect(dSB.runs[0].nodes).toHaveLength(8);
    expect(dSB).toMatchObject({ hvp: 'exact', sample: 60, chunk: 60, sampleSeed: 0, bn: 'batch', seed: 0, products: 8 });
    expect(dSB.source).toMatch(/^lbgap hessian --density --into \(job0-SB\.ckpt, epoch 2\)$/);
    // Nothing but the two densities changed (the file is rewritten from its own JSON).
    delete after.runs[0].final.hessianDensity; delete after.runs[1].final.hessianDensity;
    expect(JSON.stringify(after, null, 1) + '\n').toBe(original);
    expect(readFileSync(resultsPath, 'utf8')).toMatch(/^\{\n "version": 1,/);

    const rep = join(dir, 'report');
    const io2 = capture();
    expect(await main(['report', resultsPath, '--out', rep], io2), io2.stderr.join('\n')).toBe(0);
    const md = readFileSync(join(rep, 'REPORT.md'), 'utf8');
    expect(md).toContain('## Hessian spectral density (later work; not in the paper)');
    expect(md).toMatch(/\| SB seed 0 \| .* \| 8 × 1 \| 8 \|/);
    expect(md).toMatch(/\| LB seed 0 \| .* \| 8 × 1 \| 8 \|/);
    expect(existsSync(join(rep, 'hessian-spectral-density.svg'))).toBe(true);
    const svg = readFileSync(join(rep, 'hessian-spectral-density.svg'), 'utf8');
    expect(svg).toMatch(/^<svg/);
    expect(svg).toMatch(/SB seed 0/); expect(svg).toMatch(/LB seed 0/);
  });

  it('--from stores the densities of an earlier --out record of the same checkpoints (measuring nothing)', async () => {
    const out = join(dir, 'h.json'), copy = join(dir, 'results-copy.json');
    writeFileSync(copy, original);
    const io = capture();
    const code = await main(['hessian', '--checkpoint', sb, '--compare', lb, '--density', '--from', out, '--into', copy, '--build', 'simd'], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(io.stdout.join('\n')).not.toMatch(/eigenvalue/);
    const h = JSON.parse(readFileSync(out, 'utf8'));
    const after = JSON.parse(readFileSync(copy, 'utf8'));
    expect(after.runs[0].final.hessianDensity.runs).toEqual(h.density.runs);
    expect(after.runs[1].final.hessianDensity.runs).toEqual(h.compare[0].density.runs);
    expect(after.runs[0].final.hessianDensity).toMatchObject({ hvp: 'exact', sample: 60, seed: 0, products: 8 });
    expect(after.runs[0].final.hessianDensity.source).toMatch(/^lbgap hessian --density \(job0-SB\.ckpt, epoch 2, \d{4}-\d\d-\d\d\), stored with --from h\.json$/);
    // A subset, in any order: only those runs get a density.
    writeFileSync(copy, original);
    expect(await main(['hessian', '--checkpoint', lb, '--density', '--from', out, '--into', copy], capture())).toBe(0);
    const one = JSON.parse(readFileSync(copy, 'utf8'));
    expect(one.runs[0].final.hessianDensity).toBeUndefined();
    expect(one.runs[1].final.hessianDensity.runs).toEqual(h.compare[0].density.runs);
    // A checkpoint the record did not measure: refused, the file untouched.
    writeFileSync(copy, original);
    const other = join(dir, 'checkpoints', 'job1-SB.ckpt');
    const io2 = capture();
    expect(await main(['hessian', '--checkpoint', other, '--density', '--from', out, '--into', copy], io2)).toBe(2);
    expect(io2.stderr.join('\n')).toMatch(/--into: .*holds no run of job 1/);
    const io4 = capture();
    expect(await main(['hessian', '--checkpoint', sb, '--compare', join(dir, 'a.ckpt'), '--density', '--from', out, '--into', copy], io4)).toBe(2);
    expect(io4.stderr.join('\n')).toMatch(/--into: .*a\.ckpt is not named like/);
    const io3 = capture();
    expect(await main(['hessian', '--checkpoint', sb, '--density', '--from', out], io3)).toBe(2);
    expect(io3.stderr.join('\n')).toMatch(/--from needs --into/);
    expect(readFileSync(copy, 'utf8')).toBe(original);
  });

  it('refuses a checkpoint of another epoch than its run trained (not that run\'s minimizer), measured or --from', async () => {
    const res = JSON.parse(original);
    res.runs[0].phases[0].history.pop(); // SB "trained" 1 epoch; its checkpoint has 2
    const file = join(dir, 'results-short.json');
    writeFileSync(file, JSON.stringify(res, null, 1) + '\n');
    const before = readFileSync(file, 'utf8');
    for (const extra of [['--from', join(dir, 'h.json')], [...DATA, '--samples', '60', '--top', '1', '--max-iter', '4']]) {
      const io = capture();
      expect(await main(['hessian', '--checkpoint', sb, '--density', '--into', file, ...extra], io)).toBe(2);
      expect(io.stderr.join('\n')).toMatch(/--into: .*job0-SB\.ckpt is of epoch 2, but run SB seed 0 \(job 0\) trained 1 epochs: it is not that run's minimizer/);
      expect(io.stdout.join('\n')).not.toMatch(/eigenvalue/);
    }
    expect(readFileSync(file, 'utf8')).toBe(before);
  });

  it('usage errors, before any computation: --into without --density, a checkpoint that is not a run of the file, the same run twice', async () => {
    const before = readFileSync(resultsPath, 'utf8');
    const other = join(dir, 'other.ckpt');
    copyFileSync(sb, other);
    const cases: [string[], RegExp][] = [
      [['--checkpoint', sb, '--into', resultsPath], /--into needs --density/],
      [['--checkpoint', other, '--density', '--into', resultsPath], /--into: .*other\.ckpt is not named like an experiment's checkpoint/],
      [['--checkpoint', join(dir, 'checkpoints', 'job3-SB.ckpt'), '--density', '--into', resultsPath], /--into: .*holds no run of job 3 ending in phase SB/],
      [['--checkpoint', sb, '--compare', sb, '--density', '--into', resultsPath], /--into: .*job0-SB\.ckpt and .*job0-SB\.ckpt are the same run/],
      [['--checkpoint', sb, '--density', '--into', join(dir, 'missing.json')], /--into: cannot read .*missing\.json/],
    ];
    for (const [args, msg] of cases) {
      const io = capture();
      expect(await main(['hessian', ...args, ...DATA, '--samples', '60', '--top', '1', '--max-iter', '4'], io)).toBe(2);
      expect(io.stderr.join('\n')).toMatch(msg);
      expect(io.stdout.join('\n')).not.toMatch(/eigenvalue/);
    }
    expect(readFileSync(resultsPath, 'utf8')).toBe(before);
  });
});
