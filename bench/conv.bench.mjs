#!/usr/bin/env node
// Convolution throughput: the C1 network's two 5×5×64 'same' conv layers (on MNIST 28×28×1 and
// CIFAR 32×32×3 inputs, so four layers) at batch 64 and 256 — forward, backward-data,
// backward-filter and their sum — for lbgap's two Wasm builds (plain SIMD, relaxed SIMD; raw
// conv2d_*_nhwc exports, workspace from the arena) against TensorFlow.js's Wasm backend
// (XNNPACK, SIMD binary, 1 thread), all in the same process so they see the same machine load.
// Prints a Markdown table and writes bench/results/conv.json.
//
//   npm run build && node bench/conv.bench.mjs [--quick] [--rounds 2] [--only cifar]
//
// Options: --quick (batch 64 only), --rounds N (default 1; each round runs every task once per
// shape, samples are pooled), --only SUBSTR (layers whose name contains it), --out FILE.
// Partial runs (--quick, --only) print the table but write no JSON. A full run takes ~9 min on
// a loaded 2-core VM, ~7 of them TF.js's filter gradient (one call per shape, 0.05–0.15
// GFLOP/s); --quick about 2 min.
//
// TF.js ops: forward tf.conv2d (kernel Conv2D), backward-data tf.conv2dTranspose (kernel
// Conv2DBackpropInput, what tf.grad of conv2d w.r.t. x runs). tfjs-backend-wasm 4.22 registers
// no Conv2DBackpropFilter kernel, so tf.grad of conv2d w.r.t. the filter throws on that backend;
// its backward-filter here is the Conv3DBackpropFilterV2 kernel on the same data viewed with
// depth 1 (x [N,1,H,W,C], dy [N,1,OH,OW,OC], filter [1,KH,KW,C,OC]) — the one Wasm kernel that
// computes it. Every op's output is checked against lbgap's before timing.
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { randomFill, maxRelDiff } from './lib/data.mjs';
import { rerunWithRelaxedSimd } from './lib/relaxed.mjs';
import { latencySamples, median } from './lib/stats.mjs';
import { initTfjsWasm } from './lib/tfjs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const relaxedBytes = path.join(root, 'build', 'lbgap.relaxed.wasm');
if (!existsSync(relaxedBytes) || !existsSync(path.join(root, 'dist', 'kernels', 'index.js')) || !existsSync(path.join(root, 'dist', 'nn', 'conv_geometry.js'))) {
  console.error('bench/conv.bench.mjs needs the built package: run `npm run build` first (build/*.wasm and dist/).');
  process.exit(2);
}
rerunWithRelaxedSimd(fileURLToPath(import.meta.url), relaxedBytes);

const opts = parseArgs(process.argv.slice(2), {
  quick: false, rounds: 1, only: '', out: path.join(root, 'bench', 'results', 'conv.json'),
});
if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new RangeError(`--rounds: must be an integer ≥ 1, got ${opts.rounds}`);

const { Bench } = await import('tinybench');
const { loadKernels } = await import(pathToFileURL(path.join(root, 'dist', 'kernels', 'index.js')).href);
const { convGeometry } = await import(pathToFileURL(path.join(root, 'dist', 'nn', 'conv_geometry.js')).href);
const { tf, tfwasm } = await initTfjsWasm(root);
const TF_KERNELS = { fwd: 'Conv2D', bwdData: 'Conv2DBackpropInput', bwdFilter: 'Conv3DBackpropFilterV2' };
for (const name of Object.values(TF_KERNELS)) {
  if (!tf.getKernel(name, 'wasm')) throw new Error(`TF.js wasm backend has no ${name} kernel`);
}
const tfHasConv2dBackpropFilter = Boolean(tf.getKernel('Conv2DBackpropFilter', 'wasm'));

const builds = [await loadKernels({ build: 'simd' }), await loadKernels({ build: 'relaxed-simd' })];
for (const [k, want] of [[builds[0], 'simd'], [builds[1], 'relaxed-simd']]) {
  if (k.info.build !== want) throw new Error(`expected the ${want} build, got ${k.info.build}`);
}

// --- Layers: C1's conv 5×5×64 'same', stride 1, first and second layer (after a 3×3/2 'same'
// max-pool: 28 → 14, 32 → 16), on MNIST and CIFAR inputs.
const layers = [
  { name: 'mnist conv1', H: 28, W: 28, C: 1 },
  { name: 'mnist conv2', H: 14, W: 14, C: 64 },
  { name: 'cifar conv1', H: 32, W: 32, C: 3 },
  { name: 'cifar conv2', H: 16, W: 16, C: 64 },
].map((l) => ({ ...l, KH: 5, KW: 5, OC: 64 }));
const shapes = [];
for (const N of opts.quick ? [64] : [64, 256]) for (const l of layers) shapes.push({ ...l, N });
const selected = shapes.filter((s) => s.name.includes(opts.only));
if (!selected.length) throw new RangeError(`--only: no layer name contains ${JSON.stringify(opts.only)}`);

const OPS = ['fwd', 'bwdData', 'bwdFilter'];
const IMPLS = ['simd', 'relaxed', 'tfjs'];
// Per task and round about BUDGET_MS of calls (at least MIN_CALLS, at most 100). A call slower than
// SLOW_MS (TF.js's backward passes: ~1 GFLOP/s for data, 0.05–0.15 for the filter, up to
// minutes a call at batch 256)
// is measured by its first call alone: warm-up costs are negligible against seconds, and
// sampling it again would put the run far over its few-minute budget.
const BUDGET_MS = 400;
const MIN_CALLS = 3;
const SLOW_MS = 1500;
// Relative to the largest output entry; the filter gradient sums N·OH·OW ≤ 262 144 products.
const TOLERANCE = 1e-4;
const timeOnce = (fn) => { const t0 = performance.now(); fn(); return performance.now() - t0; };

/** lbgap's three calls on one build, inputs resident in its memory; views re-made per read. */
function lbgapLayer(k, s, g, host) {
  const { N, H, W, C, KH, KW, OC } = s;
  const e = k.exports;
  const x = k.f32(host.x.length), w = k.f32(host.w.length), dy = k.f32(host.dy.length);
  const y = k.f32(N * g.OH * g.OW * OC), dx = k.f32(host.x.length), dw = k.f32(host.w.length);
  const workBytes = e.conv2d_workspace_bytes(N, H, W, C, KH, KW, OC, g.OH, g.OW);
  const work = k.arena.alloc(Math.max(workBytes, 64));
  k.view(x).set(host.x); k.view(w).set(host.w); k.view(dy).set(host.dy);
  const p = (a) => k.ptr(a);
  const geo = [N, H, W, C, KH, KW, OC, 1, 1, g.padT, g.padL, g.OH, g.OW];
  return {
    workBytes,
    run: {
      fwd: () => e.conv2d_fwd_nhwc(p(x), p(w), 0, p(y), ...geo, work),
      bwdData: () => e.conv2d_bwd_data_nhwc(p(dy), p(w), p(dx), ...geo, work),
      bwdFilter: () => e.conv2d_bwd_filter_nhwc(p(x), p(dy), p(dw), ...geo, work),
    },
    out: { fwd: () => k.view(y), bwdData: () => k.view(dx), bwdFilter: () => k.view(dw) },
    free() { for (const a of [x, w, dy, y, dx, dw]) k.free(a); k.arena.release(work); },
  };
}

/** TF.js's three ops; each call includes dataSync() so the result is readable from JS. */
function tfjsLayer(s, g, host) {
  const { N, H, W, C, KH, KW, OC } = s;
  const x = tf.tensor4d(host.x, [N, H, W, C]), w = tf.tensor4d(host.w, [KH, KW, C, OC]);
  const dy = tf.tensor4d(host.dy, [N, g.OH, g.OW, OC]);
  const x5 = tf.reshape(x, [N, 1, H, W, C]), dy5 = tf.reshape(dy, [N, 1, g.OH, g.OW, OC]);
  const ops = {
    fwd: () => tf.conv2d(x, w, 1, 'same'),
    bwdData: () => tf.conv2dTranspose(dy, w, [N, H, W, C], 1, 'same'),
    bwdFilter: () => tf.engine().runKernel(TF_KERNELS.bwdFilter, { x: x5, dy: dy5 },
      { strides: [1, 1, 1, 1, 1], pad: 'same', filterShape: [1, KH, KW, C, OC] }),
  };
  const last = {};
  const call = (op, keep) => { const t = ops[op](); const d = t.dataSync(); if (keep) last[op] = d.slice(); t.dispose(); };
  return {
    run: Object.fromEntries(OPS.map((op) => [op, () => call(op, false)])),
    first: Object.fromEntries(OPS.map((op) => [op, () => call(op, true)])),
    last,
    free() { for (const t of [x, w, dy, x5, dy5]) t.dispose(); },
  };
}

const loadBefore = os.loadavg();
const tStart = performance.now();
const rows = [];
for (const s of selected) {
  const g = convGeometry(s.H, s.W, s.KH, s.KW, 1, 1, 'same');
  const { N, H, W, C, KH, KW, OC } = s;
  const flop = (2 * N * g.OH * g.OW * OC * KH * KW * C) / 1e9; // GFLOP, the same for all three ops
  const host = {
    x: randomFill(new Float32Array(N * H * W * C), 1),
    // He-like scale keeps outputs O(1); the check is relative to the largest entry anyway.
    w: randomFill(new Float32Array(KH * KW * C * OC), 2).map((v) => v * Math.sqrt(2 / (KH * KW * C))),
    dy: randomFill(new Float32Array(N * g.OH * g.OW * OC), 3),
  };
  const lb = builds.map((k) => lbgapLayer(k, s, g, host));
  const tfl = tfjsLayer(s, g, host);
  const run = { simd: lb[0].run, relaxed: lb[1].run, tfjs: tfl.run };

  // First calls: warm-up, per-call estimate, and the same answer from all three.
  const once = { simd: {}, relaxed: {}, tfjs: {} };
  const diffs = { simd: {}, relaxed: {} };
  for (const op of OPS) {
    once.simd[op] = timeOnce(lb[0].run[op]);
    once.relaxed[op] = timeOnce(lb[1].run[op]);
    once.tfjs[op] = timeOnce(tfl.first[op]);
    for (const [i, impl] of [[0, 'simd'], [1, 'relaxed']]) {
      diffs[impl][op] = maxRelDiff(lb[i].out[op](), tfl.last[op]);
      if (!(diffs[impl][op] < TOLERANCE)) throw new Error(`${s.name} B=${N} ${op}: lbgap ${impl} and TF.js disagree (max rel diff ${diffs[impl][op]})`);
    }
  }

  const samples = Object.fromEntries(IMPLS.map((impl) => [impl, Object.fromEntries(OPS.map((op) => [op, []]))]));
  const tasks = OPS.flatMap((op) => IMPLS.map((impl) => [impl, op]));
  for (const [impl, op] of tasks) if (once[impl][op] > SLOW_MS) samples[impl][op].push(once[impl][op]);
  for (let round = 0; round < opts.rounds; round++) {
    // Rotate the order each round so slow drifts in machine load hit every task alike.
    for (let t = 0; t < tasks.length; t++) {
      const [impl, op] = tasks[(t + round) % tasks.length];
      const est = once[impl][op];
      if (est > SLOW_MS) continue;
      const iterations = Math.max(MIN_CALLS, Math.min(100, Math.round(BUDGET_MS / Math.max(est, 1e-3))));
      const warmupIterations = est < 100 ? Math.min(2, iterations) : 0;
      const bench = new Bench({ name: `${s.name} ${op}`, iterations, time: 0, warmup: warmupIterations > 0, warmupIterations, warmupTime: 0, retainSamples: true, throws: true });
      bench.add(`${impl} ${op}`, run[impl][op]);
      await bench.run();
      samples[impl][op].push(...latencySamples(bench.tasks[0]));
    }
  }
  for (const x of lb) x.free();
  tfl.free();

  const medianMs = Object.fromEntries(IMPLS.map((impl) => {
    const m = Object.fromEntries(OPS.map((op) => [op, median(samples[impl][op])]));
    m.total = m.fwd + m.bwdData + m.bwdFilter;
    return [impl, m];
  }));
  const gflops = Object.fromEntries(IMPLS.map((impl) => [impl, {
    fwd: flop / (medianMs[impl].fwd / 1e3), bwdData: flop / (medianMs[impl].bwdData / 1e3),
    bwdFilter: flop / (medianMs[impl].bwdFilter / 1e3), total: (3 * flop) / (medianMs[impl].total / 1e3),
  }]));
  const ratio = Object.fromEntries(['simd', 'relaxed'].map((impl) => [impl,
    Object.fromEntries(Object.keys(gflops[impl]).map((op) => [op, gflops[impl][op] / gflops.tfjs[op]]))]));
  const row = {
    layer: s.name, N, H, W, C, KH, KW, OC, stride: 1, padding: 'same', OH: g.OH, OW: g.OW,
    gflopPerOp: flop, workspaceBytes: lb[0].workBytes,
    samples: Object.fromEntries(IMPLS.map((impl) => [impl, Object.fromEntries(OPS.map((op) => [op, samples[impl][op].length]))])),
    medianMs, gflops, ratio, maxRelDiffVsTfjs: diffs,
  };
  rows.push(row);
  const f = (v) => v.toFixed(1).padStart(5);
  console.error(`${s.name} B=${String(N).padEnd(3)} total GFLOP/s: simd ${f(gflops.simd.total)}  relaxed ${f(gflops.relaxed.total)}  tfjs ${f(gflops.tfjs.total)}  (max rel diff ${Math.max(...Object.values(diffs.simd), ...Object.values(diffs.relaxed)).toExponential(1)})`);
}
const loadAfter = os.loadavg();

const result = {
  benchmark: 'conv', date: new Date().toISOString(),
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, platform: `${os.platform()} ${os.arch()}`,
    node: process.version, v8: process.versions.v8, loadavgBefore: loadBefore, loadavgAfter: loadAfter,
  },
  seconds: (performance.now() - tStart) / 1000,
  builds: builds.map((k) => k.info.build),
  tfjs: {
    version: tf.version_core, backend: tf.getBackend(), binary: 'tfjs-backend-wasm-simd.wasm', threads: tfwasm.getThreadsCount(),
    kernels: TF_KERNELS, hasConv2DBackpropFilter: tfHasConv2dBackpropFilter,
  },
  method: `median of pooled per-call latencies over ${opts.rounds} round(s) (task order rotated per round, ~${BUDGET_MS} ms and at least ${MIN_CALLS} calls per task and round; calls slower than ${SLOW_MS} ms: the first call alone); GFLOP per op = 2·N·OH·OW·OC·KH·KW·C; total = fwd + bwdData + bwdFilter medians (3× the FLOPs); inputs resident in each module's memory; lbgap: raw conv2d_{fwd,bwd_data,bwd_filter}_nhwc exports, no bias; TF.js timing includes the op + dataSync(); outputs checked against TF.js (max rel diff < ${TOLERANCE})`,
  rows,
};
const fullRun = !opts.only && !opts.quick;
if (fullRun) {
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
}

const f = (x) => x.toFixed(1);
const OP_NAMES = { fwd: 'fwd', bwdData: 'bwd data', bwdFilter: 'bwd filter', total: 'fwd+bwd' };
console.log(`\nConv GFLOP/s (median), ${result.machine.cpu}, Node ${process.version}, ${result.date.slice(0, 16)}Z, load ${loadBefore[0].toFixed(2)}→${loadAfter[0].toFixed(2)}, ${result.seconds.toFixed(0)} s`);
console.log('| layer | batch | pass | lbgap simd | lbgap relaxed | tfjs wasm | simd/tfjs | relaxed/tfjs |');
console.log('|---|---:|---|---:|---:|---:|---:|---:|');
for (const r of rows) {
  for (const op of Object.keys(OP_NAMES)) {
    console.log(`| ${r.layer} ${r.H}×${r.W}×${r.C} | ${r.N} | ${OP_NAMES[op]} | ${f(r.gflops.simd[op])} | ${f(r.gflops.relaxed[op])} | ${f(r.gflops.tfjs[op])} | ${r.ratio.simd[op].toFixed(2)} | ${r.ratio.relaxed[op].toFixed(2)} |`);
  }
}
if (fullRun) console.log(`\nwrote ${path.relative(process.cwd(), opts.out)}`);
