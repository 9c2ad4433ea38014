// Tile- and block-boundary tests for gemm_f32, in the style of XNNPACK's GEMM "tile-size
// tests": every dimension at MR/NR/KC/MC/NC and one either side, all four transposes, both
// builds, against the f64 reference. Raw-export cases put guard bytes around C and the
// workspace to catch writes outside what the kernel owns.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { gemmRef } from '../ref/gemm.js';
import { rand } from '../ref/rng.js';

interface Case { tA: boolean; tB: boolean; M: number; N: number; K: number; alpha?: number; beta?: number; pad?: number; nanC?: boolean }

const name = (c: Case) => `${c.tA ? 'T' : 'N'}${c.tB ? 'T' : 'N'} M=${c.M} N=${c.N} K=${c.K} alpha=${c.alpha ?? 1} beta=${c.beta ?? 0}${c.pad ? ` pad=${c.pad}` : ''}${c.nanC ? ' NaN-in-C' : ''}`;

/** Runs one case through k.sgemm and returns a description of the first mismatch, or ''. */
function mismatch(k: Kernels, c: Case): string {
  const { tA, tB, M, N, K } = c;
  const alpha = c.alpha ?? 1, beta = c.beta ?? 0, pad = c.pad ?? 0;
  const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  const A = k.f32((tA ? K : M) * lda), B = k.f32((tB ? N : K) * ldb), C = k.f32(M * ldc);
  k.view(A).set(rand(A.length, 3 * M + 5 * K + 1));
  k.view(B).set(rand(B.length, 7 * N + 11 * K + 2));
  k.view(C).set(rand(C.length, M + N + K + 3));
  if (c.nanC) for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) k.view(C)[i * ldc + j] = NaN;
  const C0 = Float64Array.from(k.view(C));
  const ref = Float64Array.from(C0);
  gemmRef(tA, tB, M, N, K, alpha, k.view(A), lda, k.view(B), ldb, beta, ref, ldc);
  // f32 rounding bound: scales with K and the magnitudes summed, not the (cancelled) result.
  const bound = new Float64Array(C.length);
  gemmRef(tA, tB, M, N, K, Math.abs(alpha), Float64Array.from(k.view(A), Math.abs), lda, Float64Array.from(k.view(B), Math.abs), ldb, 0, bound, ldc);
  k.sgemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const out = k.view(C);
  let first = '';
  for (let i = 0; i < M && !first; i++) {
    for (let j = 0; j < ldc; j++) {
      const idx = i * ldc + j;
      if (j >= N) {
        if (!Object.is(out[idx], Math.fround(C0[idx]))) { first = `padding C[${i},${j}] was written`; break; }
        continue;
      }
      const tol = Math.max(1e-5, 1.2e-7 * K) * bound[idx] + (beta === 0 ? 0 : 1e-6 * Math.abs(beta * C0[idx])) + 1e-30;
      if (!(Math.abs(out[idx] - ref[idx]) <= tol)) { first = `C[${i},${j}] = ${out[idx]}, reference ${ref[idx]} (tol ${tol})`; break; }
    }
  }
  k.free(A); k.free(B); k.free(C);
  return first;
}

const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`gemm_f32 tile and block boundaries (${build})`, () => {
    let k: Kernels;
    let MR = 0, NR = 0, KC = 0, MC = 0, NC = 0;
    beforeAll(async () => {
      k = await loadKernels({ build });
      const e = k.exports;
      [MR, NR, KC, MC, NC] = [e.gemm_f32_mr(), e.gemm_f32_nr(), e.gemm_f32_kc(), e.gemm_f32_mc(), e.gemm_f32_nc()];
    });

    const run = (cases: Case[]) => {
      const bad = cases.map((c) => [name(c), mismatch(k, c)]).filter(([, m]) => m);
      expect(bad, bad.map(([n, m]) => `${n}: ${m}`).join('\n')).toEqual([]);
    };

    it('exposes sane blocking constants', () => {
      expect(k.info.build).toBe(build);
      for (const v of [MR, NR, KC, MC, NC]) expect(Number.isInteger(v) && v > 0).toBe(true);
      expect(NR % 4).toBe(0); // f32x4 columns
      expect(MC % MR).toBe(0);
      expect(NC % NR).toBe(0);
    });

    for (const [tA, tB] of TRANS) {
      const tn = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;

      it(`${tn}: M and N at the register tile (MR±1, NR±1, 2·MR±1) with K = 1, 2, 3, 17`, () => {
        const cases: Case[] = [];
        const ms = [1, MR - 1, MR, MR + 1, 2 * MR - 1, 2 * MR + 1].filter((v) => v >= 1);
        const ns = [1, NR - 1, NR, NR + 1, 2 * NR - 1, 2 * NR + 1].filter((v) => v >= 1);
        for (const M of ms) for (const N of ns) for (const K of [1, 2, 3, 17]) cases.push({ tA, tB, M, N, K });
        run(cases);
      });

      it(`${tn}: K at the K block (KC-1, KC, KC+1, 2·KC+1) with edge tiles`, () => {
        const cases: Case[] = [];
        for (const K of [KC - 1, KC, KC + 1, 2 * KC + 1]) {
          cases.push({ tA, tB, M: MR, N: NR, K }, { tA, tB, M: MR + 1, N: NR - 1, K });
          // beta must be applied once, by the first K block only.
          cases.push({ tA, tB, M: MR + 3, N: NR + 3, K, alpha: -0.75, beta: 0.5 });
          cases.push({ tA, tB, M: 3, N: 5, K, beta: 0, nanC: true });
        }
        run(cases);
      });

      it(`${tn}: M at the M block (MC-1, MC, MC+1) and N at the N block (NC-1, NC, NC+1)`, () => {
        const cases: Case[] = [];
        for (const M of [MC - 1, MC, MC + 1]) cases.push({ tA, tB, M, N: NR + 1, K: 9 }, { tA, tB, M, N: 3, K: 4, alpha: 2, beta: -1 });
        for (const N of [NC - 1, NC, NC + 1]) cases.push({ tA, tB, M: MR + 1, N, K: 7 }, { tA, tB, M: 2, N, K: 3, alpha: 0.5, beta: 1 });
        run(cases);
      });

      it(`${tn}: larger than one cache block in every dimension (MC+MR+1 × NC+NR+1 × KC+3), beta ≠ 0, padded ld`, () => {
        run([{ tA, tB, M: MC + MR + 1, N: NC + NR + 1, K: KC + 3, alpha: 1.25, beta: -0.5, pad: 5 }]);
      });
    }

    it('beta = 0 across several K blocks and edge tiles never reads C (NaN stays out)', () => {
      run([
        { tA: false, tB: false, M: MR + 1, N: NR + 1, K: 2 * KC + 1, nanC: true },
        { tA: true, tB: true, M: MC + 1, N: 2 * NR + 3, K: KC + 1, nanC: true, pad: 2 },
      ]);
    });

    it('alpha = 0 does not read A or B (NaN in A) and scales C by beta', () => {
      const M = MR + 1, N = NR + 2, K = 5;
      const A = k.f32(M * K), B = k.f32(K * N), C = k.f32(M * N);
      k.view(A).fill(NaN); k.view(B).set(rand(K * N, 9)); k.view(C).set(rand(M * N, 10));
      const before = Float32Array.from(k.view(C));
      k.sgemm(false, false, M, N, K, 0, A, K, B, N, 2, C, N);
      expect(Array.from(k.view(C))).toEqual(Array.from(before, (x) => Math.fround(2 * x)));
      k.sgemm(false, false, M, N, K, 0, A, K, B, N, 0, C, N);
      expect(Array.from(k.view(C)).every((x) => Object.is(x, 0))).toBe(true);
    });

    it('workspace size is non-decreasing in M, N (and K ≤ KC) and capped by the K = KC value', () => {
      const ws = k.exports.gemm_f32_workspace_bytes;
      const dims = [1, 2, MR - 1, MR, MR + 1, 17, MC - 1, MC, MC + 1, 300, NC - 1, NC, NC + 1, 2 * NC + 3];
      const ks = [1, 3, KC - 1, KC, KC + 1, 2 * KC - 1, 2 * KC + 1, 5000];
      for (let a = 0; a < dims.length - 1; a++) for (const K of ks) {
        const [d0, d1] = [dims[a], dims[a + 1]];
        expect(ws(d1, 33, K)).toBeGreaterThanOrEqual(ws(d0, 33, K));
        expect(ws(33, d1, K)).toBeGreaterThanOrEqual(ws(33, d0, K));
      }
      const upToKC = ks.filter((K) => K <= KC);
      for (let i = 0; i < upToKC.length - 1; i++) expect(ws(65, 65, upToKC[i + 1])).toBeGreaterThanOrEqual(ws(65, 65, upToKC[i]));
      for (const K of ks) expect(ws(65, 65, K)).toBeLessThanOrEqual(ws(65, 65, KC));
      for (const K of ks) expect(ws(7, 9, K) % 64).toBe(0);
    });

    it('writes nothing outside C and the workspace it asked for (guard bytes, raw exports)', () => {
      const e = k.exports;
      const shapes: [number, number, number, boolean, boolean][] = [
        [1, 1, 1, false, false], [MR + 1, NR + 1, KC + 1, true, false], [MC + 1, NR - 1, 3, false, true],
        [3, NC + 1, 2, true, true], [2 * MR + 3, 2 * NR + 5, 2 * KC + 3, false, false],
      ];
      const GUARD = 64; // floats on each side
      for (const [M, N, K, tA, tB] of shapes) {
        const wsBytes = e.gemm_f32_workspace_bytes(M, N, K);
        expect(wsBytes % 4, 'workspace bytes are whole floats').toBe(0);
        const A = k.f32(M * K), B = k.f32(K * N);
        k.view(A).set(rand(M * K, 21)); k.view(B).set(rand(K * N, 22));
        const Cg = k.f32(M * N + 2 * GUARD), Wg = k.f32(wsBytes / 4 + 2 * GUARD + 16);
        const pC = k.ptr(Cg)! + GUARD * 4;
        // The caller's contract: 64-byte aligned workspace.
        const pW = Math.ceil((k.ptr(Wg)! + GUARD * 4) / 64) * 64;
        const wOff = (pW - k.ptr(Wg)!) / 4;
        k.view(Cg).fill(7.5); k.view(Wg).fill(7.5);
        e.gemm_f32(+tA, +tB, M, N, K, 1, k.ptr(A)!, tA ? M : K, k.ptr(B)!, tB ? K : N, 0, pC, N, pW);
        const c = k.view(Cg), w = k.view(Wg);
        for (let i = 0; i < GUARD; i++) {
          expect(c[i], `C guard before, ${M}x${N}x${K}`).toBe(7.5);
          expect(c[GUARD + M * N + i], `C guard after, ${M}x${N}x${K}`).toBe(7.5);
        }
        for (let i = 0; i < wOff; i++) expect(w[i], `workspace guard before, ${M}x${N}x${K}`).toBe(7.5);
        for (let i = wOff + wsBytes / 4; i < w.length; i++) expect(w[i], `workspace guard after, ${M}x${N}x${K}`).toBe(7.5);
        // And the product itself is right (the NN/TN/... reference on the same data).
        const ref = new Float64Array(M * N);
        gemmRef(tA, tB, M, N, K, 1, k.view(A), tA ? M : K, k.view(B), tB ? K : N, 0, ref, N);
        for (let i = 0; i < M * N; i++) expect(Math.abs(c[GUARD + i] - ref[i])).toBeLessThanOrEqual(1e-5 * K);
        k.free(A); k.free(B); k.free(Cg); k.free(Wg);
      }
    });
  });
}
