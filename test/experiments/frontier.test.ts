// `frontier` (issue 15): the spec (defaults, presets, errors naming the field), where a target
// is crossed between two evaluations, a tiny frontier end to end on the runner (every batch
// trained to the target, step cost, B_simple, the fit, the report), the report re-rendered
// from results.json alone, resume of a finished run, and the CLI's flags.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { frontierBatches } from '../../src/experiments/frontier_spec.js';
import { summarizeFrontier, targetCrossing } from '../../src/experiments/frontier_results.js';
import { renderReport, writeReport } from '../../src/experiments/report.js';
import { parseResults, type ResultsFile } from '../../src/experiments/results.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { defaultSpec, presetSpec, resolveSpec, SpecError, type ExperimentSpec } from '../../src/experiments/spec.js';
import type { EpochMetrics, TargetCheck } from '../../src/train/metrics.js';
import { tinyData } from './helpers.js';

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
