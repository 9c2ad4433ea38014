// CLI smoke tests of `lbgap sharpness`, `lbgap interpolate` and `lbgap hessian` on tiny
// checkpoints trained in the test (synthetic data), with usage and file errors.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

const DATA = ['--data', 'synthetic', '--limit', '300', '--build', 'simd'];

describe('lbgap landscape commands', () => {
  let dir: string, a: string, b: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lbgap-landscape-'));
    a = join(dir, 'a.ckpt'); b = join(dir, 'b.ckpt');
    for (const [path, batch] of [[a, '20'], [b, '150']]) {
      const io = capture();
      const code = await main(['train', '--net', 'tiny', ...DATA, '--epochs', '2', '--batch', batch, '--checkpoint', path], io);
      expect(code, io.stderr.join('\n')).toBe(0);
    }
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('sharpness: full space and subspace, JSON result, φ ≥ 0', async () => {
    const out = join(dir, 's.json');
    const io = capture();
    const code = await main(['sharpness', '--checkpoint', a, ...DATA, '--samples', '100', '--subspace', '5', '--eps', '1e-3,5e-4', '--out', out], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/batch-norm batch statistics per chunk, dropout off/);
    expect(text).toMatch(/full space\s+ε=0.001\s+φ = /);
    expect(text).toMatch(/subspace p=5\s+ε=0.0005\s+φ = /);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.command).toBe('sharpness');
    expect(j.results).toHaveLength(4);
    for (const e of j.results) { expect(e.phi).toBeGreaterThanOrEqual(0); expect(e.fmax).toBeGreaterThanOrEqual(e.f0); }
    expect(j.loss.sample).toBe(100);
    expect(j.loss.batchNorm).toMatch(/batch statistics/);
  });

  it('interpolate: α grid, endpoints equal the checkpoints evaluated alone, SVG plot', async () => {
    const out = join(dir, 'i.json'), svg = join(dir, 'i.svg');
    const io = capture();
    const code = await main(['interpolate', '--a', a, '--b', b, ...DATA, '--points', '4', '--range', '-1,2', '--test-limit', '200', '--stats-samples', '300', '--out', out, '--svg', svg], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/batch norm: BN running statistics recomputed at every point/);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.points.map((p: { alpha: number }) => p.alpha)).toEqual([-1, 0, 1, 2]);
    expect(j.bn.mode).toBe('recompute');
    // α = 0 and α = 1 against single-point runs (range [0, 1] with 2 points): same numbers.
    const io2 = capture(), out2 = join(dir, 'i2.json');
    expect(await main(['interpolate', '--a', a, '--b', b, ...DATA, '--points', '2', '--range', '0,1', '--test-limit', '200', '--stats-samples', '300', '--out', out2], io2)).toBe(0);
    const j2 = JSON.parse(readFileSync(out2, 'utf8'));
    expect(j2.points[0]).toEqual({ ...j.points[1], alpha: 0 });
    expect(j2.points[1]).toEqual({ ...j.points[2], alpha: 1 });
    const s = readFileSync(svg, 'utf8');
    expect(s.startsWith('<svg')).toBe(true);
    expect(s).toMatch(/accuracy/);
  });

  it('hessian: top eigenvalues and trace, JSON result', async () => {
    const out = join(dir, 'h.json');
    const io = capture();
    const code = await main(['hessian', '--checkpoint', a, ...DATA, '--samples', '100', '--top', '2', '--max-iter', '12', '--trace', '--trace-samples', '4', '--out', out], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/top 2 eigenvalues \(largest λ\): /);
    expect(io.stdout.join('\n')).toMatch(/trace ≈ /);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.eigen.values).toHaveLength(2);
    expect(j.eigen.values[0]).toBeGreaterThanOrEqual(j.eigen.values[1]);
    expect(j.trace.samples).toBeLessThanOrEqual(4);
    expect(j.hvp).toBe('exact');
    expect(j.eigen.which).toBe('algebraic');
  });

  it('hessian --density --compare --svg: both checkpoints measured, densities on one SVG; --hvp central-differences is named', async () => {
    const out = join(dir, 'hd.json'), svg = join(dir, 'hd.svg');
    const io = capture();
    const code = await main(['hessian', '--checkpoint', a, '--compare', b, ...DATA, '--samples', '60', '--top', '1', '--max-iter', '8', '--density', '--density-steps', '10', '--out', out, '--svg', svg], io);
    expect(code, io.stderr.join('\n')).toBe(0);
    const text = io.stdout.join('\n');
    expect(text.match(/top 1 eigenvalue \(largest λ\): /g)).toHaveLength(2);
    expect(text).toMatch(/eigenvalue density \(SLQ, 1 run × 10 steps/);
    const j = JSON.parse(readFileSync(out, 'utf8'));
    expect(j.density.runs[0].nodes).toHaveLength(10);
    expect(j.compare).toHaveLength(1);
    expect(j.compare[0].checkpoint).toBe(b);
    const top = j.density.runs[0].nodes[9];
    expect(Math.abs(top - j.eigen.values[0])).toBeLessThan(0.05 * Math.abs(j.eigen.values[0]));
    const s = readFileSync(svg, 'utf8');
    expect(s).toMatch(/^<svg/);
    expect(s).toMatch(/a\.ckpt/); expect(s).toMatch(/b\.ckpt/);
    const io2 = capture();
    expect(await main(['hessian', '--checkpoint', a, ...DATA, '--samples', '60', '--top', '1', '--max-iter', '6', '--hvp', 'central-differences'], io2)).toBe(0);
    expect(io2.stdout.join('\n')).toMatch(/HVP by central differences, step /);
    const io3 = capture();
    expect(await main(['hessian', '--checkpoint', a, ...DATA, '--svg', join(dir, 'x.svg')], io3)).toBe(2);
    expect(io3.stderr.join('\n')).toMatch(/--svg needs --density/);
  });

  it('--help, usage errors (exit 2) and file errors (exit 1)', async () => {
    for (const cmd of ['sharpness', 'interpolate', 'hessian']) {
      const io = capture();
      expect(await main([cmd, '--help'], io)).toBe(0);
      expect(io.stdout.join('\n')).toMatch(new RegExp(`Usage: lbgap ${cmd} \\[options\\]`));
    }
    const cases: [string[], RegExp][] = [
      [['sharpness'], /--checkpoint is required/],
      [['sharpness', '--checkpoint', a, '--eps', '1e-3,x'], /--eps: "x" is not a number/],
      [['sharpness', '--checkpoint', a, '--eps', '0'], /--eps: every radius must be > 0, got 0/],
      [['sharpness', '--checkpoint', a, '--subspace', '0'], /--subspace: must be ≥ 1/],
      [['sharpness', '--checkpoint', a, ...DATA, '--subspace', '99999999'], /--subspace: P = 99999999 exceeds the network's \d+ parameters/],
      [['sharpness', '--checkpoint', a, '--full=false'], /--no-full needs --subspace/],
      [['sharpness', '--checkpoint', a, '--no-full'], /--no-full needs --subspace/],
      [['interpolate', '--a', a], /--b is required/],
      [['interpolate', '--a', a, '--b', b, '--range', '2,1'], /--range: needs LO < HI/],
      [['interpolate', '--a', a, '--b', b, '--range', '1'], /--range: needs 2 comma-separated numbers/],
      [['hessian', '--checkpoint', a, '--top', '0'], /--top: must be ≥ 1/],
      [['hessian', '--checkpoint', a, '--bogus'], /unknown option --bogus/],
    ];
    for (const [argv, re] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderr.join('\n')).toMatch(re);
    }
    const missing = join(dir, 'nope.ckpt');
    let io = capture();
    expect(await main(['sharpness', '--checkpoint', missing, ...DATA], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/^lbgap sharpness: checkpoint .*nope\.ckpt: cannot read: no such file or folder$/);
    const corrupt = join(dir, 'bad.ckpt');
    writeFileSync(corrupt, 'LBGAPCKP garbage');
    io = capture();
    expect(await main(['hessian', '--checkpoint', corrupt, ...DATA], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/^lbgap hessian: checkpoint .*bad\.ckpt: /);
    expect(io.stderr.join('\n')).not.toMatch(/Error/);
    io = capture();
    expect(await main(['interpolate', '--a', a, '--b', missing, ...DATA], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/nope\.ckpt: cannot read/);
    expect(existsSync(join(dir, 'nothing.json'))).toBe(false);
  });
});
