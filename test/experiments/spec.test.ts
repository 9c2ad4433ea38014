// Experiment specs: defaults, presets, and validation errors that name the bad field.
import { describe, expect, it } from 'vitest';
import { allJobs, groupCount, parseShard, shardJobs } from '../../src/experiments/jobs.js';
import { defaultSpec, deviationsFromPaper, parseSpec, presetSpec, resolveSpec, SpecError } from '../../src/experiments/spec.js';

function specError(input: unknown): SpecError {
  try { resolveSpec(input); } catch (e) { if (e instanceof SpecError) return e; throw e; }
  throw new Error('accepted');
}

describe('experiment spec', () => {
  it('fills defaults: the paper protocol (F1, MNIST, 5 seeds, SB 256, LB 10%, both ε, p = 100)', () => {
    const s = resolveSpec({});
    expect(s).toEqual(defaultSpec('reproduce'));
    expect(s).toMatchObject({ net: 'F1', seeds: [0, 1, 2, 3, 4], sb: 256, lb: null, sharpness: { eps: [1e-3, 5e-4], subspace: 100, maxIter: 10 } });
    expect(resolveSpec({ kind: 'sweep', seeds: [3] })).toMatchObject({ kind: 'sweep', seeds: [3], batches: [64, 256, 1024, 4096, 6000] });
  });

  it('round-trips: a dumped spec resolves to itself', () => {
    for (const kind of ['reproduce', 'sweep', 'warmstart'] as const) {
      const q = presetSpec('quick', kind);
      expect(parseSpec(JSON.stringify(q))).toEqual(q);
    }
  });

  it('quick reproduce: all of MNIST, one seed, 20 epochs, SB and LB as two jobs (they run at once)', () => {
    const q = presetSpec('quick');
    expect(q).toMatchObject({ net: 'F1', data: { name: 'mnist', trainLimit: null }, seeds: [0], epochs: 20, stopping: { rule: 'epochs' }, sb: 256, lb: null });
    expect(allJobs(q, 60000).map((j) => j.label)).toEqual(['SB 256, seed 0', 'LB 6000, seed 0', 'parametric plot SB→LB, seed 0']);
    expect(deviationsFromPaper(q).join('\n')).toMatch(/a fixed 20 epochs per run/);
  });

  it('names the bad field path', () => {
    expect(specError({ runs: 1 }).message).toMatch(/^runs: unknown field/);
    expect(specError({ seeds: [0, 1.5] }).message).toBe('seeds[1]: must be an integer ≥ 0 and ≤ 4294967294, got 1.5');
    expect(specError({ seeds: [2, 2] }).message).toBe('seeds[1]: 2 appears twice');
    expect(specError({ seeds: [] }).path).toBe('seeds');
    expect(specError({ kind: 'sweep', batches: [64, 0] }).message).toBe('batches[1]: must be an integer ≥ 1, got 0');
    expect(specError({ sharpness: { eps: [1e-3, -1] } }).message).toBe('sharpness.eps[1]: must be a finite number > 0, got -1');
    expect(specError({ sharpness: { epss: [1] } }).path).toBe('sharpness.epss');
    expect(specError({ data: { name: 'imagenet' } }).message).toMatch(/^data\.name: must be one of "mnist"/);
    expect(specError({ net: 'F9' }).path).toBe('net');
    expect(specError({ lr: 0 }).path).toBe('lr');
    expect(specError({ epochs: '3' }).message).toBe('epochs: must be an integer ≥ 1, got "3"');
    expect(specError({ interpolation: { range: [2, -1] } }).path).toBe('interpolation.range');
    expect(specError({ interpolation: { points: 1 } }).path).toBe('interpolation.points');
    expect(specError({ version: 2 }).path).toBe('version');
    expect(specError({ kind: 'train' }).path).toBe('kind');
    expect(specError({ sharpness: { fullSpace: false, subspace: 0 } }).path).toBe('sharpness');
    expect(specError({ hessian: { top: 3, maxIter: 2 } }).path).toBe('hessian.maxIter');
    expect(specError([1]).path).toBe('(spec)');
    expect(() => parseSpec('{"net": ', 'x.json')).toThrow(/x\.json is not valid JSON/);
  });

  it('lists every deviation from the paper, the paper preset\'s unavoidable ones included', () => {
    const paper = deviationsFromPaper(presetSpec('paper')).join('\n');
    // Even the paper preset differs: init, the stopping rule's numbers, φ's subset, A, y = 0.
    expect(paper).toMatch(/He-normal initial weights/);
    expect(paper).toMatch(/has not improved by more than 0\.001 for 3 epochs, not before epoch 20, at most 100 epochs/);
    expect(paper).toMatch(/6000-sample subset of the training set, batch norm with the batch statistics of 1000-sample chunks \(the paper: f over ALL training points/);
    expect(paper).toMatch(/A's entries i\.i\.d\. uniform/);
    expect(paper).toMatch(/starts at y = 0/);
    expect(paper).not.toMatch(/\d seeds?\b|L-BFGS-B iteration|parametric plot/);
    const custom = deviationsFromPaper(resolveSpec({
      seeds: [0], stopping: { rule: 'epochs' }, epochs: 2, sharpness: { maxIter: 5, subspace: 20, sample: 500, chunk: 500 },
      data: { trainLimit: 5000 }, interpolation: { points: 13 },
    })).join('\n');
    expect(custom).toMatch(/1 seed \(the paper: 5 trials\)/);
    expect(custom).toMatch(/a fixed 2 epochs per run \(the paper trains "until the loss function ceased to improve"; its authors' code uses 20 epochs\)/);
    expect(custom).toMatch(/5 L-BFGS-B iterations/);
    expect(custom).toMatch(/p = 20 \(the paper: p = 100/);
    expect(custom).toMatch(/only the first 5000 training samples/);
    expect(custom).not.toMatch(/LB batch/); // LB null = 10% of the 5000 used: as the paper
    expect(custom).toMatch(/13 points/);
    const sweep = deviationsFromPaper(resolveSpec({ kind: 'sweep' })).join('\n');
    expect(sweep).toMatch(/Figure 4 trains every batch size for 100 epochs/);
    const ws = deviationsFromPaper(resolveSpec({ kind: 'warmstart' })).join('\n');
    expect(ws).toMatch(/Figure 5: 100 SB epochs, k = 1…100/);
    expect(deviationsFromPaper(resolveSpec({ net: 'C1', data: { name: 'fashion-mnist' } })).join('\n')).toMatch(/C1 on Fashion-MNIST \(the paper ran C1 on CIFAR-10\)/);
  });

  it('resolves the stopping rule and tracked seeds, rejecting bad values by path', () => {
    expect(resolveSpec({}).stopping).toEqual({ rule: 'plateau', patience: 3, minDelta: 1e-3, minEpochs: 20 });
    expect(specError({ stopping: { minEpochs: -1 } }).path).toBe('stopping.minEpochs');
    expect(resolveSpec({ kind: 'sweep' }).stopping.rule).toBe('epochs');
    expect(resolveSpec({ track: { seeds: null } }).track.seeds).toBeNull();
    expect(specError({ stopping: { rule: 'never' } }).path).toBe('stopping.rule');
    expect(specError({ stopping: { patience: 0 } }).path).toBe('stopping.patience');
    expect(specError({ stopping: { minDelta: -1 } }).path).toBe('stopping.minDelta');
    expect(specError({ track: { seeds: [1, 1] } }).path).toBe('track.seeds[1]');
  });
});

describe('jobs and shards', () => {
  it('orders jobs settings-outer, seeds-inner; shards take every n-th', () => {
    const s = resolveSpec({ kind: 'sweep', batches: [64, 256, 1024], seeds: [0, 1] });
    const jobs = allJobs(s, 60000);
    expect(jobs.map((j) => j.label)).toEqual(['B=64, seed 0', 'B=64, seed 1', 'B=256, seed 0', 'B=256, seed 1', 'B=1024, seed 0', 'B=1024, seed 1']);
    expect(shardJobs(jobs, { index: 1, count: 4 }).map((j) => j.index)).toEqual([1, 5]);
  });

  it('reproduce: SB, LB and the parametric plot per seed; the plot waits for both; the jobs of a seed share a shard', () => {
    const jobs = allJobs(resolveSpec({ seeds: [7, 8] }), 60000);
    expect(jobs.map((j) => j.label)).toEqual(['SB 256, seed 7', 'LB 6000, seed 7', 'parametric plot SB→LB, seed 7', 'SB 256, seed 8', 'LB 6000, seed 8', 'parametric plot SB→LB, seed 8']);
    expect(jobs.map((j) => j.setting)).toEqual([
      { type: 'run', role: 'SB', batch: 256 }, { type: 'run', role: 'LB', batch: 6000 }, { type: 'parametric', sb: 0, lb: 1 },
      { type: 'run', role: 'SB', batch: 256 }, { type: 'run', role: 'LB', batch: 6000 }, { type: 'parametric', sb: 3, lb: 4 },
    ]);
    expect(jobs.map((j) => j.after)).toEqual([[], [], [0, 1], [], [], [3, 4]]);
    expect(shardJobs(jobs, { index: 1, count: 2 }).map((j) => j.index)).toEqual([3, 4, 5]);
    expect(groupCount(jobs)).toBe(2);
    // No parametric plot asked for: no plot job.
    expect(allJobs(resolveSpec({ seeds: [7], interpolation: { points: 0 } }), 60000).map((j) => j.setting.type)).toEqual(['run', 'run']);
  });

  it('parses i/n and rejects bad shards', () => {
    expect(parseShard('2/5')).toEqual({ index: 2, count: 5 });
    expect(() => parseShard('5/5')).toThrow('--shard: the index i must be in [0, 4], got 5');
    expect(() => parseShard('0/0')).toThrow(/shard count n must be ≥ 1/);
    expect(() => parseShard('1-2')).toThrow(/must look like i\/n/);
  });
});
