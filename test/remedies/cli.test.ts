// `lbgap remedies` in-process on a tiny synthetic problem: files, runs, table, usage errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';

function bufferIo(): Io & { outText: () => string; errText: () => string } {
  const out: string[] = [], err: string[] = [];
  return { out: (l) => out.push(l), err: (l) => err.push(l), outText: () => out.join('\n'), errText: () => err.join('\n') };
}

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'lbgap-remedies-cli-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

const tinyArgs = ['--net', 'tiny', '--data', 'synthetic', '--limit', '400', '--test-limit', '100', '--epochs', '2', '--sb', '32', '--lb', '100', '--ghost', '25', '--sharpness-sample', '100', '--build', 'simd'];

describe('lbgap remedies', () => {
  it('trains SB, LB and LB with each remedy; writes remedies.json and REMEDIES.md', async () => {
    const io = bufferIo();
    const out = join(dir, 'all');
    const code = await main(['remedies', ...tinyArgs, '--seeds', '0,1', '--out', out], io);
    expect(code, io.errText()).toBe(0);
    const r = JSON.parse(readFileSync(join(out, 'remedies.json'), 'utf8'));
    expect(r.kind).toBe('remedies');
    const names = ['SB', 'LB', 'augment', 'conservative', 'adversarial', 'dynamic', 'sam', 'ghost', 'warmup', 'lars', 'lamb'];
    expect(r.runs.map((x: { name: string }) => x.name)).toEqual([...names, ...names]);
    expect(r.runs.map((x: { seed: number }) => x.seed)).toEqual([...names.map(() => 0), ...names.map(() => 1)]);
    for (const run of r.runs) {
      expect(run.history).toHaveLength(2);
      expect(run.testAcc).toBeGreaterThan(0);
      expect(Number.isFinite(run.sharpness)).toBe(true);
      expect(run.sharpness).toBeGreaterThanOrEqual(0);
    }
    expect(r.runs[0].batchSize).toBe(32);
    expect(r.runs[1].batchSize).toBe(100);
    // Same initial weights: SB and LB of one seed differ only by training, so their options do.
    expect(r.runs[6].options.sam).toEqual({ rho: 0.05 });
    const md = readFileSync(join(out, 'REMEDIES.md'), 'utf8');
    for (const n of names) expect(md).toMatch(new RegExp(`^\\| ${n} \\|`, 'm'));
    expect(md).toMatch(/±/); // two seeds → mean ± std
    expect(io.outText()).toMatch(/seed 1 lamb/);
  });

  it('--remedies picks a subset; --sharpness-sample 0 skips φ', async () => {
    const io = bufferIo();
    const out = join(dir, 'some');
    expect(await main(['remedies', ...tinyArgs.filter((a, i, all) => a !== '--sharpness-sample' && all[i - 1] !== '--sharpness-sample'), '--sharpness-sample', '0', '--remedies', 'sam,ghost', '--out', out], io)).toBe(0);
    const r = JSON.parse(readFileSync(join(out, 'remedies.json'), 'utf8'));
    expect(r.runs.map((x: { name: string }) => x.name)).toEqual(['SB', 'LB', 'sam', 'ghost']);
    expect(r.runs.every((x: { sharpness: unknown }) => x.sharpness === null)).toBe(true);
  });

  it('usage errors exit 2 naming the flag; --help documents it', async () => {
    let io = bufferIo();
    expect(await main(['remedies', ...tinyArgs, '--remedies', 'sam,dropout', '--out', join(dir, 'x')], io)).toBe(2);
    expect(io.errText()).toMatch(/--remedies: unknown remedy "dropout"/);
    io = bufferIo();
    expect(await main(['remedies', ...tinyArgs.map((a) => (a === '100' ? '1000' : a)), '--out', join(dir, 'y')], io)).toBe(2);
    expect(io.errText()).toMatch(/--lb: 1000 is larger than the 400 training samples/);
    io = bufferIo();
    expect(await main(['remedies', '--seeds', '1,x'], io)).toBe(2);
    expect(io.errText()).toMatch(/--seeds/);
    io = bufferIo();
    expect(await main(['remedies', '--help'], io)).toBe(0);
    expect(io.outText()).toMatch(/--rho/);
    expect(io.outText()).toMatch(/10 min on 2 cores/);
  });
});
