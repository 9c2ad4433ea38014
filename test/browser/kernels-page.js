// Runs the GEMM correctness checks in the browser against an f64 JS reference, for every
// build this browser supports, and publishes the outcome on window.__lbgap.
import { loadKernels, KernelRangeError, KernelTypeError } from '/dist/kernels/index.js';

function rand(n, seed) {
  let s = seed >>> 0; const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0; let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

function check(k, tA, tB, M, N, K, alpha, beta) {
  const lda = tA ? M : K, ldb = tB ? K : N, ldc = N;
  const A = k.f32((tA ? K : M) * lda), B = k.f32((tB ? N : K) * ldb), C = k.f32(M * ldc);
  A.set(rand(A.length, M + 1)); B.set(rand(B.length, N + 2)); C.set(rand(C.length, K + 3));
  const C0 = Float64Array.from(C);
  k.sgemm(tA, tB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
  const a = k.view(A), b = k.view(B), c = k.view(C);
  let worst = 0;
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let acc = 0, mag = 0;
    for (let p = 0; p < K; p++) {
      const x = tA ? a[p * lda + i] : a[i * lda + p], y = tB ? b[j * ldb + p] : b[p * ldb + j];
      acc += x * y; mag += Math.abs(x * y);
    }
    const ref = alpha * acc + (beta === 0 ? 0 : beta * C0[i * ldc + j]);
    const tol = 1e-5 * (Math.abs(alpha) * mag + Math.abs(beta * C0[i * ldc + j])) + 1e-30;
    worst = Math.max(worst, Math.abs(c[i * ldc + j] - ref) / tol);
  }
  k.free(A); k.free(B); k.free(C);
  return worst; // ≤ 1 passes
}

async function run() {
  const results = { builds: {}, errors: [], crossOriginIsolated: self.crossOriginIsolated };
  for (const build of ['simd', 'relaxed-simd']) {
    let k;
    try { k = await loadKernels({ build }); } catch (e) { results.builds[build] = { loaded: false, error: e.message }; continue; }
    let cases = 0, failures = [];
    for (const [tA, tB] of [[false, false], [false, true], [true, false], [true, true]]) {
      for (const [M, N, K] of [[1, 1, 1], [3, 17, 65], [65, 3, 17], [17, 65, 3], [255, 33, 70], [64, 64, 256]]) {
        for (const [alpha, beta] of [[1, 0], [0.5, -2]]) {
          cases++;
          const w = check(k, tA, tB, M, N, K, alpha, beta);
          if (!(w <= 1)) failures.push(`${tA ? 'T' : 'N'}${tB ? 'T' : 'N'} ${M}x${N}x${K} a=${alpha} b=${beta}: ${w}`);
        }
      }
    }
    results.builds[build] = { loaded: true, info: k.info, cases, failures };
  }
  const k = await loadKernels();
  const A = k.f32(6), B = k.f32(6), C = k.f32(4);
  for (const [name, fn, type] of [
    ['lda', () => k.sgemm(false, false, 2, 2, 3, 1, A, 2, B, 2, 0, C, 2), KernelRangeError],
    ['M', () => k.sgemm(false, false, NaN, 2, 3, 1, A, 3, B, 2, 0, C, 2), KernelTypeError],
  ]) {
    try { fn(); results.errors.push({ name, ok: false }); } catch (e) { results.errors.push({ name, ok: e instanceof type && e.argument === name }); }
  }
  return results;
}

run().then((r) => { window.__lbgap = r; }, (e) => { window.__lbgap = { fatal: String(e && e.stack || e) }; });
