// SAM, the proximal term, LARS, LAMB, parameter slices and the schedules against f64 references,
// on awkward sizes, for both kernel builds.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Model } from '../../src/nn/model.js';
import { tiny } from '../../src/nn/specs.js';
import { Lamb } from '../../src/optim/lamb.js';
import { Lars } from '../../src/optim/lars.js';
import { OptimizerOptionError, OptimizerStateError } from '../../src/optim/optimizer.js';
import { ProximalTerm } from '../../src/optim/proximal.js';
import { SamPerturbation } from '../../src/optim/sam.js';
import { geometricBatchSize, warmupScaledLr } from '../../src/optim/schedule.js';
import { checkSlices, layerSlices } from '../../src/optim/slices.js';
import { Sgd } from '../../src/optim/sgd.js';
import { Rng } from '../../src/util/rng.js';
import { lambStepRef, larsStepRef } from './ref.js';

const SIZES = [1, 3, 17, 65, 255];

function randn(n: number, rng: Rng, scale = 1): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = scale * rng.normal();
  return a;
}

/** Allocates Wasm vectors of n floats and returns their pointers (views are re-made on use). */
function vecs(k: Kernels, n: number, count: number): number[] {
  return Array.from({ length: count }, () => k.arena.alloc(n * 4));
}
const view = (k: Kernels, ptr: number, n: number) => new Float32Array(k.memory.buffer, ptr, n);

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel: number, abs = 0): void {
  expect(got.length).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const err = Math.abs(got[i] - want[i]) / (abs + rel * Math.max(1e-30, Math.abs(want[i])));
    if (err > worst) worst = err;
  }
  expect(worst).toBeLessThanOrEqual(1);
}

describe('schedules', () => {
  it('linear LR scaling with warmup: the exact sequence', () => {
    // base 1e-3, B = 1024 (target 4e-3), 2 warmup epochs, 4 steps per epoch.
    const got: number[] = [];
    for (let e = 1; e <= 3; e++) for (let b = 0; b < 4; b++) got.push(warmupScaledLr(1e-3, 1024, 256, 2, e - 1 + b / 4));
    const want = [0, 1, 2, 3, 4, 5, 6, 7].map((s) => 1e-3 + 3e-3 * s / 8).concat([4e-3, 4e-3, 4e-3, 4e-3]);
    got.forEach((v, i) => expect(v).toBeCloseTo(want[i], 15));
    expect(warmupScaledLr(1e-3, 128, 256, 0, 0)).toBe(5e-4); // no warmup: the scaled rate at once
  });

  it('dynamic sampling: geometric growth from b0 to b1', () => {
    expect([1, 2, 3, 4, 5].map((e) => geometricBatchSize(100, 1600, 5, e))).toEqual([100, 200, 400, 800, 1600]);
    expect(geometricBatchSize(100, 1600, 5, 9)).toBe(1600);
    expect(geometricBatchSize(256, 6000, 1, 1)).toBe(6000);
    expect(() => geometricBatchSize(1, 2, 3, 0)).toThrow(OptimizerOptionError);
  });
});

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`remedy optimizers (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('SAM: params + ρ·g/‖g‖ (f64 reference), ‖ε̂‖ = ρ, exact restore, zero gradient → no move', () => {
      const rng = new Rng(1);
      for (const n of SIZES) {
        const [p, g] = vecs(k, n, 2);
        const x = randn(n, rng), gr = randn(n, rng, 0.1);
        view(k, p, n).set(x); view(k, g, n).set(gr);
        const before = view(k, p, n).slice();
        const sam = new SamPerturbation(k, n, 0.05);
        const norm = sam.perturb(p, g);
        const g32 = Float64Array.from(Float32Array.from(gr));
        const gn = Math.sqrt(g32.reduce((a, v) => a + v * v, 0));
        expect(norm).toBeCloseTo(gn, 5);
        const want = Array.from(before, (v, i) => v + 0.05 * g32[i] / gn);
        expectClose(view(k, p, n), want, 1e-5, 1e-6);
        let d2 = 0;
        view(k, p, n).forEach((v, i) => { d2 += (v - before[i]) ** 2; });
        expect(Math.sqrt(d2)).toBeCloseTo(0.05, 4);
        sam.restore(p);
        expect(Buffer.from(view(k, p, n).slice().buffer).equals(Buffer.from(before.buffer))).toBe(true);
        view(k, g, n).fill(0);
        expect(sam.perturb(p, g)).toBe(0);
        expect(Buffer.from(view(k, p, n).slice().buffer).equals(Buffer.from(before.buffer))).toBe(true);
        sam.dispose(); k.arena.release(p); k.arena.release(g);
      }
      expect(() => new SamPerturbation(k, 3, 0)).toThrow(OptimizerOptionError);
    });

    it('SAM step on a quadratic matches the closed form x − η·A(x + ρ·Ax/‖Ax‖)', () => {
      const n = 65, rng = new Rng(2);
      const a = Float64Array.from({ length: n }, (_, i) => 0.1 + (i % 7));
      const [p, g] = vecs(k, n, 2);
      const x = randn(n, rng);
      view(k, p, n).set(x);
      const x32 = Float64Array.from(view(k, p, n));
      const grad = () => { const pv = view(k, p, n), gv = view(k, g, n); for (let i = 0; i < n; i++) gv[i] = a[i] * pv[i]; };
      const sam = new SamPerturbation(k, n, 0.1), sgd = new Sgd(k, n, { lr: 0.01, momentum: 0 });
      grad(); sam.perturb(p, g); grad(); sam.restore(p); sgd.step(p, g);
      const g0 = x32.map((v, i) => a[i] * v);
      const gn = Math.sqrt(g0.reduce((s, v) => s + v * v, 0));
      const want = x32.map((v, i) => v - 0.01 * a[i] * (v + 0.1 * g0[i] / gn));
      expectClose(view(k, p, n), want, 1e-5, 1e-6);
      sam.dispose(); sgd.dispose();
    });

    it('proximal term: grads + λ(x − x_k) (f64 reference) and its anchor', () => {
      const rng = new Rng(3);
      for (const n of SIZES) {
        const [p, g] = vecs(k, n, 2);
        const x0 = Float32Array.from(randn(n, rng)), x1 = Float32Array.from(randn(n, rng)), gr = Float32Array.from(randn(n, rng));
        const prox = new ProximalTerm(k, n, 2.5);
        view(k, p, n).set(x0); prox.anchor(p);
        expect(prox.anchorCopy()).toEqual(x0);
        view(k, p, n).set(x1); view(k, g, n).set(gr);
        prox.addGradient(p, g);
        expectClose(view(k, g, n), Array.from(gr, (v, i) => v + 2.5 * (x1[i] - x0[i])), 1e-5, 1e-5);
        prox.dispose(); k.arena.release(p); k.arena.release(g);
      }
      expect(() => new ProximalTerm(k, 3, -1)).toThrow(/lambda/);
    });

    const sliceSet = () => {
      let off = 0;
      return SIZES.map((length) => { const s = { layer: 0, name: `s${length}`, offset: off, length }; off += length; return s; });
    };

    it('LARS: trust ratios and two momentum steps vs the f64 reference (a zero slice gets ratio 1)', () => {
      const slices = sliceSet(), n = SIZES.reduce((a, b) => a + b, 0), rng = new Rng(4);
      const [p, g] = vecs(k, n, 2);
      const x = randn(n, rng, 0.2);
      x.fill(0, slices[1].offset, slices[1].offset + slices[1].length);
      view(k, p, n).set(x);
      const h = { lr: 0.5, momentum: 0.9, weightDecay: 0.01, trust: 0.02 };
      const lars = new Lars(k, n, slices, h);
      const pr = Float64Array.from(view(k, p, n)), vr = new Float64Array(n);
      for (let t = 0; t < 2; t++) {
        const gr = Float32Array.from(randn(n, rng, 0.05));
        view(k, g, n).set(gr);
        const ratios = larsStepRef(pr, gr, vr, slices, h);
        lars.step(p, g);
        expectClose(lars.lastRatios, ratios, 1e-5);
        expect(view(k, g, n)).toEqual(gr); // the gradient is left as it was
      }
      expect(lars.lastRatios[1]).not.toBe(1); // after a step the zero slice has moved
      expectClose(view(k, p, n), pr, 1e-4, 1e-6);
      const s = lars.state();
      expect(s.type).toBe('lars');
      const other = new Lars(k, n, slices, { ...h, trust: 0.03 });
      expect(() => other.setState(s)).toThrow(OptimizerStateError);
      other.dispose(); lars.dispose();
      expect(() => new Lars(k, n, slices, { trust: 0 })).toThrow(/trust/);
      expect(() => new Lars(k, n + 1, slices)).toThrow(/slices/);
    });

    it('LAMB: trust ratios ‖w‖/‖r‖ and two steps vs the f64 reference', () => {
      const slices = sliceSet(), n = SIZES.reduce((a, b) => a + b, 0), rng = new Rng(5);
      const [p, g] = vecs(k, n, 2);
      view(k, p, n).set(randn(n, rng, 0.2));
      const h = { lr: 0.01, beta1: 0.9, beta2: 0.999, eps: 1e-6, weightDecay: 0.01 };
      const lamb = new Lamb(k, n, slices, h);
      const pr = Float64Array.from(view(k, p, n)), m = new Float64Array(n), v = new Float64Array(n);
      for (let t = 1; t <= 2; t++) {
        const gr = Float32Array.from(randn(n, rng, 0.05));
        view(k, g, n).set(gr);
        const ratios = lambStepRef(pr, gr, m, v, t, slices, h);
        lamb.step(p, g);
        expectClose(lamb.lastRatios, ratios, 1e-4);
      }
      expectClose(view(k, p, n), pr, 1e-4, 1e-6);
      expect(lamb.t).toBe(2);
      lamb.dispose();
    });

    it('layer slices of a model: per layer and per tensor, covering the flat vector', () => {
      const m = Model.create(k, tiny(8, 3));
      const byLayer = layerSlices(m);
      expect(byLayer.map((s) => [s.name, s.length])).toEqual([['0:dense', 8 * 32 + 32], ['1:batchnorm', 64], ['3:dense', 32 * 32 + 32], ['5:dense', 32 * 3 + 3]]);
      const byTensor = layerSlices(m, 'tensor');
      expect(byTensor.map((s) => s.name)).toEqual(['0:dense.weight', '0:dense.bias', '1:batchnorm.gamma', '1:batchnorm.beta', '3:dense.weight', '3:dense.bias', '5:dense.weight', '5:dense.bias']);
      expect(byTensor.reduce((a, s) => a + s.length, 0)).toBe(m.numParams);
      expect(() => layerSlices(m, 'row' as 'layer')).toThrow(/granularity/);
      expect(() => checkSlices([{ layer: 0, name: 'a', offset: 0, length: 2 }, { layer: 0, name: 'b', offset: 3, length: 1 }], 4)).toThrow(/slices\[1\]/);
      m.dispose();
    });
  });
}
