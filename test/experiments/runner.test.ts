// The experiment runner end to end on a tiny network and a small synthetic problem:
// results → report re-render is identical, shards merged equal the unsharded sweep bit for
// bit, merge refuses overlaps/gaps/mixed specs, and a run stopped by SIGINT and resumed
// equals an uninterrupted run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { mergeResults } from '../../src/experiments/merge.js';
import { writeReport } from '../../src/experiments/report.js';
import { parseResults, ResultsError, type ResultsFile } from '../../src/experiments/results.js';
import { ExperimentError, runExperiment } from '../../src/experiments/runner.js';
import { cliArgs } from './cli_bundle.js';
import { metricsOnly, tinyData, tinySpec } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lbgap-exp-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string) => join(root, name);
const data = tinyData();

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('reproduce on a tiny problem', () => {
  let res: ResultsFile;

  it('trains SB and LB per seed from the same init and measures every minimizer', async () => {
    const out = await runExperiment(tinySpec(), { outDir: dir('rep'), data });
    res = out.results;
    expect(out.stopped).toBe(false);
    expect(res.status).toBe('complete');
    expect(res.runs.map((r) => `${r.setting}/${r.seed}`)).toEqual(['SB/0', 'LB/0', 'SB/1', 'LB/1']);
    // Jobs: SB, LB, plot per seed; the plots are jobs 2 and 5.
    expect(res.runs.map((r) => r.job)).toEqual([0, 1, 3, 4]);
    expect(res.interpolations.map((i) => i.job)).toEqual([2, 5]);
    expect(res.done).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of res.runs) {
      expect(r.phases[0].history).toHaveLength(2);
      expect(r.phases[0].track.map((p) => p.epoch)).toEqual([1, 2]);
      expect(r.final.sharpness.map((s) => `${s.space}@${s.eps}`)).toEqual(['full@0.001', 'full@0.0005', 'random@0.001', 'random@0.0005']);
      for (const s of r.final.sharpness) expect(s.phi).toBeGreaterThanOrEqual(0);
      expect(r.final.hessian!.values).toHaveLength(1);
    }
    // Both runs of a seed start from the same weights: their first epoch sees the same init,
    // the interpolation endpoints reproduce the runs' parameters (α = 0 is SB, α = 1 is LB).
    expect(res.interpolations.map((i) => i.alphas)).toEqual([[-1, 0, 1, 2], [-1, 0, 1, 2]]);
    expect(res.final.map((r) => r.setting)).toEqual(['SB', 'LB']);
    expect(res.final[0].seeds).toBe(2);
  });

  it('report re-rendered from results.json alone is byte-identical', async () => {
    const a = dir('rep'), b = dir('rep-rerender');
    await writeReport(res, a);
    const io = capture();
    expect(await main(['report', join(a, 'results.json'), '--out', b], io)).toBe(0);
    const filesA = readdirSync(a).filter((f) => /\.(md|svg)$/.test(f)).sort();
    expect(filesA).toContain('REPORT.md');
    expect(filesA).toContain('parametric-loss.svg');
    expect(readdirSync(b).sort()).toEqual(filesA);
    for (const f of filesA) expect(readFileSync(join(b, f), 'utf8')).toBe(readFileSync(join(a, f), 'utf8'));
    const md = readFileSync(join(a, 'REPORT.md'), 'utf8');
    expect(md).toMatch(/## Table 2 — accuracy/);
    expect(md).toMatch(/## Table 4 — sharpness φ, random manifold \(p = 5\)/);
  });

  it('refuses to overwrite an experiment without --resume, and a resume with another spec', async () => {
    await expect(runExperiment(tinySpec(), { outDir: dir('rep'), data })).rejects.toThrow(ExperimentError);
    await expect(runExperiment(tinySpec({ epochs: 3 }), { outDir: dir('rep'), data, resume: true })).rejects.toThrow(/different spec/);
    await expect(runExperiment(tinySpec(), { outDir: dir('nothing'), data, resume: true })).rejects.toThrow(/nothing to resume/);
  });

  it('rejects a results file of another version with a clear error', () => {
    expect(() => parseResults(JSON.stringify({ ...res, version: 7 }), 'r.json')).toThrow('r.json: version: must be 1, got 7');
    expect(() => parseResults('[', 'r.json')).toThrow(/r\.json: is not valid JSON/);
    expect(() => parseResults(JSON.stringify({ ...res, spec: { ...res.spec, epochs: 0 } }), 'r.json')).toThrow('r.json: spec.epochs: must be an integer ≥ 1, got 0');
  });
});

describe('sweep sharding', () => {
  const spec = tinySpec({ kind: 'sweep', track: { enabled: false }, interpolation: { points: 0 } });
  let full: ResultsFile, s0: ResultsFile, s1: ResultsFile;

  it('shard 0/2 + 1/2 merged equals the unsharded sweep bit for bit', async () => {
    full = (await runExperiment(spec, { outDir: dir('sweep'), data })).results;
    s0 = (await runExperiment(spec, { outDir: dir('sweep0'), data, shard: { index: 0, count: 2 } })).results;
    s1 = (await runExperiment(spec, { outDir: dir('sweep1'), data, shard: { index: 1, count: 2 } })).results;
    expect(full.done).toEqual([0, 1, 2, 3]);
    expect(s0.done).toEqual([0, 2]);
    expect(s1.done).toEqual([1, 3]);
    const merged = mergeResults([{ file: 'b', results: s1 }, { file: 'a', results: s0 }]);
    expect(metricsOnly(merged)).toEqual(metricsOnly(full));
    expect(full.final.map((r) => r.setting)).toEqual(['B=16', 'B=80']);
    const files = (await writeReport(full, dir('sweep'))).map((f) => f.split('/').pop());
    expect(files).toContain('sharpness-vs-batch.svg');
    expect(readFileSync(join(dir('sweep'), 'sharpness-vs-batch.svg'), 'utf8')).toMatch(/^<svg/);
    expect(readFileSync(join(dir('sweep'), 'REPORT.md'), 'utf8')).toMatch(/\| 80 \| 2 \|/);
  });

  it('lbgap merge writes the merged file; overlaps, gaps and mixed specs are errors', async () => {
    const io = capture();
    const out = dir('merged.json');
    expect(await main(['merge', join(dir('sweep0'), 'results.json'), join(dir('sweep1'), 'results.json'), '--out', out, '--no-report'], io)).toBe(0);
    expect(metricsOnly(parseResults(readFileSync(out, 'utf8'), out))).toEqual(metricsOnly(full));
    expect(() => mergeResults([{ file: 'a', results: s0 }, { file: 'a2', results: s0 }])).toThrow('a2: job 0 is also in a (overlapping shards)');
    expect(() => mergeResults([{ file: 'a', results: s0 }])).toThrow('(merge): jobs 1, 3 of 4 missing from the given files');
    const other = { ...s1, spec: { ...s1.spec, lr: 0.01 } };
    expect(() => mergeResults([{ file: 'a', results: s0 }, { file: 'b', results: other }])).toThrow(ResultsError);
    const bad = capture();
    expect(await main(['merge', join(dir('sweep0'), 'results.json'), '--out', dir('x.json')], bad)).toBe(1);
    expect(bad.stderr.join('\n')).toMatch(/missing/);
  });
});

describe('warm start', () => {
  it('trains SB for k epochs, then LB with a fresh optimizer', async () => {
    const spec = tinySpec({ kind: 'warmstart', seeds: [0], track: { enabled: false }, sharpness: { subspace: 0, eps: [1e-3], sample: 100, chunk: 50, maxIter: 3 }, hessian: { top: 0 } });
    const r = (await runExperiment(spec, { outDir: dir('warm'), data })).results;
    expect(r.runs.map((x) => [x.setting, x.phases.map((p) => `${p.name}:${p.batch}x${p.history.length}`)])).toEqual([
      ['k=0', ['LB:80x2']], ['k=1', ['SB:16x1', 'LB:80x2']],
    ]);
    const files = (await writeReport(r, dir('warm'))).map((f) => f.split('/').pop());
    expect(files).toContain('warmstart.svg');
    expect(readFileSync(join(dir('warm'), 'REPORT.md'), 'utf8')).toMatch(/## Warm start: SB \(16\) for k epochs, then LB for 2/);
  });
});

describe('SIGINT and --resume', () => {
  it('a run stopped by SIGINT and resumed equals an uninterrupted run', async () => {
    // Long enough (many small-batch epochs) that the signal lands mid-run.
    const spec = tinySpec({ data: { name: 'synthetic', trainLimit: 1000, testLimit: 200 }, seeds: [0, 1], epochs: 6, sb: 8, lb: 100, hessian: { top: 0 }, sharpness: { subspace: 0, eps: [1e-3], sample: 100, chunk: 50, maxIter: 3 } });
    const specFile = dir('sigint-spec.json');
    writeFileSync(specFile, JSON.stringify(spec));
    const out = dir('sigint');
    const args = await cliArgs(['reproduce', '--spec', specFile, '--out', out, '--jobs', '2']);
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '', stdout = '', sent = false;
    child.stdout.on('data', (b) => { stdout += b; });
    child.stderr.on('data', (b) => {
      stderr += b;
      // After the first completed epoch (its checkpoint is written right after this line).
      if (!sent && /epoch 2\/6/.test(stderr)) { sent = true; child.kill('SIGINT'); }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(sent, stderr).toBe(true);
    expect(code, stdout + stderr).toBe(130);
    expect(stderr).toMatch(/stopping every job after its current step, epoch or measurement/);
    const partial = parseResults(readFileSync(join(out, 'results.json'), 'utf8'), 'partial');
    expect(partial.status).toBe('interrupted');
    expect(partial.done).toEqual([]);
    expect(readdirSync(join(out, 'checkpoints'))).toContain('job0-SB.ckpt');
    expect(readFileSync(join(out, 'REPORT.md'), 'utf8')).toMatch(/Partial results/);

    // Resume in this process (same kernels build: 'simd'), and an uninterrupted reference.
    const io = capture();
    // The child ran its two jobs in two job workers (--jobs defaults to the cores); resumed here in this thread.
    expect(await main(['reproduce', '--spec', specFile, '--out', out, '--resume', '--quiet', '--jobs', '1'], io)).toBe(0);
    const resumed = parseResults(readFileSync(join(out, 'results.json'), 'utf8'), 'resumed');
    const ref = (await runExperiment(spec, { outDir: dir('sigint-ref') })).results;
    expect(resumed.status).toBe('complete');
    expect(metricsOnly(resumed)).toEqual(metricsOnly(ref));
  });
});
