// A job the runner runs alone spreads its measurements (φ in both spaces, the Hessian) over
// the idle cores of its `jobs` budget (ParallelObjective) — with the same bits as measuring
// in the job's thread; with other jobs running it gets only what they leave.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spreadOf } from '../../src/experiments/job_protocol.js';
import type { ProgressSink } from '../../src/experiments/progress.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { workerBundle } from '../workers/bundle.js';
import { jobWorkerBundle, metricsOnly, tinyData, tinySpec } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lbgap-spread-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const data = tinyData();
const measured = { track: { enabled: false }, interpolation: { points: 0 }, hessian: { top: 1, maxIter: 3, sample: 100 }, sharpness: { subspace: 3, eps: [1e-3], sample: 100, chunk: 25, maxIter: 3 } };

function sink(): ProgressSink & { text: string } {
  const s = { isTTY: false, text: '', write: (t: string) => { s.text += t; } };
  return s;
}

describe('a lone job measures over the idle cores', () => {
  it('one job, --jobs 3: φ (full and p = 3) and the Hessian over 3 workers, the same bits as in-thread', async () => {
    const spec = tinySpec({ kind: 'sweep', seeds: [0], batches: [16], ...measured });
    const alone = await runExperiment(spec, { outDir: join(root, 'inthread'), data, jobs: 1, measureWorkerUrl: null });
    const p = sink();
    const spread = await runExperiment(spec, { outDir: join(root, 'spread'), data, jobs: 3, measureWorkerUrl: await workerBundle(), progress: p });
    expect(spread.failures).toEqual([]);
    expect(p.text).toMatch(/φ full space ε=0\.001: .*over 3 workers/);
    expect(p.text).toMatch(/φ p=3 ε=0\.001: .*over 3 workers/);
    expect(p.text).toMatch(/top Hessian eigenvalue .*over 3 workers/);
    expect(metricsOnly(spread.results)).toEqual(metricsOnly(alone.results));
    expect(spread.results.runs[0].final.sharpness.length).toBe(2);
  });

  it('--jobs 1 keeps the measurements in the job\'s thread', async () => {
    const spec = tinySpec({ kind: 'sweep', seeds: [0], batches: [16], ...measured });
    const p = sink();
    await runExperiment(spec, { outDir: join(root, 'one'), data, jobs: 1, measureWorkerUrl: await workerBundle(), progress: p });
    expect(p.text).toMatch(/φ full space/);
    expect(p.text).not.toMatch(/workers\)/);
  });

  it('jobs in job workers: results equal one after another in this thread', async () => {
    const spec = tinySpec({ kind: 'sweep', seeds: [0], batches: [16, 40, 80], ...measured });
    const straight = await runExperiment(spec, { outDir: join(root, 'straight'), data, jobs: 1, measureWorkerUrl: null });
    const two = await runExperiment(spec, { outDir: join(root, 'two'), data, jobs: 2, workerUrl: await jobWorkerBundle(), measureWorkerUrl: await workerBundle() });
    expect(two.failures).toEqual([]);
    expect(metricsOnly(two.results)).toEqual(metricsOnly(straight.results));
  });

  it('a job\'s share: the budget less the other running jobs, at least 1', () => {
    const running = new Int32Array(new SharedArrayBuffer(4));
    const s = spreadOf({ url: 'x', budget: 4, running })!;
    running[0] = 1; expect(s.workers()).toBe(4);
    running[0] = 3; expect(s.workers()).toBe(2);
    running[0] = 4; expect(s.workers()).toBe(1);
    running[0] = 6; expect(s.workers()).toBe(1);
    expect(spreadOf(null)).toBeUndefined();
  });
});
