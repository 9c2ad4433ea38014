#!/usr/bin/env node
// 3×3 convolutions: Winograd F(2×2, 3×3) against im2col + GEMM on the C2/C4 (VGG-shaped) conv
// layers at CIFAR sizes, batch 64 — forward, backward-data, backward-filter — for both Wasm
// builds, in one process (raw exports conv2d_winograd_f2x3_*_nhwc and conv2d_im2col_*_nhwc,
// inputs resident in Wasm memory, workspace from the arena). Also the crossover sweeps behind
// conv2d_winograd_f2x3_pays: channels (C = OC) at 16×16, batch 16, and tiles (batch) at 4×4,
// C = OC = 128. GFLOP/s are "effective": the direct convolution's 2·N·OH·OW·9·C·OC flops over
// the time, for both paths, so the ratio is the speed-up. Prints Markdown tables and writes
// bench/results/winograd.json.
//
//   npm run build && npm run bench:winograd [-- --quick] [-- --rounds 2]
//
// Options: --quick (relaxed build only, no sweeps; prints, writes no JSON), --rounds N (default 2;
// tasks rotated per round, samples pooled), --out FILE.
import { existsSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { randomFill } from './lib/data.mjs';
import { rerunWithRelaxedSimd } from './lib/relaxed.mjs';
import { median } from './lib/stats.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const relaxedBytes = path.join(root, 'build', 'lbgap.relaxed.wasm');
if (!existsSync(relaxedBytes) || !existsSync(path.join(root, 'dist', 'kernels', 'index.js'))) {
  console.error('bench/winograd.bench.mjs needs the built package: run `npm run build` first (build/*.wasm and dist/).');
  process.exit(2);
}
rerunWithRelaxedSimd(fileURLToPath(import.meta.url), relaxedBytes);

const opts = parseArgs(process.argv.slice(2), { quick: false, rounds: 2, out: path.join(root, 'bench', 'results', 'winograd.json') });
if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new RangeError(`--rounds: must be an integer ≥ 1, got ${opts.rounds}`);
const { loadKernels } = await import(pathToFileURL(path.join(root, 'dist', 'kernels', 'index.js')).href);

const builds = opts.quick ? ['relaxed-simd'] : ['simd', 'relaxed-simd'];
const ks = Object.fromEntries(await Promise.all(builds.map(async (b) => [b, await loadKernels({ build: b })])));

// C2's 13 conv layers ('same', stride 1) on 32×32×3: [H, C, OC, count]; C4 has the same convs.
const C2 = [[32, 3, 64, 1], [32, 64, 64, 1], [16, 64, 128, 1], [16, 128, 128, 1], [8, 128, 256, 1], [8, 256, 256, 2], [4, 256, 512, 1], [4, 512, 512, 2], [2, 512, 512, 3]];
const OPS = ['fwd', 'bwdData', 'bwdFilter'];
const BUDGET_MS = 300;

/** Median ms per call of each path and op for one shape; checks the two paths agree first. */
function measure(k, N, H, C, OC) {
  const ex = k.exports, W = H, OH = H, OW = W, padT = 1, padL = 1;
  const a = k.arena;
  const x = a.alloc(N * H * W * C * 4), w = a.alloc(9 * C * OC * 4), b = a.alloc(OC * 4), dy = a.alloc(N * OH * OW * OC * 4);
  const y = [a.alloc(N * OH * OW * OC * 4), a.alloc(N * OH * OW * OC * 4)], dx = [a.alloc(N * H * W * C * 4), a.alloc(N * H * W * C * 4)], dw = [a.alloc(9 * C * OC * 4), a.alloc(9 * C * OC * 4)];
  const ws = a.alloc(Math.max(ex.conv2d_workspace_bytes(N, H, W, C, 3, 3, OC, OH, OW), ex.conv2d_winograd_f2x3_workspace_bytes(N, H, W, C, OC, OH, OW)));
  const heap = () => new Float32Array(k.memory.buffer);
  for (const [p, n, seed] of [[x, N * H * W * C, 1], [w, 9 * C * OC, 2], [b, OC, 3], [dy, N * OH * OW * OC, 4]]) randomFill(heap().subarray(p >> 2, (p >> 2) + n), seed);
  const g = [N, H, W, C, 3, 3, OC, 1, 1, padT, padL, OH, OW], wg = [N, H, W, C, OC, padT, padL, OH, OW];
  const run = {
    im2col: { fwd: () => ex.conv2d_im2col_fwd_nhwc(x, w, b, y[0], ...g, ws), bwdData: () => ex.conv2d_im2col_bwd_data_nhwc(dy, w, dx[0], ...g, ws), bwdFilter: () => ex.conv2d_im2col_bwd_filter_nhwc(x, dy, dw[0], ...g, ws) },
    winograd: { fwd: () => ex.conv2d_winograd_f2x3_fwd_nhwc(x, w, b, y[1], ...wg, ws), bwdData: () => ex.conv2d_winograd_f2x3_bwd_data_nhwc(dy, w, dx[1], ...wg, ws), bwdFilter: () => ex.conv2d_winograd_f2x3_bwd_filter_nhwc(x, dy, dw[1], ...wg, ws) },
  };
  const once = {};
  for (const impl of ['im2col', 'winograd']) for (const op of OPS) {
    const t0 = performance.now(); run[impl][op](); once[`${impl} ${op}`] = performance.now() - t0;
  }
  // Same answer (relative to the output's scale) before any timing.
  /** @type {[string, number[], number][]} */
  const outputs = [['fwd', y, N * OH * OW * OC], ['bwdData', dx, N * H * W * C], ['bwdFilter', dw, 9 * C * OC]];
  for (const [name, [p0, p1], n] of outputs) {
    const h = heap(), u = h.subarray(p0 >> 2, (p0 >> 2) + n), v = h.subarray(p1 >> 2, (p1 >> 2) + n);
    let scale = 0, diff = 0;
    for (let i = 0; i < n; i++) { scale = Math.max(scale, Math.abs(u[i])); diff = Math.max(diff, Math.abs(u[i] - v[i])); }
    if (!(diff <= 1e-4 * scale)) throw new Error(`${H}×${H} ${C}→${OC} ${name}: Winograd and im2col disagree (max diff ${diff}, scale ${scale})`);
  }
  const samples = Object.fromEntries(Object.keys(once).map((key) => [key, []]));
  const tasks = Object.keys(once);
  for (let r = 0; r < opts.rounds; r++) {
    for (let t = 0; t < tasks.length; t++) {
      const key = tasks[(t + r * 2) % tasks.length], [impl, op] = key.split(' ');
      const calls = Math.max(2, Math.min(50, Math.round(BUDGET_MS / Math.max(once[key], 0.01))));
      run[impl][op]();
      for (let i = 0; i < calls; i++) { const t0 = performance.now(); run[impl][op](); samples[key].push(performance.now() - t0); }
    }
  }
  a.reset();
  const flops = 2 * N * OH * OW * 9 * C * OC;
  const ms = Object.fromEntries(tasks.map((key) => [key, median(samples[key])]));
  const gflops = Object.fromEntries(tasks.map((key) => [key, flops / 1e9 / (ms[key] / 1e3)]));
  return { N, H, C, OC, tiles: N * Math.ceil(OH / 2) * Math.ceil(OW / 2), auto: ex.conv2d_winograd_f2x3_pays(N, C, OC, OH, OW) === 1 ? 'winograd' : 'im2col', ms, gflops };
}

const loadBefore = os.loadavg();
const t0 = performance.now();
const result = { date: new Date().toISOString(), layers: {}, sweeps: {} };
const f = (x) => x.toFixed(1);
for (const build of builds) {
  const rows = [];
  for (const [H, C, OC, count] of C2) {
    const r = { ...measure(ks[build], 64, H, C, OC), count };
    rows.push(r);
    console.error(`${build} ${H}×${H} ${C}→${OC}: ${OPS.map((op) => `${op} ${f(r.gflops[`im2col ${op}`])} → ${f(r.gflops[`winograd ${op}`])}`).join(', ')} GFLOP/s (auto: ${r.auto})`);
  }
  // C2's conv layers in one training step (batch 64): forward + backward-filter for all, backward-data for all but the first.
  const stepMs = (impl) => rows.reduce((s, r, i) => s + r.count * (r.ms[`${impl} fwd`] + r.ms[`${impl} bwdFilter`] + (i ? r.ms[`${impl} bwdData`] : 0)), 0);
  const autoMs = rows.reduce((s, r, i) => { const impl = r.auto; return s + r.count * (r.ms[`${impl} fwd`] + r.ms[`${impl} bwdFilter`] + (i ? r.ms[`${impl} bwdData`] : 0)); }, 0);
  result.layers[build] = { rows, c2StepMs: { im2col: stepMs('im2col'), auto: autoMs } };
}
if (!opts.quick) {
  const k = ks['relaxed-simd'];
  result.sweeps.channels = [4, 8, 12, 16, 24, 32].map((c) => measure(k, 16, 16, c, c));
  result.sweeps.tiles = [1, 2, 4, 8, 16].map((n) => measure(k, n, 4, 128, 128));
}
const loadAfter = os.loadavg();
result.machine = { cpu: os.cpus()[0]?.model ?? 'unknown', cores: os.cpus().length, node: process.version, loadavgBefore: loadBefore, loadavgAfter: loadAfter, seconds: (performance.now() - t0) / 1e3 };
result.method = `effective GFLOP/s = 2·N·OH·OW·9·C·OC / median call time; ${opts.rounds} round(s) of ~${BUDGET_MS} ms of calls per task, task order rotated; raw exports, inputs resident; Winograd checked against im2col (max |diff| ≤ 1e-4·max|out|) before timing`;

const sum = (r, impl) => OPS.reduce((s, op) => s + r.ms[`${impl} ${op}`], 0);
console.log(`\n3×3 conv, C2/C4 layers at batch 64 ('same'), effective GFLOP/s (median), ${result.machine.cpu}, Node ${process.version}, ${result.date.slice(0, 16)}Z, load ${loadBefore[0].toFixed(2)}→${loadAfter[0].toFixed(2)}`);
console.log('| build | layer H×W C→OC (×count) | im2col fwd / bwd-data / bwd-filter | Winograd fwd / bwd-data / bwd-filter | Winograd ÷ im2col (sum of 3) | auto |');
console.log('|---|---|---:|---:|---:|---|');
for (const build of builds) {
  for (const r of result.layers[build].rows) {
    const g = (impl) => OPS.map((op) => f(r.gflops[`${impl} ${op}`])).join(' / ');
    console.log(`| ${build} | ${r.H}×${r.H} ${r.C}→${r.OC} (×${r.count}) | ${g('im2col')} | ${g('winograd')} | ${(sum(r, 'im2col') / sum(r, 'winograd')).toFixed(2)}× | ${r.auto} |`);
  }
  const s = result.layers[build].c2StepMs;
  console.log(`| ${build} | **C2 conv layers, one step (fwd + bwd)** | ${f(s.im2col)} ms | ${f(s.auto)} ms (auto) | **${(s.im2col / s.auto).toFixed(2)}×** | |`);
}
for (const [name, rows] of Object.entries(result.sweeps)) {
  console.log(`\nCrossover sweep (${name}), relaxed build: | N | H×W | C→OC | tiles | im2col ms (3 ops) | Winograd ms | ratio | auto |`);
  for (const r of rows) console.log(`| ${r.N} | ${r.H}×${r.H} | ${r.C}→${r.OC} | ${r.tiles} | ${sum(r, 'im2col').toFixed(2)} | ${sum(r, 'winograd').toFixed(2)} | ${(sum(r, 'im2col') / sum(r, 'winograd')).toFixed(2)}× | ${r.auto} |`);
}
if (!opts.quick) {
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwrote ${path.relative(process.cwd(), opts.out)}`);
}
