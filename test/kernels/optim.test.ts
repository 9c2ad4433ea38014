import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Mem, worst } from '../ref/nn.js';
import { adamStepRef, sgdStepRef, type AdamHyper, type SgdHyper } from '../ref/optim.js';
import { rand } from '../ref/rng.js';

// Tolerances. Each step rounds a handful of f32 operations; over 5 steps with the
// hyper-parameters below the drift from the f64 reference stays below
// rtol 1e-5 / atol 1e-6 (params O(1), updates O(lr)); m and v rtol 1e-5 with atol 1e-7 and
// 1e-9 (v ≈ (1−β2)·g² is small).
// The f32 kernel is driven by the f64 reference's own gradients g(p) = p − target
// evaluated at the f32 params, so the trajectories can only drift by rounding.
const SIZES = [1, 3, 17, 65, 255];
const STEPS = 5;

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`optimizer steps (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    const adamCases: AdamHyper[] = [
      { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },   // Keras / PyTorch defaults
      { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.01 },
    ];
    for (const h64 of adamCases) {
      // Tracking over several steps: the reference takes the same f32-rounded hyper-parameters
      // (test/optim/adam_constants.test.ts checks the unrounded ones at t = 1).
      const h: AdamHyper = { lr: Math.fround(h64.lr), beta1: Math.fround(h64.beta1), beta2: Math.fround(h64.beta2), eps: Math.fround(h64.eps), weightDecay: Math.fround(h64.weightDecay) };
      it(`adam_step_f32 tracks the f64 reference over ${STEPS} steps (lr=${h64.lr}, wd=${h64.weightDecay}) on 1, 3, 17, 65, 255`, () => {
        for (const n of SIZES) {
          const p0 = rand(n, n), target = rand(n, n + 1);
          const pp = m.f32(p0), pg = m.f32(n), pm = m.f32(n), pv = m.f32(n);
          const P = Float64Array.from(p0), M = new Float64Array(n), V = new Float64Array(n);
          for (let t = 1; t <= STEPS; t++) {
            const g = Float64Array.from(P, (v, i) => v - target[i]);
            m.set(pg, g);
            const gf = m.get(pg, n);
            adamStepRef(P, gf, M, V, t, h);
            k.exports.adam_step_f32(pp, pg, pm, pv, n, h.lr, h.beta1, h.beta2, h.eps, 1 - h.beta1 ** t, 1 - h.beta2 ** t, h.weightDecay);
            expect(Array.from(m.get(pg, n)), 'grads are read-only').toEqual(Array.from(gf));
          }
          for (const [name, got, want, atol] of [['params', m.get(pp, n), P, 1e-6], ['m', m.get(pm, n), M, 1e-7], ['v', m.get(pv, n), V, 1e-9]] as const) {
            const w = worst(got, want, 1e-5, atol);
            expect(w.ratio, `${name} n=${n} at ${w.at}: ${w.got} vs ${w.want}`).toBeLessThanOrEqual(1);
          }
          // It moved: a step of ≈ lr per coordinate in the gradient's direction.
          expect(Math.abs(m.get(pp, n)[0] - p0[0])).toBeGreaterThan(h.lr);
        }
      });
    }

    it('adam first step moves every coordinate by ≈ lr·sign(g) (bias correction applied)', () => {
      const n = 17, g = rand(n, 3).map((v) => v + Math.sign(v) * 0.1);
      const pp = m.f32(n);
      k.exports.adam_step_f32(pp, m.f32(g), m.f32(n), m.f32(n), n, 0.01, 0.9, 0.999, 1e-8, 0.1, 0.001, 0);
      const got = m.get(pp, n);
      for (let i = 0; i < n; i++) expect(got[i]).toBeCloseTo(-0.01 * Math.sign(g[i]), 6);
    });

    const sgdCases: SgdHyper[] = [
      { lr: 0.1, momentum: 0.9, nesterov: false, weightDecay: 0 },
      { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 5e-4 },
      { lr: 0.01, momentum: 0, nesterov: false, weightDecay: 0.1 },
    ];
    for (const h64 of sgdCases) {
      const h: SgdHyper = { ...h64, lr: Math.fround(h64.lr), momentum: Math.fround(h64.momentum), weightDecay: Math.fround(h64.weightDecay) };
      it(`sgd_momentum_step_f32 tracks the f64 reference over ${STEPS} steps (μ=${h64.momentum}, nesterov=${h64.nesterov}, wd=${h64.weightDecay})`, () => {
        for (const n of SIZES) {
          const p0 = rand(n, 2 * n), target = rand(n, 2 * n + 1);
          const pp = m.f32(p0), pg = m.f32(n), pvel = m.f32(n);
          const P = Float64Array.from(p0), VEL = new Float64Array(n);
          for (let t = 1; t <= STEPS; t++) {
            m.set(pg, Float64Array.from(P, (v, i) => v - target[i]));
            sgdStepRef(P, m.get(pg, n), VEL, h);
            k.exports.sgd_momentum_step_f32(pp, pg, pvel, n, h.lr, h.momentum, h.nesterov ? 1 : 0, h.weightDecay);
          }
          for (const [name, got, want] of [['params', m.get(pp, n), P], ['vel', m.get(pvel, n), VEL]] as const) {
            const w = worst(got, want, 1e-5, 1e-6);
            expect(w.ratio, `${name} n=${n} at ${w.at}: ${w.got} vs ${w.want}`).toBeLessThanOrEqual(1);
          }
        }
      });
    }

    it('sgd first step without momentum history is p −= lr·g (PyTorch: buffer starts as g)', () => {
      const g = rand(5, 1), p0 = rand(5, 2);
      const pp = m.f32(p0), pvel = m.f32(5);
      k.exports.sgd_momentum_step_f32(pp, m.f32(g), pvel, 5, 0.5, 0.9, 0, 0);
      expect(Array.from(m.get(pvel, 5))).toEqual(Array.from(g));
      expect(worst(m.get(pp, 5), p0.map((v, i) => v - 0.5 * g[i]), 1e-6, 1e-7).ratio).toBeLessThanOrEqual(1);
    });
  });
}
