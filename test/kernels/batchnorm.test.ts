import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Mem, dotRef, finiteDiff, worst } from '../ref/nn.js';
import { bnBwdRef, bnFwdTrainRef, bnInferRef, bnRunningRef } from '../ref/batchnorm.js';
import { rand } from '../ref/rng.js';

// Tolerances (inputs have mean ≈ 3 and spread ≈ 1, gamma, beta ∈ [−1, 1]).
// Statistics are f64 internally and rounded once to f32: mean, invstd and running stats
// rtol 1e-6 (atol 1e-7 for means near 0). y has a few f32 roundings of magnitude
// ≤ |x|·invstd·|gamma|: atol 2e-5. Backward: dbeta/dgamma rtol 1e-5, atol 1e-5;
// dx (a cancelling difference) atol 2e-5·max|gamma·invstd|·max|dy|·… ≈ 1e-4.
// Gradients vs central finite differences (h = 1e-5) of the f64 forward: rtol 1e-4, atol 1e-5.
const ROWS = [1, 3, 17, 65, 255];
const CS = [1, 3, 4, 8, 17, 23, 65]; // tiles of 8, 4 and single channels
const EPS = 1e-3, MOMENTUM = 0.1;

function data(rows: number, C: number, seed: number) {
  return {
    x: rand(rows * C, seed).map((v) => 3 + v * (1 + (seed % 3))),
    gamma: rand(C, seed + 1).map((v) => v + 0.1),
    beta: rand(C, seed + 2),
    rm: rand(C, seed + 3), rv: rand(C, seed + 4).map((v) => 1.5 + v),
  };
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`batch norm (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    function train(x: Float32Array, gamma: Float32Array, beta: Float32Array, rm: Float32Array, rv: Float32Array, rows: number, C: number, inPlace = false) {
      const px = m.f32(x), py = inPlace ? px : m.f32(rows * C), pmean = m.f32(C), pinv = m.f32(C), prm = m.f32(rm), prv = m.f32(rv);
      k.exports.batchnorm_fwd_train_f32(px, m.f32(gamma), m.f32(beta), py, pmean, pinv, prm, prv, rows, C, MOMENTUM, EPS);
      return { y: m.get(py, rows * C), mean: m.get(pmean, C), invstd: m.get(pinv, C), rm: m.get(prm, C), rv: m.get(prv, C) };
    }

    it('training forward: y, mean, invstd and running stats match the f64 reference (rows × C)', () => {
      for (const rows of ROWS) for (const C of CS) {
        const { x, gamma, beta, rm, rv } = data(rows, C, rows * 7 + C);
        const got = train(x, gamma, beta, rm, rv, rows, C);
        const ref = bnFwdTrainRef(x, gamma, beta, rows, C, Math.fround(EPS));
        const what = `${rows}x${C}`;
        const mom = Math.fround(MOMENTUM);
        for (const [name, g, r, rtol, atol] of [
          ['y', got.y, ref.y, 0, 2e-5],
          ['mean', got.mean, ref.mean, 1e-6, 1e-7],
          ['invstd', got.invstd, ref.invstd, 1e-6, 0],
          ['running_mean', got.rm, bnRunningRef(rm, ref.mean, mom), 1e-6, 1e-7],
          ['running_var', got.rv, bnRunningRef(rv, ref.varU, mom), 1e-6, 1e-7],
        ] as const) {
          const w = worst(g, r, rtol, atol);
          expect(w.ratio, `${name} ${what} at ${w.at}: ${w.got} vs ${w.want}`).toBeLessThanOrEqual(1);
        }
        expect(m.brokenGuards()).toEqual([]);
        m.free();
      }
    });

    it('running_var uses the unbiased variance (rows/(rows−1) × biased)', () => {
      const x = new Float32Array([1, 2, 3, 4]); // one channel, biased var 1.25, unbiased 5/3
      const got = train(x, new Float32Array([1]), new Float32Array([0]), new Float32Array([0]), new Float32Array([1]), 4, 1);
      expect(got.rv[0]).toBeCloseTo(0.9 * 1 + 0.1 * (5 / 3), 6);
      expect(got.invstd[0]).toBeCloseTo(1 / Math.sqrt(1.25 + Math.fround(EPS)), 6);
      expect(got.rm[0]).toBeCloseTo(0.25, 6);
    });

    it('variance is accurate for a large mean and a small spread (two-pass, no cancellation)', () => {
      const rows = 255, C = 5;
      const x = rand(rows * C, 17).map((v) => 1000 + v * 0.01);
      const ref = bnFwdTrainRef(x, new Float32Array(C).fill(1), new Float32Array(C), rows, C, 0);
      const px = m.f32(x), pinv = m.f32(C);
      k.exports.batchnorm_fwd_train_f32(px, m.f32(new Float32Array(C).fill(1)), m.f32(C), m.f32(rows * C), m.f32(C), pinv, m.f32(C), m.f32(C), rows, C, 0.1, 0);
      // E[x²] − E[x]² in f32 would lose every digit here (1e6 vs variance ≈ 3e-5).
      expect(worst(m.get(pinv, C), ref.invstd, 1e-6, 0).ratio).toBeLessThanOrEqual(1);
    });

    it('y may alias x', () => {
      const rows = 17, C = 17, { x, gamma, beta, rm, rv } = data(rows, C, 3);
      const a = train(x, gamma, beta, rm, rv, rows, C);
      const b = train(x, gamma, beta, rm, rv, rows, C, true);
      expect(Array.from(b.y)).toEqual(Array.from(a.y));
    });

    it('inference forward matches the reference and may run in place', () => {
      for (const rows of ROWS) for (const C of CS) {
        const { x, gamma, beta, rm, rv } = data(rows, C, rows + C);
        const py = m.f32(rows * C), px = m.f32(x);
        const args = [m.f32(gamma), m.f32(beta), m.f32(rm), m.f32(rv)] as const;
        k.exports.batchnorm_fwd_infer_f32(px, ...args, py, rows, C, EPS);
        const ref = bnInferRef(x, gamma, beta, rm, rv, rows, C, Math.fround(EPS));
        const w = worst(m.get(py, rows * C), ref, 0, 2e-5);
        expect(w.ratio, `infer ${rows}x${C} at ${w.at}: ${w.got} vs ${w.want}`).toBeLessThanOrEqual(1);
        k.exports.batchnorm_fwd_infer_f32(px, ...args, px, rows, C, EPS);
        expect(Array.from(m.get(px, rows * C))).toEqual(Array.from(m.get(py, rows * C)));
        expect(m.brokenGuards()).toEqual([]);
        m.free();
      }
    });

    function backward(x: Float32Array, dy: Float32Array, gamma: Float32Array, rows: number, C: number, dxAliasesDy = false) {
      const px = m.f32(x), pmean = m.f32(C), pinv = m.f32(C), pg = m.f32(gamma);
      k.exports.batchnorm_fwd_train_f32(px, pg, m.f32(C), m.f32(rows * C), pmean, pinv, m.f32(C), m.f32(C), rows, C, MOMENTUM, EPS);
      const pdy = m.f32(dy), pdx = dxAliasesDy ? pdy : m.f32(rows * C);
      const pdg = m.f32(new Float32Array(C).fill(NaN)), pdb = m.f32(new Float32Array(C).fill(NaN)); // overwritten
      k.exports.batchnorm_bwd_f32(px, pdy, pg, pmean, pinv, pdx, pdg, pdb, rows, C);
      return { dx: m.get(pdx, rows * C), dgamma: m.get(pdg, C), dbeta: m.get(pdb, C) };
    }

    it('backward (through the batch statistics) matches the analytic f64 reference (rows ≥ 3 × C)', () => {
      for (const rows of ROWS.filter((r) => r > 1)) for (const C of CS) {
        const { x, gamma } = data(rows, C, rows * 3 + C);
        const dy = rand(rows * C, rows + 5 * C);
        const got = backward(x, dy, gamma, rows, C);
        const ref = bnBwdRef(x, dy, gamma, rows, C, Math.fround(EPS));
        const what = `${rows}x${C}`;
        for (const [name, g, r, rtol, atol] of [
          ['dx', got.dx, ref.dx, 0, 1e-4],
          ['dgamma', got.dgamma, ref.dgamma, 1e-5, 1e-5],
          ['dbeta', got.dbeta, ref.dbeta, 1e-5, 1e-5],
        ] as const) {
          const w = worst(g, r, rtol, atol);
          expect(w.ratio, `${name} ${what} at ${w.at}: ${w.got} vs ${w.want}`).toBeLessThanOrEqual(1);
        }
        expect(m.brokenGuards()).toEqual([]);
        m.free();
      }
    });

    it('backward equals central finite differences of Σ dy·BN(x; gamma, beta) in f64 (batch statistics included)', () => {
      for (const [rows, C] of [[3, 1], [4, 3], [5, 5]]) {
        const { x, gamma, beta } = data(rows, C, 40 + rows);
        const dy = rand(rows * C, 50 + rows);
        const got = backward(x, dy, gamma, rows, C);
        const eps = Math.fround(EPS);
        const L = (xx: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) => dotRef(dy, bnFwdTrainRef(xx, g, b, rows, C, eps).y);
        const fdx = finiteDiff((xx) => L(xx, gamma, beta), x);
        const fdg = finiteDiff((g) => L(x, g, beta), gamma);
        const fdb = finiteDiff((b) => L(x, gamma, b), beta);
        for (const [name, g, fd] of [['dx', got.dx, fdx], ['dgamma', got.dgamma, fdg], ['dbeta', got.dbeta, fdb]] as const) {
          const w = worst(g, fd, 1e-4, 1e-5);
          expect(w.ratio, `${name} ${rows}x${C} at ${w.at}: ${w.got} vs FD ${w.want}`).toBeLessThanOrEqual(1);
        }
      }
    });

    it('dx may alias dy', () => {
      const rows = 17, C = 65, { x, gamma } = data(rows, C, 9);
      const dy = rand(rows * C, 10);
      const a = backward(x, dy, gamma, rows, C), b = backward(x, dy, gamma, rows, C, true);
      expect(Array.from(b.dx)).toEqual(Array.from(a.dx));
      expect(Array.from(b.dgamma)).toEqual(Array.from(a.dgamma));
    });
  });
}
