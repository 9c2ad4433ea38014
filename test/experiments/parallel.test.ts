// The runner with --jobs N: jobs in worker threads give results.json identical (wall-clock
// fields aside) to one after another in this thread; a stop reaches every running job and
// the resumed run equals a straight one; a job that throws is recorded while the others
// finish; a diverged run is recorded as diverged.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { renderReport } from '../../src/experiments/report.js';
import { parseResults, type ResultsFile } from '../../src/experiments/results.js';
import { runExperiment, type StopFlag } from '../../src/experiments/runner.js';
import { jobWorkerBundle, metricsOnly, tinyData, tinySpec } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lbgap-par-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dir = (name: string) => join(root, name);
const data = tinyData();
const fileOf = (out: string): ResultsFile => parseResults(readFileSync(join(out, 'results.json'), 'utf8'), out);

// Four jobs (2 batch sizes × 2 seeds), cheap measurements.
const spec = tinySpec({ kind: 'sweep', track: { enabled: false }, interpolation: { points: 0 }, hessian: { top: 1, maxIter: 3, sample: 100 }, sharpness: { subspace: 3, eps: [1e-3], sample: 100, chunk: 50, maxIter: 3 } });

describe('--jobs N', () => {
  let straight: ResultsFile;

  it('--jobs 2 (worker threads) writes the same results.json as --jobs 1, runs in job order', async () => {
    const workerUrl = await jobWorkerBundle();
    straight = (await runExperiment(spec, { outDir: dir('j1'), data, jobs: 1 })).results;
    const lines: string[] = [];
    const two = await runExperiment(spec, { outDir: dir('j2'), data, jobs: 2, workerUrl, log: (l) => lines.push(l) });
    expect(two.failures).toEqual([]);
    expect(lines[0]).toMatch(/2 at a time/);
    expect(straight.runs.map((r) => r.job)).toEqual([0, 1, 2, 3]);
    expect(metricsOnly(fileOf(dir('j2')))).toEqual(metricsOnly(fileOf(dir('j1'))));
    expect(fileOf(dir('j2')).status).toBe('complete');
  });

  it('a stop reaches the jobs in workers; the resumed run equals the straight one', async () => {
    const workerUrl = await jobWorkerBundle();
    const stop: StopFlag = { requested: false };
    let events = 0;
    // Stop once the first epoch line arrives (jobs are mid-training then).
    const progress = { isTTY: false, write: (t: string) => { if (/epoch 1\/2/.test(t) && ++events === 1) stop.requested = true; } };
    const first = await runExperiment(spec, { outDir: dir('stop'), data, jobs: 2, workerUrl, stop, progress });
    expect(first.stopped).toBe(true);
    expect(fileOf(dir('stop')).status).toBe('interrupted');
    expect(first.results.done.length).toBeLessThan(4);
    const resumed = await runExperiment(spec, { outDir: dir('stop'), data, jobs: 2, workerUrl, resume: true });
    expect(resumed.stopped).toBe(false);
    expect(metricsOnly(fileOf(dir('stop')))).toEqual(metricsOnly(straight));
  });

  it('a job that throws is recorded, the others finish, and --resume runs it again', async () => {
    const workerUrl = await jobWorkerBundle();
    const out = dir('fail');
    // Stopped before any job: results.json exists, nothing done.
    const none = await runExperiment(spec, { outDir: out, data, jobs: 2, workerUrl, stop: { requested: true } });
    expect(none.results.done).toEqual([]);
    // A corrupt checkpoint makes job 1 throw when it tries to resume from it.
    writeFileSync(join(out, 'checkpoints', 'job1-B_16.ckpt'), 'not a checkpoint');
    const lines: string[] = [];
    const r = await runExperiment(spec, { outDir: out, data, jobs: 2, workerUrl, resume: true, log: (l) => lines.push(l) });
    expect(r.failures.map((f) => f.job)).toEqual([1]);
    expect(r.failures[0].error).toMatch(/CheckpointError: checkpoint .*job1-B_16\.ckpt/);
    expect(lines.join('\n')).toMatch(/job 1 \(B=16, seed 1\) FAILED/);
    const saved = fileOf(out);
    expect(saved.status).toBe('failed');
    expect(saved.done).toEqual([0, 2, 3]);
    expect(saved.failures).toEqual(r.failures);
    expect(renderReport(saved)).toMatch(/job 1 \(B=16, seed 1\) FAILED/);
    rmSync(join(out, 'checkpoints', 'job1-B_16.ckpt'));
    const again = await runExperiment(spec, { outDir: out, data, jobs: 1, resume: true });
    expect(again.failures).toEqual([]);
    expect(metricsOnly(fileOf(out))).toEqual(metricsOnly(straight));
  });
});

describe('reproduce: one seed on two cores', () => {
  // One seed's SB and LB are separate jobs: with two slots they train at once; the
  // parametric plot waits for both and reads their checkpoints.
  const one = tinySpec({ seeds: [0], track: { enabled: false }, hessian: { top: 0 }, sharpness: { subspace: 0, eps: [1e-3], sample: 100, chunk: 50, maxIter: 3 } });

  it('SB and LB run at once; the plot runs after both; the file equals --jobs 1', async () => {
    const workerUrl = await jobWorkerBundle();
    const events: string[] = [];
    const progress = { isTTY: false, write: (t: string) => { events.push(t); } };
    const lines: string[] = [];
    const two = await runExperiment(one, { outDir: dir('one-2'), data, jobs: 2, workerUrl, progress, log: (l) => lines.push(l) });
    expect(two.failures).toEqual([]);
    const text = events.join('');
    // LB (job 1) reports epochs before SB (job 0) is done: they overlap.
    const lbEpoch = text.search(/job 1: LB \(batch 80\) seed 0: epoch 1/);
    const sbDone = lines.findIndex((l) => /^job 0 .* done/.test(l));
    expect(lbEpoch).toBeGreaterThanOrEqual(0);
    expect(sbDone).toBeGreaterThanOrEqual(0);
    expect(text.search(/job 0: SB \(batch 16\) seed 0: epoch 2/)).toBeGreaterThan(-1);
    expect(lines.findIndex((l) => /^job 2 .* done/.test(l))).toBeGreaterThan(Math.max(sbDone, lines.findIndex((l) => /^job 1 .* done/.test(l))));
    const straight = await runExperiment(one, { outDir: dir('one-1'), data, jobs: 1 });
    expect(metricsOnly(fileOf(dir('one-2')))).toEqual(metricsOnly(straight.results));
    expect(straight.results.interpolations.map((i) => i.job)).toEqual([2]);
  });

  it('a failed run leaves its plot not run (recorded); --resume runs both', async () => {
    const out = dir('one-fail');
    await runExperiment(one, { outDir: out, data, stop: { requested: true } });
    writeFileSync(join(out, 'checkpoints', 'job0-SB.ckpt'), 'not a checkpoint');
    const r = await runExperiment(one, { outDir: out, data, resume: true });
    expect(r.failures.map((f) => f.job)).toEqual([0, 2]);
    expect(r.failures[1].error).toBe('not run: it needs job 0, which did not finish');
    expect(fileOf(out).done).toEqual([1]);
    rmSync(join(out, 'checkpoints', 'job0-SB.ckpt'));
    const again = await runExperiment(one, { outDir: out, data, resume: true });
    expect(again.failures).toEqual([]);
    expect(metricsOnly(fileOf(out))).toEqual(metricsOnly(fileOf(dir('one-1'))));
  });
});

describe('a failed job on the command line', () => {
  it('the command exits 1 naming the job, after the other jobs finished', async () => {
    const out = dir('cli-fail'), specFile = dir('cli-fail.json');
    writeFileSync(specFile, JSON.stringify(spec));
    await runExperiment(spec, { outDir: out, stop: { requested: true } });
    writeFileSync(join(out, 'checkpoints', 'job1-B_16.ckpt'), 'not a checkpoint');
    const stdout: string[] = [], stderr: string[] = [];
    const code = await main(['sweep', '--spec', specFile, '--out', out, '--resume', '--jobs', '1', '--quiet'], { out: (l) => stdout.push(l), err: (l) => stderr.push(l) });
    expect(code).toBe(1);
    expect(stderr.join('\n')).toMatch(/job 1 \(B=16, seed 1\) failed: CheckpointError/);
    expect(stderr.join('\n')).toMatch(/1 of 4 jobs failed .* --resume/);
    expect(fileOf(out).done).toEqual([0, 2, 3]);
    expect(readFileSync(join(out, 'REPORT.md'), 'utf8')).toMatch(/job 1 \(B=16, seed 1\) FAILED/);
  });
});

describe('divergence', () => {
  it('a run whose loss becomes NaN/Inf is recorded as diverged (where), not measured, and left out of the summary', async () => {
    const s = tinySpec({ kind: 'sweep', batches: [16], seeds: [0], optimizer: { name: 'sgd', lr: 1e30 }, track: { enabled: false }, hessian: { top: 0 }, sharpness: { subspace: 0, eps: [1e-3], sample: 100, chunk: 50, maxIter: 3 } });
    const r = (await runExperiment(s, { outDir: dir('div'), data })).results;
    expect(r.status).toBe('complete');
    const run = r.runs[0];
    expect(run.status).toBe('diverged');
    expect(run.phases[0].stoppedBy).toBe('diverged');
    expect(run.phases[0].diverged!.epoch).toBe(1);
    expect(run.phases[0].diverged!.step).toBeGreaterThanOrEqual(1);
    expect(run.final.sharpness).toEqual([]);
    expect(run.note).toMatch(/at epoch 1, step \d+/);
    expect(r.final[0].diverged).toBe(1);
    expect(r.final[0].testAcc).toBeNull();
    const md = renderReport(fileOf(dir('div')));
    expect(md).toMatch(/## Runs that did not train normally/);
    expect(md).toMatch(/B=16, seed 0 \(job 0\): diverged/);
  });

  it('a run whose loss did not improve is flagged (and still measured)', async () => {
    const s = tinySpec({ kind: 'sweep', batches: [16], seeds: [0], optimizer: { name: 'sgd', lr: 1e-12 }, track: { enabled: false }, hessian: { top: 0 }, sharpness: { subspace: 0, eps: [1e-3], sample: 100, chunk: 50, maxIter: 3 } });
    const r = (await runExperiment(s, { outDir: dir('flat'), data })).results;
    expect(r.runs[0].status).toBe('not-improved');
    expect(r.runs[0].note).toMatch(/not below ln 4/);
    expect(r.runs[0].final.sharpness).toHaveLength(1);
    expect(r.final[0].notImproved).toBe(1);
    expect(renderReport(r)).toMatch(/B=16, seed 0 \(job 0\): did not improve/);
  });
});
