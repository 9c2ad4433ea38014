#!/usr/bin/env node
// Cost of an exact Hessian-vector product (forward-over-reverse, the R-operator:
// ModelObjective.hvp, Model.lossHvp per chunk) against one gradient (ModelObjective.evalGrad),
// against the R-operator that also computes the gradient (Model.lossGradHvp), and against the old
// method, two gradients (central differences, HessianOperator with method
// 'central-differences'), for F1 on 2000 and 6000 samples and C1 on 1000 (BN chunks of 1000,
// dropout off, as `lbgap hessian`). Issue 17's target: exact HVP ≤ 2.5 × one gradient.
// Inputs are random (the cost does not depend on the values); parameters are a fresh init.
// Also reports how far the central-difference product is from the exact one (relative
// 2-norm) on these points.
//
//   npm run build && npm run bench:hvp [-- --iterations 5] [-- --only F1] [-- --out FILE]
//
// Needs a quiet machine: every task is a few seconds of both cores' worth of one thread.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from './lib/args.mjs';
import { randomFill } from './lib/data.mjs';
import { latencySamples, median } from './lib/stats.mjs';
import { rerunWithRelaxedSimd } from './lib/relaxed.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opts = parseArgs(process.argv.slice(2), { iterations: 3, only: '', out: path.join(root, 'bench', 'results', 'hvp.json'), dist: path.join(root, 'dist') });
if (!Number.isInteger(opts.iterations) || opts.iterations < 1) throw new RangeError(`--iterations: must be an integer ≥ 1, got ${opts.iterations}`);
const dist = path.resolve(opts.dist);
if (!existsSync(path.join(dist, 'landscape', 'hvp.js'))) {
  console.error(`bench:hvp needs the compiled package in ${dist}: run \`npm run build\` first.`);
  process.exit(2);
}
rerunWithRelaxedSimd(fileURLToPath(import.meta.url), path.join(root, 'build', 'lbgap.relaxed.wasm'));
const imp = (p) => import(pathToFileURL(path.join(dist, p)).href);
const { Bench } = await import('tinybench');
const { loadKernels } = await imp('kernels/index.js');
const { Model } = await imp('nn/model.js');
const { f1, c1 } = await imp('nn/specs.js');
const { ModelObjective } = await imp('landscape/model_objective.js');
const { HessianOperator } = await imp('landscape/hessian.js');
const { networkHvpStep } = await imp('landscape/network.js');
const { VecOps } = await imp('landscape/vec.js');

const k = await loadKernels({ build: 'auto' });
console.log(`kernels ${k.info.build}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'cpu'} ×${os.cpus().length}, load ${os.loadavg().map((v) => v.toFixed(1)).join(' ')}`);

const configs = [
  { net: 'F1', spec: f1(), sample: 2000 },
  { net: 'F1', spec: f1(), sample: 6000 },
  { net: 'C1', spec: c1(), sample: 1000 },
].filter((c) => `${c.net} ${c.sample}`.includes(opts.only));
if (!configs.length) throw new RangeError(`--only: no configuration matches ${JSON.stringify(opts.only)}`);

const results = [];
for (const c of configs) {
  const model = Model.create(k, c.spec, { seed: 0 });
  const d = model.inputSize;
  const ds = { name: `random ${c.sample}`, x: randomFill(new Float32Array(c.sample * d), 1).map((v) => 0.5 + 0.5 * v), y: Int32Array.from({ length: c.sample }, (_, i) => i % 10), n: c.sample, shape: c.spec.input, classes: 10 };
  const obj = new ModelObjective(model, ds, { chunk: 1000 });
  const n = obj.n, x = obj.point();
  const ops = new VecOps(k);
  const xw = ops.from(x), vw = ops.from(randomFill(new Float32Array(n), 2)), g = ops.alloc(n), hv = ops.alloc(n), cd = ops.alloc(n);
  const central = new HessianOperator(ops, obj, x, { method: 'central-differences', step: networkHvpStep(x) });
  // The R-operator with the gradient as well (Model.lossGradHvp, what ModelObjective.hvp ran
  // before it used lossHvp), chunk by chunk with the same reduction as the objective.
  const ex = k.exports, acc = ops.alloc(n), opts = { dropout: false, updateStats: false, bn: 'batch' };
  const withGradient = () => {
    ex.copy_f32(n, vw.v.byteOffset, model.hvpDirection.ptr);
    for (let off = 0; off < c.sample; off += 1000) {
      const b = Math.min(1000, c.sample - off);
      model.lossGradHvp(ds.x.subarray(off * d, (off + b) * d), ds.y.subarray(off, off + b), b, opts);
      if (off === 0) { ex.copy_f32(n, model.hvpProduct.ptr, acc.v.byteOffset); ex.scale_f32(acc.v.byteOffset, b / c.sample, n); }
      else ex.add_scaled_f32(acc.v.byteOffset, acc.v.byteOffset, b / c.sample, model.hvpProduct.ptr, n);
    }
  };
  const tasks = {
    gradient: () => obj.evalGrad(xw.v, g.v),
    'two gradients (central differences)': () => central.apply(vw, cd),
    'exact HVP + gradient (lossGradHvp)': withGradient,
    'exact HVP (R-operator)': () => obj.hvp(xw.v, vw.v, hv.v),
  };
  const row = { net: c.net, n, sample: c.sample, chunk: 1000, seconds: {} };
  for (const [name, fn] of Object.entries(tasks)) {
    const bench = new Bench({ name, iterations: opts.iterations, time: 0, warmup: true, warmupIterations: 1, warmupTime: 0, retainSamples: true, throws: true });
    bench.add(name, fn);
    await bench.run();
    row.seconds[name] = median(latencySamples(bench.tasks[0])) / 1000;
    console.log(`${c.net} ${c.sample} samples (n = ${n}): ${name} ${row.seconds[name].toFixed(3)} s`);
  }
  const grad = row.seconds.gradient, exact = row.seconds['exact HVP (R-operator)'];
  row.exactOverGradient = exact / grad;
  row.exactOverTwoGradients = exact / row.seconds['two gradients (central differences)'];
  row.withGradientOverGradient = row.seconds['exact HVP + gradient (lossGradHvp)'] / grad;
  let same = true;
  for (let i = 0; i < n && same; i++) same = Object.is(acc.v[i], hv.v[i]);
  row.sameBitsAsWithGradient = same;
  let e = 0, r = 0;
  const a = hv.v, b = cd.v;
  for (let i = 0; i < n; i++) { e += (b[i] - a[i]) ** 2; r += a[i] ** 2; }
  row.centralVsExactRelError = Math.sqrt(e / r);
  console.log(`  exact HVP = ${row.exactOverGradient.toFixed(2)} × a gradient (target ≤ 2.5), ${row.exactOverTwoGradients.toFixed(2)} × two gradients; with the gradient (lossGradHvp) ${row.withGradientOverGradient.toFixed(2)} × (same H·v bits: ${same}); central differences off by ${(100 * row.centralVsExactRelError).toFixed(2)} % (2-norm)`);
  results.push(row);
  ops.dispose(); obj.dispose(); model.dispose();
}
mkdirSync(path.dirname(opts.out), { recursive: true });
writeFileSync(opts.out, JSON.stringify({
  bench: 'hvp', date: new Date().toISOString(), kernels: k.info.build, node: process.version, cpu: os.cpus()[0]?.model ?? null, cores: os.cpus().length, loadavg: os.loadavg(), iterations: opts.iterations, results,
}, null, 2) + '\n');
console.log(`wrote ${path.relative(process.cwd(), opts.out)}`);
