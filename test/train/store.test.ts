// The storage seam (src/train/store.ts) in Node: the file store keeps the CLI's layout and writes
// atomically, the memory store keeps the same contract, checkpoints round-trip through either,
// bad names and unwritable places are typed errors, and the runner core runs the same
// experiment on a memory store as the Node runner does on files (bit for bit), with its live
// events adding up to its cost model.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadKernels } from '../../src/kernels/index.js';
import { runExperiment, nodeEnvironment } from '../../src/experiments/runner.js';
import { runExperimentIn, type JobLiveEvent } from '../../src/experiments/runner_core.js';
import { ExperimentError } from '../../src/experiments/job.js';
import { readCheckpoint, writeCheckpoint, encodeCheckpoint, type Checkpoint } from '../../src/train/checkpoint.js';
import { CheckpointError } from '../../src/train/errors.js';
import { FileStore } from '../../src/train/file_store.js';
import { MemoryStore, openStore, StorageUnavailableError, StoreError, type Store } from '../../src/train/store.js';
import { metricsOnly, tinyData, tinySpec } from '../experiments/helpers.js';

const root = mkdtempSync(join(tmpdir(), 'lbgap-store-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const bytes = (t: string) => new TextEncoder().encode(t);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

function checkpoint(): Checkpoint {
  return {
    spec: { name: 'x', input: [2], layers: [{ type: 'dense', units: 2 }] } as unknown as Checkpoint['spec'], epoch: 2, step: 10, rng: [1, 2, 3, 4], dropoutBase: 0, trainForwards: 10,
    params: Float32Array.from([1, -2, 3.5]), buffers: new Float32Array(0), optimizer: { type: 'adam', t: 10, hyper: { lr: 1e-3 }, vectors: { m: Float32Array.from([0.5, 0.25, 0]) } },
    history: [], run: { batchSize: 4 },
  };
}

/** The contract every store keeps. */
async function contract(s: Store): Promise<void> {
  expect(await s.read('results.json')).toBeNull();
  expect(await s.has('results.json')).toBe(false);
  await s.write('results.json', bytes('{"a":1}\n'));
  await s.write('checkpoints/job0-SB.ckpt', bytes('one'));
  await s.write('checkpoints/job1-LB.ckpt', bytes('two'));
  expect(text(await s.read('results.json'))).toBe('{"a":1}\n');
  expect(await s.has('checkpoints/job0-SB.ckpt')).toBe(true);
  // A write replaces the whole file.
  await s.write('checkpoints/job0-SB.ckpt', bytes('three!'));
  expect(text(await s.read('checkpoints/job0-SB.ckpt'))).toBe('three!');
  // Bytes handed out are copies: changing them changes nothing stored.
  const b = (await s.read('results.json'))!;
  b[0] = 0;
  expect(text(await s.read('results.json'))).toBe('{"a":1}\n');
  await s.clear('checkpoints');
  expect(await s.has('checkpoints/job0-SB.ckpt')).toBe(false);
  expect(await s.has('checkpoints/job1-LB.ckpt')).toBe(false);
  expect(await s.has('results.json')).toBe(true);
  for (const bad of ['../x', 'a//b', '/abs', 'a/./b', 'a\\b', '']) await expect(s.write(bad, bytes('x')), bad).rejects.toThrow(StoreError);
  // Checkpoints round-trip through the store; a missing one is a CheckpointError naming it.
  const c = checkpoint();
  await writeCheckpoint(s, 'checkpoints/job3-SB.ckpt', c);
  expect(await s.read('checkpoints/job3-SB.ckpt')).toEqual(encodeCheckpoint(c));
  const back = await readCheckpoint(s, 'checkpoints/job3-SB.ckpt');
  expect([back.epoch, back.step, [...back.params], [...back.optimizer.vectors.m]]).toEqual([2, 10, [1, -2, 3.5], [0.5, 0.25, 0]]);
  const missing = readCheckpoint(s, 'checkpoints/nope.ckpt');
  await expect(missing).rejects.toThrow(CheckpointError);
  await expect(readCheckpoint(s, 'checkpoints/nope.ckpt')).rejects.toThrow(`checkpoint ${s.where('checkpoints/nope.ckpt')}: cannot read: no such file or folder`);
}

describe('stores', () => {
  it('the file store: the contract, the CLI layout (<root>/checkpoints/jobN-SB.ckpt, <root>/results.json), atomic writes leave no temporary files', async () => {
    const dir = join(root, 'files');
    const s = new FileStore(dir);
    await contract(s);
    expect(s.where('checkpoints/job0-SB.ckpt')).toBe(join(dir, 'checkpoints', 'job0-SB.ckpt'));
    expect(s.ref).toEqual({ kind: 'files', root: dir });
    expect(readFileSync(join(dir, 'checkpoints', 'job3-SB.ckpt')).subarray(0, 8).toString()).toBe('LBGAPCKP');
    expect(readFileSync(join(dir, 'results.json'), 'utf8')).toBe('{"a":1}\n');
    expect(readdirSync(dir).sort()).toEqual(['checkpoints', 'results.json']);
    expect(readdirSync(join(dir, 'checkpoints'))).toEqual(['job3-SB.ckpt']);
    // Another thread reaches the same files through the ref.
    const again = await openStore(s.ref);
    expect(text(await again.read('results.json'))).toBe('{"a":1}\n');
    // An unwritable place is a StoreError naming the file (here a folder's place is taken by a file).
    writeFileSync(join(root, 'plain-file'), 'x');
    const blocked = new FileStore(join(root, 'plain-file'));
    await expect(blocked.write('results.json', bytes('x'))).rejects.toThrow(StoreError);
    await expect(blocked.write('results.json', bytes('x'))).rejects.toThrow(`${join(root, 'plain-file', 'results.json')}: cannot write:`);
  });

  it('the memory store: the same contract, in this thread only', async () => {
    const s = new MemoryStore();
    await contract(s);
    expect(s.ref).toBeNull();
    expect(s.names()).toEqual(['checkpoints/job3-SB.ckpt', 'results.json']);
  });

  it('OPFS outside a browser is StorageUnavailableError', async () => {
    await expect(openStore({ kind: 'opfs', root: 'lbgap-runs/x' })).rejects.toThrow(StorageUnavailableError);
    await expect(openStore({ kind: 'opfs', root: 'lbgap-runs/x' })).rejects.toThrow(/no origin private file system/);
  });
});

describe('the runner core on any store', () => {
  const data = tinyData();
  const spec = tinySpec({ seeds: [0], track: { enabled: false, sample: 100, seeds: null } });

  it('a memory store gives the file runner’s results bit for bit; live events add up to the cost model', async () => {
    const onFiles = await runExperiment(spec, { outDir: join(root, 'run-files'), data });
    const k = await loadKernels({ build: spec.build });
    const mem = new MemoryStore();
    const steps: JobLiveEvent[] = [], epochs: JobLiveEvent[] = [];
    const work = { training: 0, analysis: 0 };
    let planned: { jobs: number[]; work: Record<'training' | 'analysis', number> } | null = null;
    let saves = 0;
    const begun: number[] = [];
    const out = await runExperimentIn(spec, {
      store: mem, data, kernels: k, environment: nodeEnvironment(k), extra: { page: { note: 'rides along' } },
      live: {
        start: (e) => { planned = e; },
        begin: (e) => { begun.push(e.job); },
        work: (e) => { work[e.work] += e.units; },
        step: (e) => steps.push(e),
        epoch: (e) => epochs.push(e),
        saved: () => { saves++; },
      },
    });
    expect(out.stopped).toBe(false);
    const { page, ...rest } = out.results as typeof out.results & { page?: unknown };
    expect(page).toEqual({ note: 'rides along' });
    expect(metricsOnly(rest as typeof out.results)).toEqual(metricsOnly(onFiles.results));
    const file = JSON.parse(text(await mem.read('results.json'))!);
    expect(file.page).toEqual({ note: 'rides along' });
    expect(file.runs).toEqual(JSON.parse(JSON.stringify(out.results.runs)));
    expect(mem.names()).toEqual(['checkpoints/job0-SB.ckpt', 'checkpoints/job1-LB.ckpt', 'results.json']);
    // The checkpoints hold what the file runner's hold.
    for (const name of ['job0-SB.ckpt', 'job1-LB.ckpt']) {
      const a = await readCheckpoint(mem, `checkpoints/${name}`), b = await readCheckpoint(new FileStore(join(root, 'run-files')), `checkpoints/${name}`);
      expect(a.params).toEqual(b.params);
    }
    // Every step and epoch of SB (400/16 = 25 steps) and LB (400/80 = 5 steps), 2 epochs each.
    expect(steps.filter((e) => e.job === 0)).toHaveLength(2 * 25);
    expect(steps.filter((e) => e.job === 1)).toHaveLength(2 * 5);
    expect(steps[0]).toMatchObject({ type: 'step', job: 0, setting: 'SB', seed: 0, phase: 'SB', batch: 16, epoch: 1, epochs: 2, step: 1, steps: 25 });
    expect(epochs.map((e) => [e.job, e.type === 'epoch' ? e.metrics.epoch : -1])).toEqual([[0, 1], [0, 2], [1, 1], [1, 2]]);
    expect(epochs.map((e) => (e.type === 'epoch' ? e.metrics : null))).toEqual(out.results.runs.flatMap((r) => r.phases[0].history));
    expect(planned!.jobs).toEqual([0, 1, 2]);
    expect(begun).toEqual([0, 1, 2]);
    expect(work.training).toBeCloseTo(planned!.work.training, 6);
    expect(work.analysis).toBeCloseTo(planned!.work.analysis, 6);
    expect(saves).toBeGreaterThanOrEqual(5); // start, three jobs, the end
  });

  it('jobs in workers need a store the workers can open', async () => {
    const k = await loadKernels({ build: spec.build });
    await expect(runExperimentIn(spec, { store: new MemoryStore(), data, kernels: k, environment: nodeEnvironment(k), jobs: 2 })).rejects.toThrow(ExperimentError);
    await expect(runExperimentIn(spec, { store: new MemoryStore(), data, kernels: k, environment: nodeEnvironment(k), threads: true })).rejects.toThrow(/need a store the workers can open/);
  });
});
