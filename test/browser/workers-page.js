// Trains the tiny net for a few steps with 2 workers in the browser (module Workers driven
// through Comlink) and publishes what happened on window.__lbgap. The transport is whatever
// the page allows: shared memory when cross-origin isolated, transferable buffers otherwise.
// The worker script is a bundle (workers have no import maps) named by ?worker=.
import { loadKernels } from '/dist/kernels/index.js';
import { Model, tiny } from '/dist/nn/index.js';
import { syntheticClassification } from '/dist/data/synthetic.js';
import { ParallelTrainer, sharedMemoryAvailable, WorkerFailedError } from '/dist/workers/index.js';

async function run() {
  const workerUrl = new URL(new URLSearchParams(location.search).get('worker'), location.href);
  const k = await loadKernels();
  const train = syntheticClassification({ n: 256, dim: 8, classes: 3, seed: 5, kind: 'teacher', hidden: 16, name: 'teacher/train' });
  const m = Model.create(k, tiny(8, 3), { seed: 1 });
  const steps = [];
  const t = await ParallelTrainer.create(m, { train }, { batchSize: 32, workers: 2, lr: 0.01, seed: 2, workerUrl, onStep: (s) => steps.push(s) });
  const out = { crossOriginIsolated, sharedMemoryAvailable: sharedMemoryAvailable(), mode: t.mode, workers: t.workers, build: k.info.build };
  try {
    out.before = await t.evaluate('train');
    for (let e = 0; e < 4; e++) await t.trainEpoch();
    out.after = await t.evaluate('train');
    out.steps = t.steps;
    out.stepEvents = steps.length;
    const p = t.parameters();
    out.paramsFinite = p.every(Number.isFinite);
    await t.syncToModel();
    out.synced = m.params.view().every((v, i) => Object.is(v, p[i]));
  } finally {
    await t.close();
  }
  // A failing worker in the browser: the call rejects with the worker's error.
  const t2 = await ParallelTrainer.create(m, { train }, { batchSize: 32, workers: 2, workerUrl, faults: [{ rank: 1, step: 2, kind: 'throw' }] });
  const t0 = performance.now();
  try {
    await t2.trainEpoch();
    out.failure = { rejected: false };
  } catch (e) {
    out.failure = { rejected: true, typed: e instanceof WorkerFailedError, message: e.message, ms: performance.now() - t0 };
  } finally {
    await t2.close();
  }
  return out;
}

run().then((r) => { window.__lbgap = r; }, (e) => { window.__lbgap = { fatal: `${e.name}: ${e.message}\n${e.stack}` }; });
