// `frontier` (issue 15): the spec (defaults, presets, errors naming the field), where a target
// is crossed between two evaluations, a tiny frontier end to end on the runner (every batch
// trained to the target, step cost, B_simple, the fit, the report), the report re-rendered
// from results.json alone, resume of a finished run, and the CLI's flags; the 'step costs'
// job (every batch's step timed alone, in-thread and over the --jobs workers): it runs alone,
// --jobs 1 records why there is no pool, shards keep one copy that merge combines, and results
// written before it still render (the committed F1 frontier byte for byte) and refuse --resume.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { frontierBatches } from '../../src/experiments/frontier_spec.js';
import { allJobs, shardJobs } from '../../src/experiments/jobs.js';
import { parseAndMerge } from '../../src/experiments/merge.js';
import { summarizeFrontier, targetCrossing } from '../../src/experiments/frontier_results.js';
import { renderReport, writeReport } from '../../src/experiments/report.js';
import { parseResults, type ResultsFile } from '../../src/experiments/results.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { defaultSpec, presetSpec, resolveSpec, SpecError, type ExperimentSpec } from '../../src/experiments/spec.js';
import type { EpochMetrics, TargetCheck } from '../../src/train/metrics.js';
import { workerBundle } from '../workers/bundle.js';
import { jobWorkerBundle, tinyData } from './helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lbgap-frontier-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

function specError(input: Record<string, unknown>): string {
  try { resolveSpec({ kind: 'frontier', ...input }); } catch (e) { if (e instanceof SpecError) return e.message; throw e; }
  throw new Error('no SpecError');
}

describe('frontier spec', () => {
  it('defaults: F1 on MNIST, 3 seeds, training loss ≤ 0.1, powers of two from 32 to 10 % of the data; quick: one seed, five batches', () => {
    const s = defaultSpec('frontier');
    expect(s.frontier!.target).toEqual({ metric: 'trainLoss', value: 0.1 });
    expect(s.seeds).toEqual([0, 1, 2]);
    expect(frontierBatches(s.frontier!, 60000)).toEqual([32, 64, 128, 256, 512, 1024, 2048, 4096]);
    expect(frontierBatches(s.frontier!, 6000)).toEqual([32, 64, 128, 256, 512]);
    const q = presetSpec('quick', 'frontier');
    expect(q.seeds).toEqual([0]);
    expect(q.frontier!.batches).toEqual([32, 128, 512, 2048, 4096]);
    // Round trip: a dumped spec resolves to itself; other kinds have no frontier section.
    expect(resolveSpec(JSON.parse(JSON.stringify(q)))).toEqual(q);
    expect(defaultSpec('sweep').frontier).toBeUndefined();
  });

  it('rejects bad values with the field path', () => {
    expect(specError({ frontier: { target: { metric: 'loss' } } })).toMatch(/^frontier\.target\.metric: must be one of "trainLoss", "testAcc"/);
    expect(specError({ frontier: { target: { metric: 'testAcc', value: 97 } } })).toMatch(/^frontier\.target\.value: must be a test accuracy in \(0, 1\]/);
    expect(specError({ frontier: { target: { value: -1 } } })).toMatch(/^frontier\.target\.value: must be a training loss > 0/);
    expect(specError({ frontier: { batches: [32, 64, 32] } })).toMatch(/^frontier\.batches\[2\]: 32 appears twice/);
    expect(specError({ frontier: { batches: [] } })).toMatch(/^frontier\.batches: must be a non-empty list/);
    expect(specError({ frontier: { noise: { bSmall: 64, bBig: 100 } } })).toMatch(/^frontier\.noise\.bBig: must be a multiple of noise\.bSmall = 64/);
    expect(specError({ frontier: { checks: { growth: 1 } } })).toMatch(/^frontier\.checks\.growth: must be a factor in \(1, 4\]/);
    expect(specError({ frontier: { target: { metric: 'trainLoss', value: 0.1, extra: 1 } } })).toMatch(/^frontier\.target\.extra: unknown field/);
    expect(specError({ stopping: { rule: 'plateau' } })).toMatch(/^stopping\.rule: must be 'epochs' in a frontier spec/);
    expect(() => resolveSpec({ kind: 'sweep', frontier: {} })).toThrow(/^frontier: unknown field/);
  });
});

describe('targetCrossing', () => {
  const check = (step: number, examples: number, seconds: number, trainLoss: number): TargetCheck => ({ step, examples, seconds, trainLoss, trainAcc: null, testLoss: null, testAcc: null });
  const epoch = (checks: TargetCheck[]) => ({ checks } as unknown as EpochMetrics);

  it('interpolates log loss against log samples between the last miss and the hit', () => {
    const c = targetCrossing([epoch([check(10, 1000, 1, 0.8), check(20, 2000, 3, 0.4)]), epoch([check(40, 4000, 7, 0.1)])], { metric: 'trainLoss', value: 0.2 })!;
    // ln(0.4/0.2) / ln(0.4/0.1) = 1/2 of the way in log samples: √(2000·4000).
    expect(c.bracketed).toBe(true);
    expect(c.examples).toBeCloseTo(Math.sqrt(2000 * 4000), 9);
    const t = (c.examples - 2000) / 2000;
    expect(c.steps).toBeCloseTo(20 + 20 * t, 9);
    expect(c.seconds).toBeCloseTo(3 + 4 * t, 9);
    expect(c.hit.step).toBe(40);
  });

  it('a hit at the first evaluation is taken as is; no hit is null', () => {
    expect(targetCrossing([epoch([check(5, 500, 1, 0.1)])], { metric: 'trainLoss', value: 0.2 })).toMatchObject({ bracketed: false, steps: 5, examples: 500, seconds: 1 });
    expect(targetCrossing([epoch([check(5, 500, 1, 0.3)])], { metric: 'trainLoss', value: 0.2 })).toBeNull();
  });
});

describe('a tiny frontier end to end', () => {
  let res: ResultsFile;
  const data = tinyData();
  const spec: ExperimentSpec = resolveSpec({
    kind: 'frontier', net: 'tiny', data: { name: 'synthetic', trainLimit: 400, testLimit: 200 }, seeds: [0], epochs: 30, build: 'simd', lr: 0.01,
    trainEvalSamples: 200, sharpness: { sample: 100, chunk: 50, maxIter: 3 }, hessian: { top: 1, maxIter: 4, sample: 100 },
    frontier: { batches: [8, 32, 100], target: { metric: 'trainLoss', value: 0.6 }, checks: { growth: 1.2, from: 40 }, stepCost: { seconds: 0.05 }, noise: { bSmall: 8, bBig: 64, draws: 2, epochs: [1] } },
  });
  beforeAll(async () => {
    const out = await runExperiment(spec, { outDir: join(root, 'tiny'), data });
    res = out.results;
    await writeReport(res, join(root, 'tiny'));
  }, 120_000);

  it('trains every batch to the target and records step cost, crossing and B_simple', () => {
    expect(res.status).toBe('complete');
    // Job 0 timed the steps alone; --jobs 1: in this thread only, and the file says why.
    expect(res.totalJobs).toBe(4);
    expect(res.frontierStepCosts!.map((c) => c.batch)).toEqual([8, 32, 100]);
    for (const c of res.frontierStepCosts!) {
      expect(c).toMatchObject({ workers: 1, pool: null });
      expect(c.poolSkipped).toMatch(/^--jobs 1: the runner may use one core/);
      expect(c.inThread.batch).toBe(c.batch);
      expect(c.inThread.steps).toBeGreaterThanOrEqual(3);
      expect(c.inThread.samplesPerSecond).toBeCloseTo(c.batch / c.inThread.secondsPerStep, 6);
    }
    expect(res.runs.map((r) => r.setting)).toEqual(['B=8', 'B=32', 'B=100']);
    for (const r of res.runs) {
      const fr = r.frontier!;
      expect(r.phases[0].stoppedBy).toBe('target');
      expect(fr.stepCost.batch).toBe(r.batch);
      expect(fr.stepCost.secondsPerStep).toBeGreaterThan(0);
      expect(fr.crossing!.hit.trainLoss!).toBeLessThanOrEqual(0.6);
      expect(fr.crossing!.examples).toBeLessThanOrEqual(fr.crossing!.hit.examples);
      expect(fr.noise[0]).toMatchObject({ epoch: 0, examples: 0, atTarget: false });
      expect(fr.noise.filter((p) => p.atTarget)).toHaveLength(1);
      expect(r.final.sharpness.map((s) => `${s.space}@${s.eps}`)).toEqual(['full@0.001']);
      expect(r.final.hessian!.values).toHaveLength(1);
    }
    // Same initial weights for every batch: the same B_simple at the start.
    expect(new Set(res.runs.map((r) => r.frontier!.noise[0].bSimple)).size).toBe(1);
    // Larger batches take fewer steps to the target.
    const steps = res.runs.map((r) => r.frontier!.crossing!.steps);
    expect(steps[0]).toBeGreaterThan(steps[2]);
    const s = summarizeFrontier(res);
    expect(s.fit).not.toBeNull();
    expect(s.rows.map((r) => r.error)).toEqual(s.fit!.points.map((p) => p.error));
    expect(s.curve.length).toBeGreaterThan(10);
  });

  it('REPORT.md and the figures render from results.json alone, byte for byte', async () => {
    const file = join(root, 'tiny', 'results.json');
    const md = readFileSync(join(root, 'tiny', 'REPORT.md'), 'utf8');
    expect(renderReport(parseResults(readFileSync(file, 'utf8'), file))).toBe(md);
    expect(md).toMatch(/## Verdict\n\nOn this machine .* B = \d+ reaches training loss ≤ 0\.6 fastest/);
    expect(md).toMatch(/error per batch: B=8 [+−][\d.]+ %, B=32 [+−][\d.]+ %, B=100 [+−][\d.]+ %/);
    expect(md).toMatch(/## A step timed alone: in-thread\n/);
    expect(md).toMatch(/No pool: --jobs 1: the runner may use one core/);
    expect(md).toMatch(/Timed alone, a step was timed in one thread only \(no pool: --jobs 1[^)]*\); at those step times B = \d+ reaches the target fastest: [\d.]+ s/);
    const io = capture();
    expect(await main(['report', file, '--out', join(root, 'rerender')], io), io.stderr.join('\n')).toBe(0);
    expect(readFileSync(join(root, 'rerender', 'REPORT.md'), 'utf8')).toBe(md);
    for (const f of ['frontier-time.svg', 'frontier-pareto.svg', 'frontier-generalization.svg', 'frontier-noise-scale.svg']) {
      const svg = readFileSync(join(root, 'rerender', f), 'utf8');
      expect(svg, f).toBe(readFileSync(join(root, 'tiny', f), 'utf8'));
      expect(svg, f).toMatch(/^<svg/);
    }
    expect(readFileSync(join(root, 'tiny', 'frontier-time.svg'), 'utf8')).toMatch(/fastest measured: B=\d+/);
  });

  it('resuming the finished run changes nothing but the clock', async () => {
    const again = await runExperiment(spec, { outDir: join(root, 'tiny'), data, resume: true });
    expect(again.results.runs).toEqual(res.runs);
  });
});

describe('the step costs job', () => {
  const data = tinyData();
  // Cheap runs: a loose target, tiny measurements.
  const spec: ExperimentSpec = resolveSpec({
    kind: 'frontier', net: 'tiny', data: { name: 'synthetic', trainLimit: 400, testLimit: 200 }, seeds: [0], epochs: 10, build: 'simd', lr: 0.01,
    trainEvalSamples: 200, sharpness: { sample: 50, chunk: 50, maxIter: 2 }, hessian: { top: 0 },
    frontier: { batches: [8, 32, 100], target: { metric: 'trainLoss', value: 0.9 }, checks: { growth: 1.5, from: 40 }, stepCost: { seconds: 0.05 }, noise: { bSmall: 8, bBig: 32, draws: 1, epochs: [] } },
  });

  it('is job 0, exclusive, in exactly one shard', () => {
    const jobs = allJobs(spec, data.train.n);
    expect(jobs.map((j) => j.label)).toEqual(['step costs', 'B=8, seed 0', 'B=32, seed 0', 'B=100, seed 0']);
    expect(jobs[0]).toMatchObject({ index: 0, exclusive: true, setting: { type: 'stepcosts', batches: [8, 32, 100] } });
    expect(jobs.slice(1).every((j) => !j.exclusive)).toBe(true);
    for (const n of [2, 3, 4]) {
      const holders = Array.from({ length: n }, (_, i) => shardJobs(jobs, { index: i, count: n })).filter((js) => js.some((j) => j.setting.type === 'stepcosts'));
      expect(holders, `${n} shards`).toHaveLength(1);
    }
  });

  it('--jobs 2: runs alone at the start and times every batch in-thread and over 2 workers', async () => {
    const events: string[] = [];
    const out = await runExperiment(spec, {
      outDir: join(root, 'alone2'), data, jobs: 2, workerUrl: await jobWorkerBundle(), measureWorkerUrl: await workerBundle(),
      live: {
        begin: (e) => events.push(`begin ${e.job}`),
        saved: (r) => { for (const j of r.done) if (!events.includes(`done ${j}`)) events.push(`done ${j}`); },
      },
    });
    expect(out.failures).toEqual([]);
    // Nothing began before job 0 was done; job 0 began first.
    expect(events[0]).toBe('begin 0');
    expect(events[1]).toBe('done 0');
    expect(events.filter((e) => e.startsWith('begin')).sort()).toEqual(['begin 0', 'begin 1', 'begin 2', 'begin 3']);
    const costs = out.results.frontierStepCosts!;
    expect(costs.map((c) => c.batch)).toEqual([8, 32, 100]);
    for (const c of costs) {
      expect(c.workers).toBe(2);
      expect(c.poolSkipped).toBeNull();
      expect(c.pool).toMatchObject({ batch: c.batch, transport: 'shared' });
      expect(c.pool!.steps).toBeGreaterThanOrEqual(3);
      expect(c.pool!.secondsPerStep).toBeGreaterThan(0);
      expect(c.inThread.secondsPerStep).toBeGreaterThan(0);
    }
    const file = join(root, 'alone2', 'results.json');
    const res = parseResults(readFileSync(file, 'utf8'), file);
    const s = summarizeFrontier(res);
    expect(s.alone!.rows.map((r) => r.ratio)).toEqual(costs.map((c) => c.pool!.samplesPerSecond / c.inThread.samplesPerSecond));
    const md = renderReport(res);
    expect(md).toMatch(/## A step timed alone: in-thread and over 2 workers\n/);
    expect(md).toMatch(/\| B \| samples\/s in-thread \| samples\/s over 2 workers \| 2 workers \/ in-thread \|/);
    for (const b of [8, 32, 100]) expect(md).toMatch(new RegExp(`\\| (\\*\\*)?${b}(\\*\\*)? \\| \\d+ \\| \\d+ \\| × [\\d.]+ \\| (2 workers|in-thread) \\|`));
    expect(md).toMatch(/Timed alone, a step over 2 workers gives the samples\/s of one thread × [\d.]+ at B = 8, × [\d.]+ at B = 32, × [\d.]+ at B = 100(; with the pool used for the steps wherever it is faster|: the pool is faster at no batch size here, so the steps stay in one thread, where) B = \d+ reaches the target fastest/);
    expect(md).toMatch(/Steps timed alone \(job 0, run with no other job beside it\)/);
  }, 180_000);

  it('--shard keeps it in one shard; merge combines the shards with exactly one copy', async () => {
    const parts = [];
    for (const index of [0, 1]) {
      const out = await runExperiment(spec, { outDir: join(root, `shard${index}`), data, shard: { index, count: 2 } });
      expect(out.failures).toEqual([]);
      parts.push({ file: `shard${index}`, text: readFileSync(join(root, `shard${index}`, 'results.json'), 'utf8') });
    }
    const [a, b] = parts.map((p) => JSON.parse(p.text) as ResultsFile);
    expect(a.jobs).toEqual([0, 2]);
    expect(a.frontierStepCosts!.map((c) => c.batch)).toEqual([8, 32, 100]);
    expect(b.frontierStepCosts).toBeUndefined();
    // Either order of the files: one copy, shard 0's.
    for (const files of [parts, [parts[1], parts[0]]]) {
      const merged = parseAndMerge(files);
      expect(merged.done).toEqual([0, 1, 2, 3]);
      expect(merged.frontierStepCosts).toEqual(a.frontierStepCosts);
      expect(merged.runs.map((r) => r.setting)).toEqual(['B=8', 'B=32', 'B=100']);
      expect(renderReport(merged)).toMatch(/## A step timed alone/);
    }
    // And through the command.
    const io = capture();
    const mergedFile = join(root, 'merged', 'all.json');
    expect(await main(['merge', join(root, 'shard1', 'results.json'), join(root, 'shard0', 'results.json'), '--out', mergedFile], io), io.stderr.join('\n')).toBe(0);
    expect(parseResults(readFileSync(mergedFile, 'utf8'), mergedFile).frontierStepCosts).toEqual(a.frontierStepCosts);
  }, 180_000);

  it('results written before the step costs job: render without its section; --resume refuses with the job-count error', async () => {
    // The committed F1 frontier (no step costs job) renders exactly as committed.
    const committed = fileURLToPath(new URL('../../docs/results/frontier-f1/', import.meta.url));
    const old = parseResults(readFileSync(join(committed, 'results.json'), 'utf8'), 'frontier-f1');
    expect(old.frontierStepCosts).toBeUndefined();
    expect(summarizeFrontier(old).alone).toBeNull();
    const md = renderReport(old);
    expect(md).toBe(readFileSync(join(committed, 'REPORT.md'), 'utf8'));
    expect(md).not.toMatch(/timed alone/i);
    // A file of this spec written before: one job fewer, the batches at jobs 0…2.
    const cur = JSON.parse(readFileSync(join(root, 'shard0', 'results.json'), 'utf8')) as ResultsFile;
    const before: ResultsFile = { ...cur, totalJobs: 3, shard: null, jobs: [0, 1, 2], done: [], runs: [], final: [], status: 'interrupted', timings: { ...cur.timings, jobs: [], seconds: 0 } };
    delete before.frontierStepCosts;
    const dir = join(root, 'before');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'results.json'), JSON.stringify(before));
    await expect(runExperiment(spec, { outDir: dir, data, resume: true })).rejects.toThrow(/was written by an earlier lbgap with 3 jobs \(this one splits the same spec into 4\)/);
  });
});

describe('lbgap frontier', () => {
  it('--dump-spec takes --batch and a target', async () => {
    const io = capture();
    expect(await main(['frontier', '--dump-spec', '--batch', '64,256', '--target-acc', '0.97'], io)).toBe(0);
    const s = JSON.parse(io.stdout.join('\n'));
    expect(s.kind).toBe('frontier');
    expect(s.frontier.batches).toEqual([64, 256]);
    expect(s.frontier.target).toEqual({ metric: 'testAcc', value: 0.97 });
  });

  it('refuses two targets', async () => {
    const io = capture();
    expect(await main(['frontier', '--dump-spec', '--target-acc', '0.97', '--target-loss', '0.1'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/give one target, not both/);
  });
});
