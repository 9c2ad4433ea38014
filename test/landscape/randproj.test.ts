import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { RandomSubspace } from '../../src/landscape/randproj.js';
import { randprojApplyRef, randprojApplyTRef, randprojEntryRef, randprojGramRef, randprojMatrixRef } from '../ref/randproj.js';
import { rand } from '../ref/rng.js';

const NS = [1, 3, 17, 65, 255];
const PS = [1, 3, 17];
const SEEDS = [0, 1, 0xdeadbeef];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`random subspace kernels (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('entries are bit-identical to the TS reference (including rows/cols past 2^31)', () => {
      for (const seed of SEEDS) {
        for (const [r, c] of [[0, 0], [1, 0], [0, 1], [12345, 99], [2 ** 31 + 5, 7], [4294967295, 4294967295]]) {
          expect(k.exports.randproj_entry_f32(seed, r, c), `seed ${seed} (${r}, ${c})`).toBe(randprojEntryRef(seed, r, c));
        }
      }
      const sub = new RandomSubspace(k, 10, 4, 77);
      expect(sub.entry(9, 3)).toBe(randprojEntryRef(77, 9, 3));
    });

    it('apply: out = A·y (+ beta·out) matches the materialized A for n ∈ {1,3,17,65,255}, p ∈ {1,3,17}', () => {
      for (const seed of SEEDS) for (const n of NS) for (const p of PS) for (const beta of [0, 0.5]) {
        const A = randprojMatrixRef(seed, n, p);
        const y = k.f32(p), out = k.f32(n);
        y.set(rand(p, n + p)); out.set(rand(n, seed + 3));
        const out0 = Float64Array.from(out);
        const ref = randprojApplyRef(A, n, p, y, beta, out0);
        const bound = randprojApplyRef(A.map(Math.abs), n, p, Float64Array.from(y, Math.abs), Math.abs(beta), out0.map(Math.abs));
        new RandomSubspace(k, n, p, seed).apply(y, out, beta);
        const o = k.view(out);
        for (let i = 0; i < n; i++) {
          // f32 accumulation over p terms: |err| ≤ (p + 1)·2^-24·Σ|a·y| (+ the beta term).
          expect(Math.abs(o[i] - ref[i]), `seed ${seed} n ${n} p ${p} beta ${beta} row ${i}`).toBeLessThanOrEqual((p + 2) * 2 ** -24 * bound[i] + 1e-30);
        }
        k.free(y); k.free(out);
      }
    });

    it('apply with beta = 0 ignores NaN already in out; foreign (non-Wasm) arrays work', () => {
      const n = 17, p = 3;
      const out = new Float32Array(n).fill(NaN), y = Float32Array.of(1, -2, 0.5);
      new RandomSubspace(k, n, p, 5).apply(y, out);
      const ref = randprojApplyRef(randprojMatrixRef(5, n, p), n, p, y);
      for (let i = 0; i < n; i++) expect(out[i]).toBeCloseTo(ref[i], 5);
    });

    it('applyT: out = Aᵀ·g is f64-accumulated (error ≤ one f32 rounding of the exact sum)', () => {
      for (const seed of SEEDS) for (const n of [...NS, 4099]) for (const p of PS) {
        const A = randprojMatrixRef(seed, n, p);
        const g = rand(n, 11 * n + p);
        const ref = randprojApplyTRef(A, n, p, g);
        const out = new Float32Array(p);
        new RandomSubspace(k, n, p, seed).applyT(g, out);
        for (let c = 0; c < p; c++) expect(out[c], `seed ${seed} n ${n} p ${p} col ${c}`).toBe(Math.fround(ref[c]));
      }
    });

    it('gram: AᵀA matches the reference (f64) and is symmetric', () => {
      for (const n of NS) for (const p of PS) {
        const A = randprojMatrixRef(9, n, p);
        const ref = randprojGramRef(A, n, p);
        const G = new RandomSubspace(k, n, p, 9).gram();
        for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
          expect(Math.abs(G[i * p + j] - ref[i * p + j]), `n ${n} p ${p} (${i},${j})`).toBeLessThanOrEqual(1e-13 * 3 * n);
          expect(G[i * p + j]).toBe(G[j * p + i]);
        }
      }
    });

    it('A⁺(A·y) = y (p ≤ n), and A⁺x is the least-squares coefficient vector', () => {
      for (const [n, p] of [[1, 1], [3, 3], [17, 3], [65, 17], [255, 17], [1000, 100]]) {
        const sub = new RandomSubspace(k, n, p, n * 31 + p);
        const y = rand(p, p + 1);
        const ay = new Float32Array(n);
        sub.apply(y, ay);
        const back = sub.pinv(ay);
        // Ay is rounded to f32 and A may be ill-conditioned for n ≈ p, so the tolerance
        // scales with the conditioning of the Gram matrix (n = p is the worst case here).
        const tol = n === p ? 1e-4 : 1e-5;
        for (let j = 0; j < p; j++) expect(Math.abs(back[j] - y[j]), `n ${n} p ${p} j ${j}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(y[j])));
      }
      // Normal equations: Aᵀ(x − A·A⁺x) = 0 for an x outside range(A).
      const n = 65, p = 3, sub = new RandomSubspace(k, n, p, 4);
      const x = rand(n, 8);
      const u = sub.pinv(x);
      const A = randprojMatrixRef(4, n, p);
      const resid = Float64Array.from(x, (xi, i) => xi - (A[i * p] * u[0] + A[i * p + 1] * u[1] + A[i * p + 2] * u[2]));
      const atr = randprojApplyTRef(A, n, p, resid);
      for (const v of atr) expect(Math.abs(v)).toBeLessThan(1e-4);
    });

    it('distribution: mean 0, variance 1, uncorrelated columns (AᵀA/n ≈ I within 5σ)', () => {
      const n = 100000, p = 17;
      const G = new RandomSubspace(k, n, p, 2024).gram();
      for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
        const v = G[i * p + j] / n;
        // σ(diag) = √(Var a² / n) = √(0.8/n); σ(off-diag) = √(1/n).
        if (i === j) expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(0.8 / n));
        else expect(Math.abs(v)).toBeLessThan(5 * Math.sqrt(1 / n));
      }
      const ones = new Float32Array(n).fill(1), colSums = new Float32Array(p);
      new RandomSubspace(k, n, p, 2024).applyT(ones, colSums);
      for (const s of colSums) expect(Math.abs(s / n)).toBeLessThan(5 * Math.sqrt(1 / n));
      // Different seeds give different matrices.
      expect(k.exports.randproj_entry_f32(1, 0, 0)).not.toBe(k.exports.randproj_entry_f32(2, 0, 0));
    });

    it('errors: bad seed, wrong lengths, p > n for the pseudo-inverse, out-of-range entry', () => {
      expect(() => new RandomSubspace(k, 10, 3, -1)).toThrow(expect.objectContaining({ argument: 'seed' }));
      expect(() => new RandomSubspace(k, 10, 3, 2 ** 32)).toThrow(expect.objectContaining({ argument: 'seed' }));
      expect(() => new RandomSubspace(k, 0, 3, 1)).toThrow(expect.objectContaining({ argument: 'n' }));
      expect(() => new RandomSubspace(k, 10, 0, 1)).toThrow(expect.objectContaining({ argument: 'p' }));
      const sub = new RandomSubspace(k, 10, 3, 1);
      expect(() => sub.apply(new Float32Array(2), new Float32Array(10))).toThrow(expect.objectContaining({ argument: 'y' }));
      expect(() => sub.apply(new Float32Array(3), new Float32Array(9))).toThrow(expect.objectContaining({ argument: 'out' }));
      expect(() => sub.applyT(new Float32Array(10), new Float32Array(4))).toThrow(expect.objectContaining({ argument: 'out' }));
      expect(() => sub.entry(10, 0)).toThrow(expect.objectContaining({ argument: 'row' }));
      expect(() => new RandomSubspace(k, 2, 3, 1).pinv(new Float32Array(2))).toThrow(expect.objectContaining({ argument: 'p' }));
    });
  });
}
