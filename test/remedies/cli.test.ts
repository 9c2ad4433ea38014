// `lbgap remedies` in-process on a tiny synthetic problem: a 'remedies' spec run by the
// runner — results.json and REPORT.md, the remedy table; a run stopped after its first job
// and resumed, and shards merged, equal the straight run; flags edit the arms; usage errors.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { parseResults, type ResultsFile } from '../../src/experiments/results.js';
import { runExperiment, type StopFlag } from '../../src/experiments/runner.js';
import { resolveSpec } from '../../src/experiments/spec.js';
import { metricsOnly } from '../experiments/helpers.js';

function bufferIo(): Io & { outText: () => string; errText: () => string } {
  const out: string[] = [], err: string[] = [];
  return { out: (l) => out.push(l), err: (l) => err.push(l), outText: () => out.join('\n'), errText: () => err.join('\n') };
}

const dir = mkdtempSync(join(tmpdir(), 'lbgap-remedies-cli-'));
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });
const results = (out: string): ResultsFile => parseResults(readFileSync(join(out, 'results.json'), 'utf8'), out);

const tinyArgs = ['--net', 'tiny', '--data', 'synthetic', '--limit', '200', '--test-limit', '50', '--epochs', '2', '--sb', '32', '--lb', '50',
  '--sharpness-samples', '50', '--build', 'simd', '--seeds', '0,1', '--remedies', 'sam,ghost,dynamic,lars', '--ghost', '25', '--rho', '0.1', '--jobs', '1', '--quiet'];

describe('lbgap remedies', () => {
  let straight: ResultsFile;

  it('runs plain SB, plain LB and each remedy per seed; writes results.json and REPORT.md with the remedy table', async () => {
    const io = bufferIo();
    const out = join(dir, 'straight');
    expect(await main(['remedies', ...tinyArgs, '--out', out], io), io.errText()).toBe(0);
    straight = results(out);
    expect(straight.kind).toBe('remedies');
    expect(straight.status).toBe('complete');
    const names = ['SB', 'LB', 'sam', 'ghost', 'dynamic', 'lars'];
    // Jobs: runs outer, seeds inner.
    expect(straight.runs.map((r) => `${r.setting}/${r.seed}`)).toEqual(names.flatMap((n) => [`${n}/0`, `${n}/1`]));
    expect(straight.runs.map((r) => r.batch)).toEqual([32, 32, ...names.slice(1).flatMap(() => [50, 50])]);
    for (const r of straight.runs) {
      expect(r.phases[0].history).toHaveLength(2);
      expect(r.final.sharpness.map((s) => `${s.space}@${s.eps}`)).toEqual(['full@0.001']);
      expect(r.final.hessian).toBeNull();
    }
    // The flags edited the arms of the spec.
    const arms = straight.spec.remedyRuns;
    expect(arms.map((a) => a.name)).toEqual(['sam', 'ghost', 'dynamic', 'lars']);
    expect(arms[0].remedies).toEqual({ sam: { rho: 0.1 } });
    expect(arms[1].remedies).toEqual({ ghostBatch: { size: 25 } });
    expect(arms[2].remedies).toEqual({ dynamicBatch: { from: 32 } });
    expect(arms[3].optimizer).toMatchObject({ name: 'lars', lr: 1, trust: 0.001 });
    // Same initial weights: the first epoch of every run of a seed starts from the same init,
    // and different remedies give different minimizers.
    expect(straight.runs[4].final.trainLoss).not.toBe(straight.runs[2].final.trainLoss);
    const md = readFileSync(join(out, 'REPORT.md'), 'utf8');
    expect(md).toMatch(/# lbgap — Remedies for large-batch training/);
    for (const n of names) expect(md).toMatch(new RegExp(`^\\| ${n} \\|`, 'm'));
    expect(md).toMatch(/\| dynamic \| paper \(proposed only\) \|/);
    expect(md).toMatch(/only PROPOSED dynamic sampling/);
    expect(md).toMatch(/±/); // two seeds → mean ± std
  });

  it('stopped after a job and resumed with --resume, it equals the straight run', async () => {
    const io = bufferIo();
    expect(await main(['remedies', ...tinyArgs, '--dump-spec'], io)).toBe(0);
    const spec = resolveSpec(JSON.parse(io.outText()));
    expect(spec).toEqual(straight.spec);
    const out = join(dir, 'resumed');
    const stop: StopFlag = { requested: false };
    const first = await runExperiment(spec, { outDir: out, stop, log: (l) => { if (/^job 2 /.test(l)) stop.requested = true; } });
    expect(first.stopped).toBe(true);
    expect(first.results.done).toEqual([0, 1, 2]);
    const io2 = bufferIo();
    // --json instead of --quiet: stdout is the results file alone, the running commentary goes to stderr.
    expect(await main(['remedies', ...tinyArgs.filter((a) => a !== '--quiet'), '--json', '--out', out, '--resume'], io2), io2.errText()).toBe(0);
    expect(io2.errText()).toMatch(/3 already done/);
    expect(JSON.parse(io2.outText()).status).toBe('complete');
    expect(metricsOnly(results(out))).toEqual(metricsOnly(straight));
  });

  it('--shard 0/2 and 1/2, joined by lbgap merge, equal the straight run', async () => {
    for (const i of [0, 1]) {
      const io = bufferIo();
      expect(await main(['remedies', ...tinyArgs, '--shard', `${i}/2`, '--out', join(dir, `shard${i}`)], io), io.errText()).toBe(0);
    }
    expect(results(join(dir, 'shard1')).done).toEqual([1, 3, 5, 7, 9, 11]);
    const io = bufferIo();
    const merged = join(dir, 'merged', 'results.json');
    expect(await main(['merge', join(dir, 'shard0', 'results.json'), join(dir, 'shard1', 'results.json'), '--out', merged], io), io.errText()).toBe(0);
    expect(metricsOnly(parseResults(readFileSync(merged, 'utf8'), merged))).toEqual(metricsOnly(straight));
  });

  it('usage and spec errors name the flag or the spec field; --help documents it', async () => {
    const cases: [string[], number, RegExp][] = [
      [['--remedies', 'sam,dropout'], 2, /--remedies: unknown remedy "dropout" \(choose from augment, conservative/],
      [['--seeds', '1,x'], 2, /--seeds/],
      [['--remedies', 'sam,ghost', '--lambda', '3'], 2, /--lambda: the spec has no 'conservative' run/],
      [['--lb', '1000'], 1, /^lbgap remedies: --lb 1000 is larger than the 200 training samples \(--limit 200\); give a batch of at most 200$/],
      [['--remedies', 'ghost,sam', '--ghost', '200'], 1, /remedyRuns\[0\]\.remedies\.ghostBatch\.size: must be an integer in \[1, 50\], got 200/],
    ];
    for (const [extra, code, re] of cases) {
      const io = bufferIo();
      const args = ['remedies', ...tinyArgs.filter((a, i, all) => !extra.includes(a) && !extra.includes(all[i - 1])), ...extra, '--out', join(dir, 'err')];
      expect(await main(args, io), `${extra.join(' ')}: ${io.errText()}`).toBe(code);
      expect(io.errText(), extra.join(' ')).toMatch(re);
    }
    const io = bufferIo();
    expect(await main(['remedies', '--help'], io)).toBe(0);
    expect(io.outText()).toMatch(/--rho/);
    expect(io.outText()).toMatch(/--jobs/);
    expect(io.outText()).toMatch(/10 min on 2 cores/);
  });
});
