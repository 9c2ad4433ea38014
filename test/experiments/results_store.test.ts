// The results file every runner opens and saves through (src/experiments/results_store.ts), on
// a memory store: a new run refuses an existing file, a resume refuses a missing file, another
// spec or another shard with typed errors and otherwise continues the file (running again, its
// failures cleared); saves asked for at once are written one after another, the runner's
// prepare step before each, and the file ends in the last state. The φ-study runner writes
// through it into any store (here: memory, nothing on disk but its input checkpoint).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ExperimentError } from '../../src/experiments/job.js';
import type { Shard } from '../../src/experiments/jobs.js';
import { parsePhiStudyResults } from '../../src/experiments/phi_study_results.js';
import { runPhiStudy } from '../../src/experiments/phi_study_runner.js';
import { resolvePhiStudySpec } from '../../src/experiments/phi_study_spec.js';
import { ResultsError, type JobFailure } from '../../src/experiments/results.js';
import { openResults, RESULTS_FILE, type OpenResultsOptions } from '../../src/experiments/results_store.js';
import { loadKernels } from '../../src/kernels/index.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { MemoryStore } from '../../src/train/store.js';
import { train } from '../../src/train/train.js';
import { tinyData } from './helpers.js';

interface Toy {
  kind: 'toy';
  spec: { n: number };
  shard: Shard | null;
  status: 'running' | 'interrupted' | 'complete' | 'failed';
  items: number[];
  failures?: JobFailure[];
  timings: { finished: string | null };
}

function parse(text: string, file: string): Toy {
  const r = JSON.parse(text) as Toy;
  if (r.kind !== 'toy') throw new ResultsError(file, 'kind: must be "toy"');
  return r;
}

const options = (store: MemoryStore, over: Partial<OpenResultsOptions<Toy>> = {}): OpenResultsOptions<Toy> => ({
  store, spec: { n: 3 }, shard: null, resume: false, parse,
  fresh: () => ({ kind: 'toy', spec: { n: 3 }, shard: over.shard ?? null, status: 'running', items: [], timings: { finished: null } }),
  prepare: (r) => { r.items.sort((a, b) => a - b); },
  ...over,
});

const read = async (store: MemoryStore) => JSON.parse(new TextDecoder().decode((await store.read(RESULTS_FILE))!)) as Toy;

describe('results file in a store', () => {
  it('a new run writes nothing until save, then refuses to start over an existing file', async () => {
    const store = new MemoryStore('m');
    const rf = await openResults(options(store));
    expect(rf.file).toBe('m:results.json');
    expect(await store.has(RESULTS_FILE)).toBe(false);
    rf.results.items.push(2, 1);
    await rf.save();
    expect((await read(store)).items).toEqual([1, 2]);
    let made = 0;
    const again = openResults(options(store, { fresh: () => { made++; throw new Error('not called'); } }));
    await expect(again).rejects.toThrow(ExperimentError);
    await expect(openResults(options(store))).rejects.toThrow('m:results.json already exists: pass --resume to continue it, or choose another --out');
    expect(made).toBe(0);
  });

  it('a resume needs the file, the same spec and the same shard (typed errors), then continues it', async () => {
    const store = new MemoryStore('m');
    await expect(openResults(options(store, { resume: true }))).rejects.toThrow(ExperimentError);
    await expect(openResults(options(store, { resume: true }))).rejects.toThrow('--resume: m:results.json does not exist (nothing to resume)');

    const shard = { index: 1, count: 2 };
    const first = await openResults(options(store, { shard }));
    first.results.items.push(5);
    await first.fail({ job: 4, label: 'b', error: 'boom' });
    await first.fail({ job: 2, label: 'a', error: 'bang' });
    await first.finish(false);
    const written = await read(store);
    expect(written.status).toBe('failed');
    expect(written.failures!.map((f) => f.job)).toEqual([2, 4]);
    expect(first.failures().map((f) => f.job)).toEqual([2, 4]);

    const otherSpec = openResults(options(store, { shard, resume: true, spec: { n: 4 } }));
    await expect(otherSpec).rejects.toThrow(ResultsError);
    await expect(openResults(options(store, { shard, resume: true, spec: { n: 4 } }))).rejects.toThrow(/m:results\.json.*was written for a different spec than the one given/);
    await expect(openResults(options(store, { resume: true }))).rejects.toThrow(ResultsError);
    await expect(openResults(options(store, { resume: true, shard: { index: 0, count: 2 } }))).rejects.toThrow(/holds shard \{"index":1,"count":2\}, not \{"index":0,"count":2\}/);
    await expect(openResults(options(store, { resume: true, parse: () => { throw new ResultsError('m:results.json', 'kind: must be "toy"'); } }))).rejects.toThrow(ResultsError);

    const resumed = await openResults(options(store, { shard, resume: true }));
    expect(resumed.results.status).toBe('running');
    expect(resumed.results.failures).toBeUndefined();
    expect(resumed.results.items).toEqual([5]);
    expect(resumed.failures()).toEqual([]);
    await resumed.finish(false);
    const done = await read(store);
    expect(done.status).toBe('complete');
    expect(done.failures).toBeUndefined();
    expect(typeof done.timings.finished).toBe('string');
  });

  it('saves asked for at once are written one after another, prepared before each, ending in the last state', async () => {
    // A store whose writes take a random while: unchained, later writes could land before earlier ones.
    class SlowStore extends MemoryStore {
      inFlight = 0;
      most = 0;
      written: number[][] = [];
      override async write(name: string, bytes: Uint8Array): Promise<void> {
        this.written.push((JSON.parse(new TextDecoder().decode(bytes)) as Toy).items);
        this.inFlight++;
        this.most = Math.max(this.most, this.inFlight);
        await new Promise((ok) => setTimeout(ok, Math.floor(Math.random() * 4)));
        await super.write(name, bytes);
        this.inFlight--;
      }
    }
    const store = new SlowStore('slow');
    let saved = 0;
    const rf = await openResults(options(store, { saved: () => saved++ }));
    const finishes = Array.from({ length: 20 }, (_, i) => 19 - i).map(async (job) => {
      await new Promise((ok) => setTimeout(ok, job % 3));
      rf.results.items.push(job);
      await rf.save();
      // This save is written: the file holds this job (and everything saved before it).
      expect((await read(store)).items).toContain(job);
    });
    const failed = rf.fail({ job: 7, label: 'x', error: 'e' });
    await Promise.all([...finishes, failed]);
    await rf.finish(true);
    expect(store.most).toBe(1);
    expect(saved).toBe(22);
    expect(store.written).toHaveLength(22);
    for (const items of store.written) expect(items).toEqual(items.slice().sort((a, b) => a - b));
    const last = await read(store);
    expect(last.items).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(last.status).toBe('interrupted');
    expect(last.timings.finished).toBeNull();
    expect(last.failures).toEqual([{ job: 7, label: 'x', error: 'e' }]);
  });
});

describe('the φ-study runner on a memory store', () => {
  it('writes results.json into the store, resumes from it, and refuses to start over it', async () => {
    const k = await loadKernels({ build: 'simd' });
    const data = tinyData();
    const dir = mkdtempSync(join(tmpdir(), 'lbgap-phi-store-'));
    try {
      const model = Model.create(k, tiny(12, 4), { seed: 3 });
      const path = join(dir, 'net.ckpt');
      await train(model, data, { epochs: 1, batchSize: 50, seed: 1, checkpoint: { path, every: 1 } });
      model.dispose();
      const spec = resolvePhiStudySpec({
        kind: 'phi-study', build: 'simd', data: { name: 'synthetic' }, checkpoints: [{ label: 'SB', path }],
        baseline: { subspace: 3, maxIter: 2, sample: 100, chunk: 50 }, hessian: { maxIter: 3, traceSamples: 2 },
        variations: [{ choice: 'baseline', label: 'baseline', change: {} }, { choice: 'start', label: 'corner', change: { start: 'corner' }, only: ['full'] }],
      });
      const store = new MemoryStore('mem');
      await expect(runPhiStudy(spec, { store, train: data.train, kernels: k, resume: true })).rejects.toThrow('--resume: mem:results.json does not exist (nothing to resume)');
      const first = await runPhiStudy(spec, { store, train: data.train, kernels: k });
      expect(first.file).toBe('mem:results.json');
      expect(first.results.status).toBe('complete');
      expect(store.names()).toEqual(['results.json']);
      expect(readdirSync(dir)).toEqual(['net.ckpt']);
      const saved = parsePhiStudyResults(new TextDecoder().decode((await store.read(RESULTS_FILE))!), 'mem');
      expect(saved.records.map((r) => r.job)).toEqual([0, 1]);
      expect(saved.records).toEqual(first.results.records);

      const logs: string[] = [];
      const again = await runPhiStudy(spec, { store, train: data.train, kernels: k, resume: true, log: (l) => logs.push(l) });
      expect(logs[0]).toMatch(/2 already done/);
      expect(again.results.records).toEqual(first.results.records);
      await expect(runPhiStudy(spec, { store, train: data.train, kernels: k })).rejects.toThrow('mem:results.json already exists: pass --resume');
      await expect(runPhiStudy(spec, { store, train: data.train, kernels: k, resume: true, shard: { index: 0, count: 2 } })).rejects.toThrow(ResultsError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
