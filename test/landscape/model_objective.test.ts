// ModelObjective and the network-level tools on the tiny MLP: gradient vs central finite
// differences in f64, chunk weighting, determinism, restoring the model, the Hessian vs an
// explicit FD Hessian, sharpness box constraints, noise scale, typed errors.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { KernelRangeError } from '../../src/kernels/errors.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { train } from '../../src/train/train.js';
import { ModelObjective, sampleIndices } from '../../src/landscape/model_objective.js';
import { networkHessian, networkHvpStep, networkNoiseScale, networkSharpness } from '../../src/landscape/network.js';
import { sharpness } from '../../src/landscape/sharpness.js';
import { HessianOperator } from '../../src/landscape/hessian.js';
import { VecOps } from '../../src/landscape/vec.js';
import { symmetricEigen } from '../../src/landscape/dense.js';
import { Rng } from '../../src/util/rng.js';

const data = syntheticClassification({ n: 200, dim: 4, classes: 3, seed: 5, kind: 'teacher', hidden: 8, name: 'teacher/train' });

function randn(n: number, seed: number): Float64Array {
  const r = new Rng(seed);
  return Float64Array.from({ length: n }, () => r.normal());
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`ModelObjective (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('∇f matches f64 central differences of f along random directions and coordinates', () => {
      const model = Model.create(k, tiny(4, 3), { seed: 3 });
      const obj = new ModelObjective(model, data, { sample: 70, chunk: 32, seed: 1 });
      const x = obj.point();
      const g = new Float32Array(obj.n);
      obj.evalGrad(x, g);
      const fAt = (dir: Float64Array, h: number) => {
        const p = Float32Array.from(x, (v, i) => v + h * dir[i]);
        // the realized step in f32, so the FD quotient uses the exact displacement
        return { f: obj.value(p), p };
      };
      for (let t = 0; t < 4; t++) {
        const dir = randn(obj.n, 100 + t);
        const dn = Math.hypot(...dir);
        dir.forEach((v, i) => { dir[i] = v / dn; });
        const h = 1e-3; // small: a larger step moves ReLU pre-activations across their kinks
        const a = fAt(dir, h), b = fAt(dir, -h);
        let dd = 0, num = 0;
        for (let i = 0; i < obj.n; i++) dd += g[i] * (a.p[i] - b.p[i]);
        num = a.f - b.f;
        expect(Math.abs(dd - num)).toBeLessThan(2e-2 * Math.abs(num) + 1e-5);
      }
      // individual coordinates: a first-layer weight, a BN gamma, a BN beta, the last bias
      for (const i of [0, 5, 4 * 32 + 32 + 3, 4 * 32 + 32 + 32 + 7, obj.n - 1]) {
        const e = new Float64Array(obj.n); e[i] = 1;
        const h = 1e-3;
        const a = fAt(e, h), b = fAt(e, -h);
        const fd = (a.f - b.f) / (a.p[i] - b.p[i]);
        expect(Math.abs(fd - g[i])).toBeLessThan(2e-2 * Math.abs(g[i]) + 2e-5);
      }
      obj.dispose(); model.dispose();
    });

    it('f is the sample-weighted mean of per-chunk batch-statistics losses; deterministic; model restored', () => {
      const model = Model.create(k, tiny(4, 3), { seed: 4 });
      const before = Float32Array.from(model.params.view()), bufs = Float32Array.from(model.buffers.view());
      const forwards = model.trainForwards;
      const obj = new ModelObjective(model, data, { sample: 70, chunk: 32, seed: 2 });
      const x = Float32Array.from(before, (v, i) => v + 0.01 * Math.sin(i));
      const g1 = new Float32Array(obj.n), g2 = new Float32Array(obj.n);
      const f1 = obj.evalGrad(x, g1), f2 = obj.evalGrad(x, g2);
      expect(f2).toBe(f1);
      expect(g2).toEqual(g1);
      expect(model.params.view()).toEqual(before);
      expect(model.buffers.view()).toEqual(bufs);
      expect(model.trainForwards).toBe(forwards);
      // Independent: the same sample, chunks of 32, 32, 6 through evaluate({batchStats}) at x.
      const idx = sampleIndices(data.n, 70, 2);
      const sub = { name: 's', n: 70, shape: data.shape, classes: data.classes, x: new Float32Array(70 * 4), y: new Int32Array(70) };
      idx.forEach((i, j) => { sub.x.set(data.x.subarray(i * 4, i * 4 + 4), j * 4); sub.y[j] = data.y[i]; });
      model.params.view().set(x);
      const m = model.evaluate(sub, { batchStats: true, batchSize: 32 });
      model.params.view().set(before);
      expect(Math.abs(m.loss - f1)).toBeLessThan(1e-5 * Math.abs(f1));
      // Gradient weighting: 32/70·g(c0) + 32/70·g(c1) + 6/70·g(c2).
      const ref = new Float64Array(obj.n);
      model.params.view().set(x);
      for (const [off, b] of [[0, 32], [32, 32], [64, 6]]) {
        model.lossAndGrad(sub.x.subarray(off * 4), sub.y.subarray(off), b, { dropout: false, updateStats: false });
        const gg = model.grads.view();
        for (let i = 0; i < obj.n; i++) ref[i] += (b / 70) * gg[i];
      }
      model.params.view().set(before);
      let err = 0, nrm = 0;
      for (let i = 0; i < obj.n; i++) { err = Math.max(err, Math.abs(ref[i] - g1[i])); nrm = Math.max(nrm, Math.abs(ref[i])); }
      expect(err).toBeLessThan(1e-5 * nrm);
      obj.dispose(); model.dispose();
    });

    it("bn: 'running': f is the evaluation-mode loss (any chunking), ∇f matches central differences, model and statistics restored", async () => {
      const model = Model.create(k, tiny(4, 3), { seed: 6 });
      // Train a little so the running statistics are far from their initial 0/1.
      await train(model, { train: data }, { epochs: 2, batchSize: 20, seed: 1 });
      const before = Float32Array.from(model.params.view()), bufs = Float32Array.from(model.buffers.view());
      expect(bufs.some((v, i) => Math.abs(v - (i % 64 < 32 ? 0 : 1)) > 1e-2)).toBe(true);
      const obj = new ModelObjective(model, data, { sample: 70, chunk: 32, seed: 2, bn: 'running' });
      const whole = new ModelObjective(model, data, { sample: 70, chunk: 70, seed: 2, bn: 'running' });
      const batch = new ModelObjective(model, data, { sample: 70, chunk: 32, seed: 2 });
      expect(obj.info.bn).toBe('running');
      expect(obj.info.batchNorm).toMatch(/running statistics/);
      expect(batch.info.bn).toBe('batch');
      const x = Float32Array.from(before, (v, i) => v + 0.01 * Math.sin(i));
      const g = new Float32Array(obj.n), g2 = new Float32Array(obj.n), gb = new Float32Array(obj.n);
      const f = obj.evalGrad(x, g);
      expect(model.params.view()).toEqual(before);
      expect(model.buffers.view()).toEqual(bufs);
      // Independent of the chunking, and equal to evaluate() in evaluation mode at x.
      const fw = whole.evalGrad(x, g2);
      expect(Math.abs(fw - f)).toBeLessThan(1e-6 * f);
      let gd = 0, gn = 0;
      for (let i = 0; i < obj.n; i++) { gd = Math.max(gd, Math.abs(g[i] - g2[i])); gn = Math.max(gn, Math.abs(g[i])); }
      expect(gd).toBeLessThan(1e-5 * gn);
      const idx = sampleIndices(data.n, 70, 2);
      const sub = { name: 's', n: 70, shape: data.shape, classes: data.classes, x: new Float32Array(70 * 4), y: new Int32Array(70) };
      idx.forEach((i, j) => { sub.x.set(data.x.subarray(i * 4, i * 4 + 4), j * 4); sub.y[j] = data.y[i]; });
      model.params.view().set(x);
      const ev = model.evaluate(sub, { batchSize: 70 });
      model.params.view().set(before);
      expect(Math.abs(ev.loss - f)).toBeLessThan(1e-6 * f);
      // A different function from the batch-statistics loss.
      const fb = batch.evalGrad(x, gb);
      expect(Math.abs(fb - f)).toBeGreaterThan(1e-4 * f);
      // ∇f against central differences along random directions (realized f32 steps).
      for (let t = 0; t < 3; t++) {
        const dir = randn(obj.n, 200 + t);
        const dn = Math.hypot(...dir);
        const h = 1e-3;
        const pp = Float32Array.from(x, (v, i) => v + (h * dir[i]) / dn), pm = Float32Array.from(x, (v, i) => v - (h * dir[i]) / dn);
        const num = obj.value(pp) - obj.value(pm);
        let dd = 0;
        for (let i = 0; i < obj.n; i++) dd += g[i] * (pp[i] - pm[i]);
        expect(Math.abs(dd - num)).toBeLessThan(2e-2 * Math.abs(num) + 1e-5);
      }
      expect(model.buffers.view()).toEqual(bufs);
      expect(() => new ModelObjective(model, data, { bn: 'eval' as 'running' })).toThrow(KernelRangeError);
      try { new ModelObjective(model, data, { bn: 'eval' as 'running' }); } catch (e) { expect((e as KernelRangeError).argument).toBe('bn'); }
      obj.dispose(); whole.dispose(); batch.dispose(); model.dispose();
    });

    it('x and g may be views of Wasm memory', () => {
      const model = Model.create(k, tiny(4, 3), { seed: 4 });
      const obj = new ModelObjective(model, data, { sample: 50 });
      const x = obj.point(), g = new Float32Array(obj.n);
      const f = obj.evalGrad(x, g);
      const xp = k.arena.alloc(obj.n * 4), gp = k.arena.alloc(obj.n * 4);
      new Float32Array(k.memory.buffer, xp, obj.n).set(x);
      const f2 = obj.evalGrad(new Float32Array(k.memory.buffer, xp, obj.n), new Float32Array(k.memory.buffer, gp, obj.n));
      expect(f2).toBe(f);
      expect(new Float32Array(k.memory.buffer, gp, obj.n)).toEqual(g);
      k.arena.release(xp); k.arena.release(gp); obj.dispose(); model.dispose();
    });
  });
}

describe('network tools (simd)', () => {
  let k: Kernels;
  let trained: Model;
  beforeAll(async () => {
    k = await loadKernels({ build: 'simd' });
    trained = Model.create(k, tiny(4, 3), { seed: 9 });
    await train(trained, { train: data }, { epochs: 15, batchSize: 20, seed: 1 });
  });

  it('Hessian-vector products, top eigenvalues and trace match an explicit Hessian built column by column', async () => {
    // A small MLP (95 parameters) so the explicit Hessian and its full spectrum are cheap.
    const small = Model.create(k, { name: 'small', input: [4], layers: [
      { type: 'dense', units: 6 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 5 }, { type: 'relu' }, { type: 'dense', units: 3 },
    ] }, { seed: 5 });
    await train(small, { train: data }, { epochs: 10, batchSize: 20, seed: 1 });
    const obj = new ModelObjective(small, data, { sample: 64 });
    const x = obj.point(), n = obj.n;
    // Explicit H: column j = (∇f(x + h e_j) − ∇f(x − h e_j)) / (2h) with the realized f32
    // step; h is small (1e-4 relative) so no ReLU pre-activation crosses its kink.
    const H = new Float64Array(n * n);
    const gp = new Float32Array(n), gm = new Float32Array(n), p = Float32Array.from(x);
    for (let j = 0; j < n; j++) {
      const h = 1e-4 * Math.max(1, Math.abs(x[j]));
      p[j] = x[j] + h; const hp = p[j] - x[j]; obj.evalGrad(p, gp);
      p[j] = x[j] - h; const hm = x[j] - p[j]; obj.evalGrad(p, gm);
      p[j] = x[j];
      for (let i = 0; i < n; i++) H[i * n + j] = (gp[i] - gm[i]) / (hp + hm);
    }
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) { const s = (H[i * n + j] + H[j * n + i]) / 2; H[i * n + j] = s; H[j * n + i] = s; }
    const mv = (v: Float64Array) => { const o = new Float64Array(n); for (let i = 0; i < n; i++) { let s = 0; for (let j = 0; j < n; j++) s += H[i * n + j] * v[j]; o[i] = s; } return o; };
    const ops = new VecOps(k);
    const op = new HessianOperator(ops, obj, x, { method: 'central-differences', step: networkHvpStep(x) });
    for (let t = 0; t < 3; t++) {
      const v = randn(n, 7 + t);
      const vw = ops.from(v), out = ops.alloc(n);
      op.apply(vw, out);
      const ref = mv(v), got = out.v;
      let e = 0, r = 0;
      for (let i = 0; i < n; i++) { e += (got[i] - ref[i]) ** 2; r += ref[i] ** 2; }
      expect(Math.sqrt(e / r)).toBeLessThan(2e-2);
    }
    ops.dispose();
    const { values } = symmetricEigen(H, n);
    const desc = Array.from(values).sort((a, b) => b - a);
    const r = networkHessian(small, data, { top: 2, sample: 64, maxIter: 60, tol: 1e-4, trace: true, traceSamples: 100, traceRtol: 0 });
    expect(r.eigen.values[0]).toBeGreaterThan(0);
    expect(Math.abs(r.eigen.values[0] - desc[0])).toBeLessThan(1e-2 * Math.abs(desc[0]));
    expect(Math.abs(r.eigen.values[1] - desc[1])).toBeLessThan(1e-2 * Math.abs(desc[0]));
    let tr = 0; for (let i = 0; i < n; i++) tr += H[i * n + i];
    expect(Math.abs(r.trace!.estimate - tr)).toBeLessThan(4 * r.trace!.stdError + 0.05 * Math.abs(tr));
    expect(r.hvp).toBe('exact');
    expect(r.step).toBe(null);
    expect(r.eigen.evaluations).toBe(0);
    const cd = networkHessian(small, data, { top: 1, sample: 64, maxIter: 60, tol: 1e-4, hvp: 'central-differences' });
    expect(cd.hvp).toBe('central-differences');
    expect(cd.step).toBe(networkHvpStep(x));
    expect(cd.hvpError).toMatch(/kinks/);
    expect(cd.eigen.evaluations).toBe(2 * cd.eigen.iterations);
    expect(Math.abs(cd.eigen.values[0] - desc[0])).toBeLessThan(1e-2 * Math.abs(desc[0]));
    obj.dispose(); small.dispose();
  });

  it('sharpness of a trained net: φ ≥ 0, fmax ≥ f0 and the maximizer stays in the box', () => {
    const r = networkSharpness(trained, data, { eps: [1e-3, 5e-4], subspace: 20, seed: 3, sample: 100 });
    expect(r.results.map((e) => `${e.space}:${e.eps}`)).toEqual(['full:0.001', 'full:0.0005', 'random:0.001', 'random:0.0005']);
    for (const e of r.results) {
      expect(e.phi).toBeGreaterThanOrEqual(0);
      expect(e.fmax).toBeGreaterThanOrEqual(e.f0);
      expect(e.phi).toBeCloseTo(((e.fmax - e.f0) / (1 + e.f0)) * 100, 10);
      expect(e.iterations).toBeLessThanOrEqual(10);
      expect(e.evaluations).toBeGreaterThan(1);
    }
    // Bigger box, bigger maximum (same start, a superset of feasible points for L-BFGS-B in practice).
    expect(r.results[0].phi).toBeGreaterThan(r.results[1].phi);
    expect(r.results[0].phi).toBeGreaterThan(0);
    expect(r.loss.sample).toBe(100);
    // The box: |y_i| ≤ ε(|x_i| + 1) for the maximizer.
    const obj = new ModelObjective(trained, data, { sample: 100 });
    const x = obj.point();
    const s = sharpness(k, obj, x, { eps: 1e-3 });
    for (let i = 0; i < obj.n; i++) expect(Math.abs(s.y[i])).toBeLessThanOrEqual(Math.fround(1e-3 * (Math.abs(x[i]) + 1)));
    expect(s.phi).toBeCloseTo(r.results[0].phi, 9);
    obj.dispose();
  });

  it("sharpness with bn: 'running' measures the running-statistics loss", () => {
    const r = networkSharpness(trained, data, { eps: [1e-3], sample: 100, bn: 'running' });
    expect(r.loss.bn).toBe('running');
    const obj = new ModelObjective(trained, data, { sample: 100, bn: 'running' });
    const x = obj.point();
    expect(r.results[0].f0).toBe(obj.value(x));
    const s = sharpness(k, obj, x, { eps: 1e-3 });
    expect(s.phi).toBeCloseTo(r.results[0].phi, 9);
    expect(r.results[0].phi).toBeGreaterThan(0);
    expect(r.results[0].fmax).toBeGreaterThanOrEqual(r.results[0].f0);
    expect(networkSharpness(trained, data, { eps: [1e-3], sample: 100 }).loss.bn).toBe('batch');
    obj.dispose();
  });

  it('a prebuilt objective is measured as given (same φ and eigenvalue), left open, and must agree with the loss options', () => {
    const obj = new ModelObjective(trained, data, { sample: 100, chunk: 50, seed: 4 });
    const own = { sample: 100, chunk: 50, sampleSeed: 4 };
    expect(networkSharpness(trained, data, { eps: [1e-3], objective: obj }).results[0].phi).toBe(networkSharpness(trained, data, { eps: [1e-3], ...own }).results[0].phi);
    expect(networkHessian(trained, data, { maxIter: 5, objective: obj }).eigen.values).toEqual(networkHessian(trained, data, { maxIter: 5, ...own }).eigen.values);
    expect(obj.value(obj.point())).toBeGreaterThan(0); // still open
    expect(() => networkSharpness(trained, data, { eps: [1e-3], objective: obj, sample: 120 })).toThrow(/sample: is 120 but the objective given was built with 100/);
    expect(() => networkHessian(trained, data, { objective: obj, bn: 'running' })).toThrow(/bn: is "running" but the objective given was built with "batch"/);
    const other = syntheticClassification({ n: 150, dim: 4, classes: 3, seed: 8, name: 'other' });
    expect(() => networkSharpness(trained, other, { eps: [1e-3], objective: obj })).toThrow(/objective: was built on .* \(200 samples\), not other \(150\)/);
    obj.dispose();
  });

  it('noise scale of a network: finite, positive trace of Σ, B_simple > 0 at a noisy point', () => {
    const m = Model.create(k, tiny(4, 3), { seed: 2 });
    const r = networkNoiseScale(m, data, { bSmall: 10, bBig: 40, draws: 6, seed: 1 });
    expect(r.pairs).toBe(6);
    expect(r.traceSigma).toBeGreaterThan(0);
    expect(Number.isFinite(r.gradSq)).toBe(true);
    expect(r.n).toBe(m.numParams);
    expect(() => networkNoiseScale(m, data, { bSmall: 10, bBig: 15 })).toThrow(/bBig/);
    expect(() => networkNoiseScale(m, data, { bSmall: 100, bBig: 400 })).toThrow(/bBig: must be ≤ the data set size 200/);
    m.dispose();
  });

  it('bad inputs give typed errors naming the argument', () => {
    const m = Model.create(k, tiny(4, 3), { seed: 2 });
    const err = (f: () => unknown, arg: string, re: RegExp) => {
      try { f(); } catch (e) { expect(e).toBeInstanceOf(KernelRangeError); expect((e as KernelRangeError).argument).toBe(arg); expect((e as Error).message).toMatch(re); return; }
      throw new Error('no error thrown');
    };
    err(() => networkSharpness(m, data, { eps: [1e-3, 0] }), 'eps[1]', /> 0/);
    err(() => networkSharpness(m, data, { eps: [-1e-3] }), 'eps[0]', /> 0/);
    err(() => networkSharpness(m, data, { subspace: m.numParams + 1 }), 'subspace', /exceeds the parameter count/);
    err(() => new ModelObjective(m, data, { sample: 201 }), 'sample', /≤ 200/);
    err(() => new ModelObjective(m, data, { sample: 10, chunk: 11 }), 'chunk', /≤ 10/);
    m.params.view()[37] = NaN;
    err(() => networkSharpness(m, data), 'params', /entry 37 is NaN \(layer 0 \(dense\) weight, entry 37\)/);
    m.params.view()[37] = 0;
    m.params.view()[4 * 32 + 32 + 1] = Infinity;
    err(() => networkHessian(m, data), 'params', /entry 161 is Infinity \(layer 1 \(batchnorm\) gamma, entry 1\)/);
    m.dispose();
  });
});
