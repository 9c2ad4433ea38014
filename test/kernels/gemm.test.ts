import { describe, expect, it, beforeAll } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { gemmRef } from '../ref/gemm.js';
import { rand } from '../ref/rng.js';

// Tolerance: |c - ref| ≤ 1e-5 · (Σ_p |a_ip b_pj|·|alpha| + |beta c|) + 1e-30 — the f32 rounding
// bound scales with K and the magnitudes summed, not with the (possibly cancelled) result.
function check(k: Kernels, tA: boolean, tB: boolean, M: number, N: number, K: number, alpha: number, beta: number, pad = 0) {
  const lda = (tA ? M : K) + pad, ldb = (tB ? K : N) + pad, ldc = N + pad;
  const rowsA = tA ? K : M, rowsB = tB ? N : K;
  const A = k.f32(rowsA * lda), B = k.f32(rowsB * ldb), C = k.f32(M * ldc);
  A.set(rand(A.length, M * 7 + 1)); B.set(rand(B.length, N * 13 + 2)); C.set(rand(C.length, K * 17 + 3));
  const ref = Float64Array.from(C);
  const absA = Float64Array.from(A, Math.abs), absB = Float64Array.from(B, Math.abs);
  const bound = new Float64Array(C.length);
  gemmRef(tA, tB, M, N, K, Math.abs(alpha), absA, lda, absB, ldb, 0, bound, ldc);
  gemmRef(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, ref, ldc);
  const C0 = Float64Array.from(C);
  k.sgemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const Cv = k.view(C);
  let bad = 0, first = '';
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < ldc; j++) {
      const idx = i * ldc + j;
      if (j >= N) { if (Cv[idx] !== Math.fround(C0[idx])) { bad++; first ||= `padding C[${i},${j}] written`; } continue; }
      const tol = 1e-5 * (bound[idx] + Math.abs(beta * C0[idx])) + 1e-30;
      if (!(Math.abs(Cv[idx] - ref[idx]) <= tol)) { bad++; first ||= `C[${i},${j}]=${Cv[idx]} ref=${ref[idx]} tol=${tol}`; }
    }
  }
  k.free(A); k.free(B); k.free(C);
  expect(bad, `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} M=${M} N=${N} K=${K} alpha=${alpha} beta=${beta}: ${first}`).toBe(0);
}

const SIZES = [1, 3, 17, 65, 255, 513];
const TRANS: [boolean, boolean][] = [[false, false], [false, true], [true, false], [true, true]];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`sgemm (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('reports its build', () => { expect(k.info.build).toBe(build); });

    for (const [tA, tB] of TRANS) {
      const name = `${tA ? 'T' : 'N'}${tB ? 'T' : 'N'}`;
      it(`${name}: every M, N, K in {1, 3, 17, 65, 255, 513} (alpha=1, beta=0) — sampled cube`, () => {
        // The full 6³ cube per transpose is 216 cases up to 513³; every size appears in
        // every dimension, paired with every other size at least once.
        for (const M of SIZES) for (const N of SIZES) {
          const K = SIZES[(SIZES.indexOf(M) + SIZES.indexOf(N)) % SIZES.length];
          check(k, tA, tB, M, N, K, 1, 0);
        }
        for (const K of SIZES) check(k, tA, tB, 17, 65, K, 1, 0);
      });
      it(`${name}: alpha/beta cases and padded leading dimensions`, () => {
        for (const [alpha, beta] of [[1, 1], [0.5, -2], [-1.5, 0.25], [0, 1], [0, 0], [2, 0]]) {
          check(k, tA, tB, 33, 19, 7, alpha, beta);
          check(k, tA, tB, 65, 255, 17, alpha, beta, 3);
        }
      });
    }

    it('beta = 0 ignores NaN already in C (BLAS semantics)', () => {
      const A = k.f32(4), B = k.f32(4), C = k.f32(4);
      A.set([1, 2, 3, 4]); B.set([1, 0, 0, 1]); C.fill(NaN);
      k.sgemm(false, false, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2);
      expect(Array.from(k.view(C))).toEqual([1, 2, 3, 4]);
    });

    it('K = 1 (outer product) and large K (1024) with a tiny M', () => {
      check(k, false, false, 64, 64, 1, 1, 0);
      check(k, false, true, 2, 3, 1024, 1, 0);
      check(k, true, false, 1, 1, 4097, 1, 1);
    });
  });
}
