#!/usr/bin/env node
// Sharpness benchmark: the time of one φ(ε = 1e-3) evaluation (10 L-BFGS-B iterations) for
// F1 on a 10% MNIST training sample (6000 samples, BN chunks of 1000), in the full space and
// in a random p = 100 subspace; and the throughput of the random-projection kernels
// (randproj_apply_f32 = A·y, randproj_apply_t_f32 = Aᵀg, randproj_gram_f64 = AᵀA) at
// F1's n, against a memory-bandwidth-bound estimate.
//
// The bandwidth-bound estimate: A is never stored, but a stored f32 A (n·p·4 bytes) would
// have to be streamed from memory for every A·y or Aᵀg, so the bandwidth-bound rate is
// B/4 entries/s, with B measured here as the copy bandwidth over 2 × 64 MiB (the faster of copy_f32 and
// TypedArray.copyWithin)
// (bytes read + written per second). The kernels' own traffic is only the n-vectors
// (8n bytes for A·y with beta = 1, 4n for Aᵀg); those bytes/s are reported too.
//
//   npm run build && npm run bench:sharpness [-- --checkpoint F1.ckpt] [-- --sample 6000] [-- --skip-phi]
//
// Options: --checkpoint FILE (an F1 checkpoint from `lbgap train --checkpoint`; default a
// freshly initialized F1, fine for timing), --sample N (default 6000), --out FILE (default
// bench/results/sharpness.json), --dist DIR (compiled sources, default dist/), --skip-phi,
// --workers N (default: the cores): the full-space φ again with the loss data-parallel over
// N workers (ParallelObjective; the same φ bit for bit), and its time as a fraction of 1 worker's.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { rerunWithRelaxedSimd } from './lib/relaxed.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opts = parseArgs(process.argv.slice(2), {
  checkpoint: '', sample: 6000, out: path.join(root, 'bench', 'results', 'sharpness.json'), dist: path.join(root, 'dist'), 'skip-phi': false,
  workers: os.availableParallelism(),
});
const dist = path.resolve(opts.dist);
if (!existsSync(path.join(dist, 'landscape', 'network.js'))) {
  console.error(`bench:sharpness needs the compiled package in ${dist}: run \`npm run build\` first.`);
  process.exit(2);
}
rerunWithRelaxedSimd(fileURLToPath(import.meta.url), path.join(root, 'build', 'lbgap.relaxed.wasm'));
const imp = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { loadKernels } = await imp('kernels/index.js');
const { Model } = await imp('nn/model.js');
const { f1 } = await imp('nn/specs.js');
const { loadMnist } = await imp('data/mnist.js');
const { networkSharpness } = await imp('landscape/network.js');
const { loadCheckpoint } = await imp('train/checkpoint.js');
const { ParallelObjective } = await imp('workers/index.js');

const k = await loadKernels({ build: 'auto' });
const e = k.exports;
const spec = f1();
const model = Model.create(k, spec, { seed: 0 });
let source = 'fresh F1 (seed 0)';
if (opts.checkpoint) {
  const c = await loadCheckpoint(opts.checkpoint);
  if (JSON.stringify(c.spec) !== JSON.stringify(spec)) { console.error(`${opts.checkpoint} is not an F1 checkpoint`); process.exit(2); }
  model.params.view().set(c.params); model.buffers.view().set(c.buffers);
  source = `${opts.checkpoint} (epoch ${c.epoch})`;
}
const n = model.numParams, p = 100;
console.log(`kernels ${k.info.build}, F1 n = ${n}, ${source}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}`);

const time = (fn, reps) => { fn(); const t0 = performance.now(); for (let r = 0; r < reps; r++) fn(); return (performance.now() - t0) / reps / 1000; };

// Memory bandwidth: copy 64 MiB → 64 MiB.
const big = 16 << 20;
const src = k.arena.alloc(big * 4), dst = k.arena.alloc(big * 4);
k.heapF32().subarray(src >> 2, (src >> 2) + big).fill(1);
const tCopy = time(() => e.copy_f32(big, src, dst), 5);
const tMove = time(() => { const hh = k.heapF32(); hh.copyWithin(dst >> 2, src >> 2, (src >> 2) + big); }, 5);
// The faster of the Wasm copy kernel and the engine's memmove (copyWithin).
const bandwidth = (2 * big * 4) / Math.min(tCopy, tMove);
k.arena.release(src); k.arena.release(dst);

// Random-projection kernels at n = F1's parameter count.
const y = k.arena.alloc(p * 4), out = k.arena.alloc(n * 4), g = k.arena.alloc(n * 4), yo = k.arena.alloc(p * 4);
const G = k.arena.alloc(p * p * 8), work = k.arena.alloc(e.randproj_gram_workspace_bytes(p));
const h = k.heapF32();
for (let i = 0; i < p; i++) h[(y >> 2) + i] = Math.cos(i);
for (let i = 0; i < n; i++) h[(g >> 2) + i] = Math.sin(i);
const tApply = time(() => e.randproj_apply_f32(7, n, p, y, out, 1), 5);
const tApplyT = time(() => e.randproj_apply_t_f32(7, n, p, g, yo), 5);
const tGram = time(() => e.randproj_gram_f64(7, n, p, G, work), 1);
const boundEntries = bandwidth / 4;
const kern = (name, t, bytes) => ({
  kernel: name, ms: t * 1e3, entriesPerSecond: (n * p) / t, fractionOfBandwidthBound: (n * p) / t / boundEntries, vectorBytesPerSecond: bytes / t,
});
const kernels = [kern('randproj_apply_f32 (A·y, beta=1)', tApply, 8 * n), kern('randproj_apply_t_f32 (Aᵀg)', tApplyT, 4 * n)];
const gram = { kernel: 'randproj_gram_f64 (AᵀA)', ms: tGram * 1e3, entriesPerSecond: (n * p) / tGram, f64MultiplyAddsPerSecond: (n * p * p) / tGram };
console.log(`memory bandwidth (max of copy_f32 and copyWithin, 2 × 64 MiB): ${(bandwidth / 1e9).toFixed(2)} GB/s → bandwidth-bound stored-A rate ${(boundEntries / 1e9).toFixed(2)} G entries/s`);
for (const r of kernels) {
  console.log(`${r.kernel.padEnd(34)} ${r.ms.toFixed(1).padStart(7)} ms  ${(r.entriesPerSecond / 1e9).toFixed(2)} G entries/s = ${(100 * r.fractionOfBandwidthBound).toFixed(0)}% of bandwidth-bound; vector traffic ${(r.vectorBytesPerSecond / 1e9).toFixed(2)} GB/s`);
}
console.log(`${gram.kernel.padEnd(34)} ${gram.ms.toFixed(1).padStart(7)} ms  ${(gram.f64MultiplyAddsPerSecond / 1e9).toFixed(2)} G f64 multiply-adds/s (once per subspace)`);
for (const ptr of [y, out, g, yo, G, work]) k.arena.release(ptr);

const phi = [];
if (!opts['skip-phi']) {
  const train = await loadMnist('train');
  for (const subspace of [undefined, p]) {
    const r = networkSharpness(model, train, { eps: [1e-3], full: subspace === undefined, subspace, sample: opts.sample, seed: 0 });
    const e0 = r.results[0];
    phi.push({ space: e0.space, dim: e0.dim, sample: r.loss.sample, chunk: r.loss.chunk, seconds: e0.seconds, iterations: e0.iterations, evaluations: e0.evaluations, phi: e0.phi, f0: e0.f0 });
    console.log(`φ(1e-3) ${e0.space === 'full' ? 'full space ' : `subspace p=${p}`} on ${r.loss.sample} samples: ${e0.seconds.toFixed(1)} s (${e0.iterations} iterations, ${e0.evaluations} loss+gradient evaluations, ${(e0.seconds / e0.evaluations).toFixed(2)} s each), φ = ${e0.phi.toFixed(4)}`);
  }
}
// A lone φ on all cores: the same loss data-parallel over N workers (startup excluded: a
// measurement series reuses one objective).
let parallel = null;
if (!opts['skip-phi'] && opts.workers > 1) {
  const train = await loadMnist('train');
  const obj = await ParallelObjective.create(model, train, { sample: opts.sample, workers: opts.workers });
  try {
    const r = networkSharpness(model, train, { eps: [1e-3], full: true, objective: obj });
    const e0 = r.results[0], one = phi[0];
    if (e0.phi !== one.phi) throw new Error(`φ over ${opts.workers} workers ${e0.phi} differs from in-thread ${one.phi}`);
    parallel = { workers: opts.workers, seconds: e0.seconds, ratioToInThread: e0.seconds / one.seconds, phi: e0.phi };
    console.log(`φ(1e-3) full space over ${opts.workers} workers: ${e0.seconds.toFixed(1)} s = ${parallel.ratioToInThread.toFixed(2)}× the in-thread time (same φ bit for bit); load ${os.loadavg().map((v) => v.toFixed(2)).join(' / ')}`);
  } finally {
    await obj.dispose();
  }
}
mkdirSync(path.dirname(opts.out), { recursive: true });
writeFileSync(opts.out, JSON.stringify({
  date: new Date().toISOString(), node: process.version, cpu: os.cpus()[0]?.model ?? null, cores: os.cpus().length, kernels: k.info.build,
  n, p, source, bandwidthBytesPerSecond: bandwidth, bandwidthBoundEntriesPerSecond: boundEntries, randproj: kernels, gram, phi, parallel, loadAverage: os.loadavg(),
}, null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), opts.out) || opts.out}`);
model.dispose();
