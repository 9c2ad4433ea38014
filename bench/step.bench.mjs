#!/usr/bin/env node
// SB vs LB step cost: samples/s and ms per training step (forward, backward, Adam) against
// batch size, for lbgap in-thread, over a worker pool of 1 worker and of N workers (shared
// memory, data parallel), for F1 and C1-mnist (or any named net: C2 and C4 are the VGG-shaped
// CIFAR nets, where 3×3 convolutions dominate), with TensorFlow.js's Wasm backend (SIMD,
// 1 thread) running the same F1 at batch 256 and 6000 in the same process as the reference.
// Also measures the pool's per-step overhead at batch 32 (pool of 1 vs in-thread; on F1 and
// on the tiny test net, where a step is so cheap that the overhead is all there is).
// Writes bench/results/step.json and bench/results/step.svg.
//
//   npm run build && npm run bench:step [-- --quick] [-- --workers 2] [-- --nets F1]
//
// Options: --quick (fewer sizes, shorter timings), --workers N (default: core count),
// --nets LIST (comma separated, default F1,C1-mnist; also C1…C4, CIFAR-shaped), --im2col (for
// nets with 3×3 convolutions, also an in-thread row with the Winograd path switched off: the
// conv kernels' dispatch before Winograd, the baseline of issue 14), --sizes LIST (batch sizes for every
// net), --skip-tfjs, --target-ms T (time per measurement, default 600), --out FILE, --svg FILE.
// Each row also records `cores`: CPU time of all the process's threads / wall time, i.e. how
// many cores the measurement actually got (on a shared machine, less than the workers asked for).
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { randomFill } from './lib/data.mjs';
import { rerunWithRelaxedSimd } from './lib/relaxed.mjs';
import { initTfjsWasm, registerTfGradients } from './lib/tfjs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const relaxedBytes = path.join(root, 'build', 'lbgap.relaxed-threads.wasm');
if (!existsSync(relaxedBytes) || !existsSync(path.join(root, 'dist', 'workers', 'worker.js'))) {
  console.error('bench:step needs the built package: run `npm run build` first (build/*.wasm incl. the threads builds, and dist/).');
  process.exit(2);
}
// Node 20 needs a V8 flag for relaxed SIMD; re-run this script under it once (workers inherit it).
rerunWithRelaxedSimd(fileURLToPath(import.meta.url), relaxedBytes);

const opts = parseArgs(process.argv.slice(2), {
  quick: false, workers: os.availableParallelism(), nets: 'F1,C1-mnist', sizes: '', 'skip-tfjs': false, im2col: false, 'target-ms': 600,
  out: path.join(root, 'bench', 'results', 'step.json'), svg: path.join(root, 'bench', 'results', 'step.svg'),
});
if (!Number.isInteger(opts.workers) || opts.workers < 1) throw new RangeError(`--workers: must be an integer ≥ 1, got ${opts.workers}`);
const nets = opts.nets.split(',').filter(Boolean);
const NETS = ['F1', 'C1', 'C1-mnist', 'C2', 'C3', 'C4'];
for (const n of nets) if (!NETS.includes(n)) throw new RangeError(`--nets: expected some of ${NETS.join(', ')}, got ${JSON.stringify(n)}`);

const dist = (p) => import(pathToFileURL(path.join(root, 'dist', p)).href);
const { loadKernels } = await dist('kernels/index.js');
const { Model, namedSpec, tiny } = await dist('nn/index.js');
const { createOptimizer } = await dist('optim/index.js');
const { ParallelTrainer } = await dist('workers/index.js');
const { lineChart, renderSvg } = await dist('experiments/plot.js');

const k = await loadKernels({ build: 'auto' });
// The same module with the Winograd path off: the dispatching conv2d_*_nhwc exports (and
// their *_acc twins, which never took Winograd) replaced by the im2col ones — what a step
// cost before issue 14. A second instance of the same build (its own memory); only the
// Kernels' view of its exports differs.
const { Kernels } = await dist('kernels/kernels.js');
const kOther = await loadKernels({ build: k.info.build });
const im2colExports = Object.freeze({
  ...kOther.exports,
  conv2d_fwd_nhwc: kOther.exports.conv2d_im2col_fwd_nhwc,
  conv2d_bwd_data_nhwc: kOther.exports.conv2d_im2col_bwd_data_nhwc,
  conv2d_bwd_filter_nhwc: kOther.exports.conv2d_im2col_bwd_filter_nhwc,
});
const kIm2col = new Kernels(im2colExports, kOther.memory, { ...kOther.info });
const targetMs = opts['target-ms'] * (opts.quick ? 0.5 : 1);
const loadBefore = os.loadavg();
const tStart = performance.now();

/** A dataset of n random samples (values don't change the cost of a step). */
function randomSet(shape, n, classes, seed) {
  const d = shape.reduce((a, b) => a * b, 1);
  const x = randomFill(new Float32Array(n * d), seed);
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes);
  return { name: `random/${n}`, x, y, n, shape, classes };
}

/** In-thread steps (what src/train does per batch): gather, forward + backward, Adam. */
function threadSteps(spec, B, kk = k) {
  const m = Model.create(kk, spec, { seed: 1 });
  const opt = createOptimizer(kk, m.numParams, { type: 'adam' });
  const ds = randomSet(spec.input, B, m.classes, 3);
  const d = m.inputSize;
  const step = () => {
    const x = m.inputView(B), y = m.labelsView(B);
    x.set(ds.x.subarray(0, B * d)); y.set(ds.y.subarray(0, B));
    const loss = m.lossAndGrad(x, y, B);
    opt.step(m.params.ptr, m.grads.ptr);
    return loss;
  };
  step(); // warm-up: allocation, first touch, JIT
  const times = [];
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  while (times.length < 2 || (performance.now() - t0 < targetMs && times.length < 400)) {
    const s = performance.now();
    if (!Number.isFinite(step())) throw new Error(`in-thread ${spec.name} B=${B}: non-finite loss`);
    times.push(performance.now() - s);
  }
  const cores = cpuCores(c0, performance.now() - t0);
  opt.dispose(); m.dispose();
  kk.reset();
  return { ...summarize(times, B), cores };
}

/** Steps over a pool: one epoch of `steps` batches to warm up, one timed. */
async function poolSteps(spec, B, workers, msHint) {
  const steps = Math.max(2, Math.min(400, Math.ceil(targetMs / Math.max(msHint, 1e-3))));
  const m = Model.create(k, spec, { seed: 1 });
  const t = await ParallelTrainer.create(m, { train: randomSet(spec.input, B * steps, m.classes, 3) },
    { batchSize: B, workers, sharedMemory: true, trainEvalSamples: 1, seed: 1 });
  try {
    await t.trainEpoch({ maxSteps: 1 }); // warm-up: first touch of the activations, JIT
    const thread0 = await t.pool.all((w) => w.threadCpuSeconds());
    const c0 = process.cpuUsage(), w0 = performance.now();
    const e = await t.trainEpoch();
    const cores = cpuCores(c0, performance.now() - w0);
    const thread1 = await t.pool.all((w) => w.threadCpuSeconds());
    // CPU time each worker thread spent per step (Linux): on dedicated cores, a step would take
    // about the largest of these. Unlike wall time, it is not stretched by waiting for a core.
    const workerCpuMs = thread0.every((v) => v !== null) ? thread1.map((v, i) => ((v - thread0[i]) * 1000) / e.steps) : null;
    if (!Number.isFinite(e.batchLoss)) throw new Error(`pool ${spec.name} B=${B}: non-finite loss`);
    const ms = (e.seconds * 1000) / e.steps;
    return { msPerStep: ms, samplesPerSecond: (B * 1000) / ms, steps: e.steps, transport: t.mode, cores, workerCpuMs };
  } finally {
    await t.close();
    m.dispose();
    k.reset();
  }
}

/** Average cores this process (all its threads) got while measuring: CPU time / wall time. */
function cpuCores(c0, wallMs) {
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / 1000 / wallMs;
}

function summarize(times, B) {
  const ms = times.reduce((a, b) => a + b, 0) / times.length;
  return { msPerStep: ms, samplesPerSecond: (B * 1000) / ms, steps: times.length };
}

// --- TF.js F1: same layers (dense+bias → batch norm from tf.moments → ReLU, ×5, dense 10),
// softmax cross-entropy, gradients from tf.variableGrads, Adam from tf.train.adam.
async function tfF1Steps(B) {
  const { tf } = await initTfjsWasm(root);
  await registerTfGradients(root);
  const dims = [784, 512, 512, 512, 512, 512, 10];
  const vars = [];
  const layers = [];
  for (let i = 0; i < dims.length - 1; i++) {
    const W = tf.variable(tf.randomNormal([dims[i], dims[i + 1]], 0, Math.sqrt(2 / dims[i]), 'float32', 7 + i));
    const b = tf.variable(tf.zeros([dims[i + 1]]));
    const l = { W, b };
    vars.push(W, b);
    if (i < dims.length - 2) {
      l.gamma = tf.variable(tf.ones([dims[i + 1]])); l.beta = tf.variable(tf.zeros([dims[i + 1]]));
      vars.push(l.gamma, l.beta);
    }
    layers.push(l);
  }
  const ds = randomSet([784], B, 10, 3);
  const x = tf.tensor2d(ds.x, [B, 784]);
  const y = tf.oneHot(tf.tensor1d(ds.y, 'int32'), 10);
  // Typed as the base class: AdamOptimizer's declaration narrows applyGradients to variables.
  /** @type {import('@tensorflow/tfjs-core').Optimizer} */
  const opt = tf.train.adam(1e-3, 0.9, 0.999, 1e-7);
  const lossFn = () => {
    let h = x;
    for (let i = 0; i < layers.length; i++) {
      const l = layers[i];
      h = tf.add(tf.matMul(h, l.W), l.b);
      if (l.gamma) {
        const { mean, variance } = tf.moments(h, 0);
        h = tf.add(tf.mul(tf.div(tf.sub(h, mean), tf.sqrt(tf.add(variance, 1e-3))), l.gamma), l.beta);
        h = tf.relu(h);
      }
    }
    // The mean over the batch: a scalar.
    return /** @type {import('@tensorflow/tfjs-core').Scalar} */ (tf.losses.softmaxCrossEntropy(y, h));
  };
  const step = () => {
    const { value, grads } = tf.variableGrads(lossFn, vars);
    opt.applyGradients(grads);
    const v = value.dataSync()[0];
    value.dispose();
    for (const g of Object.values(grads)) g.dispose();
    return v;
  };
  const w0 = performance.now();
  step();
  const warm = performance.now() - w0;
  const times = [];
  if (warm > 10 * targetMs) {
    // Very slow (tens of seconds a step): the warm-up step is the measurement.
    times.push(warm);
  } else {
    const t0 = performance.now();
    while (times.length < 2 || (performance.now() - t0 < targetMs && times.length < 400)) {
      const s = performance.now();
      if (!Number.isFinite(step())) throw new Error(`tfjs F1 B=${B}: non-finite loss`);
      times.push(performance.now() - s);
    }
  }
  x.dispose(); y.dispose(); opt.dispose();
  for (const v of vars) v.dispose();
  return summarize(times, B);
}

const sizesOverride = opts.sizes ? opts.sizes.split(',').map(Number) : null;
if (sizesOverride && !sizesOverride.every((b) => Number.isInteger(b) && b >= 1)) throw new RangeError(`--sizes: expected a comma-separated list of batch sizes, got ${JSON.stringify(opts.sizes)}`);
const sizesFor = (net) => {
  if (sizesOverride) return sizesOverride;
  if (net === 'F1') return opts.quick ? [32, 256, 2048, 6000] : [32, 64, 128, 256, 512, 1024, 2048, 4096, 6000, 8192];
  if (net === 'C2' || net === 'C4') return [64];
  return opts.quick ? [32, 128] : [32, 128, 512];
};

const rows = [];
const log = (r) => {
  rows.push(r);
  console.log(`${r.net.padEnd(8)} B=${String(r.batch).padStart(5)} ${r.impl.padEnd(14)} ${r.msPerStep.toFixed(2).padStart(9)} ms/step ${r.samplesPerSecond.toFixed(0).padStart(7)} samples/s (${r.steps} steps${r.cores !== undefined ? `, ${r.cores.toFixed(2)} cores` : ''}${r.workerCpuMs ? `, worker CPU ms/step ${r.workerCpuMs.map((v) => v.toFixed(1)).join(' ')}` : ''})`);
};
const N = opts.workers;
for (const net of nets) {
  const spec = namedSpec(net);
  for (const B of sizesFor(net)) {
    const th = threadSteps(spec, B);
    log({ net, batch: B, impl: 'in-thread', ...th });
    if (opts.im2col && spec.layers.some((l) => l.type === 'conv2d' && l.kernel === 3)) log({ net, batch: B, impl: 'in-thread im2col', ...threadSteps(spec, B, kIm2col) });
    log({ net, batch: B, impl: 'pool ×1', workers: 1, ...(await poolSteps(spec, B, 1, th.msPerStep)) });
    if (N > 1) log({ net, batch: B, impl: `pool ×${N}`, workers: N, ...(await poolSteps(spec, B, N, th.msPerStep / N)) });
    if (net === 'F1' && (B === 256 || B === 6000) && !opts['skip-tfjs']) log({ net, batch: B, impl: 'tfjs-wasm', ...(await tfF1Steps(B)) });
  }
}

// --- Pool overhead at batch 32: pool of 1 minus in-thread, alternating runs to share the noise;
// the best (minimum) of 5 runs each, since load from other processes only ever adds time.
const overhead = [];
for (const [name, spec] of [['tiny', tiny(8, 3)], ['F1', namedSpec('F1')]]) {
  if (name === 'F1' && !nets.includes('F1')) continue;
  const d = [];
  for (let rep = 0; rep < 5; rep++) {
    const th = threadSteps(spec, 32);
    const po = await poolSteps(spec, 32, 1, th.msPerStep);
    d.push({ thread: th.msPerStep, pool: po.msPerStep });
  }
  const best = (xs) => Math.min(...xs);
  const o = { net: name, batch: 32, inThreadMs: best(d.map((x) => x.thread)), poolMs: best(d.map((x) => x.pool)) };
  o.overheadMs = o.poolMs - o.inThreadMs;
  overhead.push(o);
  console.log(`overhead ${name} B=32: in-thread ${o.inThreadMs.toFixed(3)} ms, pool ×1 ${o.poolMs.toFixed(3)} ms → ${o.overheadMs.toFixed(3)} ms/step`);
}

const speedup = {};
for (const net of nets) {
  for (const B of sizesFor(net)) {
    const one = rows.find((r) => r.net === net && r.batch === B && r.impl === 'pool ×1');
    const many = rows.find((r) => r.net === net && r.batch === B && r.impl === `pool ×${N}`);
    if (one && many) speedup[`${net}@${B}`] = many.samplesPerSecond / one.samplesPerSecond;
  }
}
console.log('speed-up of', N, 'workers over 1:', Object.entries(speedup).map(([k2, v]) => `${k2} ${v.toFixed(2)}×`).join(', '));
// The same ratio from per-thread CPU time per step (what the step would take with a core per worker).
const projected = {};
for (const net of nets) {
  for (const B of sizesFor(net)) {
    const one = rows.find((r) => r.net === net && r.batch === B && r.impl === 'pool ×1');
    const many = rows.find((r) => r.net === net && r.batch === B && r.impl === `pool ×${N}`);
    if (one?.workerCpuMs && many?.workerCpuMs) projected[`${net}@${B}`] = one.workerCpuMs[0] / Math.max(...many.workerCpuMs);
  }
}
if (Object.keys(projected).length) console.log('projected from per-thread CPU time:', Object.entries(projected).map(([k2, v]) => `${k2} ${v.toFixed(2)}×`).join(', '));

const result = {
  benchmark: 'step', date: new Date().toISOString(), node: process.version, build: k.info.build,
  cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, availableParallelism: os.availableParallelism(), workers: N,
  loadavgBefore: loadBefore, loadavgAfter: os.loadavg(), seconds: (performance.now() - tStart) / 1000,
  note: 'Shared 2-core machine with other processes running: figures are noisy. Adam; random data; steps include the batch copy into Wasm memory.',
  rows, overhead, speedup, projectedSpeedupFromThreadCpu: projected,
};
mkdirSync(path.dirname(opts.out), { recursive: true });
writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
const plot = lineChart({
  title: `Training step throughput vs batch size (${k.info.build}, ${os.cpus().length} cores)`,
  data: rows.map((r) => ({ name: `${r.net} ${r.impl}`, x: r.batch, y: r.samplesPerSecond })),
  x: 'batch size', y: 'samples / s', logX: true, logY: true, colorTitle: 'network, implementation', width: 560, height: 340,
});
writeFileSync(opts.svg, await renderSvg(plot));
// Markdown table for bench/RESULTS.md: samples/s (ms/step) per batch size and implementation.
const impls = [...new Set(rows.map((r) => r.impl))];
for (const net of nets) {
  console.log(`\n| ${net} batch | ${impls.join(' | ')} |\n|---:|${impls.map(() => '---:').join('|')}|`);
  for (const B of sizesFor(net)) {
    const cells = impls.map((im) => {
      const r = rows.find((x) => x.net === net && x.batch === B && x.impl === im);
      return r ? `${r.samplesPerSecond.toFixed(0)} (${r.msPerStep >= 100 ? r.msPerStep.toFixed(0) : r.msPerStep.toFixed(1)} ms)` : '—';
    });
    console.log(`| ${B} | ${cells.join(' | ')} |`);
  }
}
console.log(`wrote ${path.relative(root, opts.out)} and ${path.relative(root, opts.svg)} in ${result.seconds.toFixed(0)} s`);
