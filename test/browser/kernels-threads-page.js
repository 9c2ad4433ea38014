// loadKernels({ threads: 2 }) in the browser: in a cross-origin-isolated page the kernels run on
// the page's thread plus one Worker over a shared memory; in a page that is not isolated (no
// SharedArrayBuffer) they fall back to one thread and say so in k.info. Either way sgemm and the
// conv2d* calls (im2col and Winograd shapes) give the same bits as a one-thread instance, and
// sgemm matches an f64 reference. Publishes the outcome on window.__lbgap.
import { loadKernels } from '/dist/kernels/index.js';

function rand(n, seed) {
  let s = seed >>> 0; const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0; let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1); t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

const sameBits = (a, b) => a.length === b.length && new Uint32Array(a.buffer, a.byteOffset, a.length).every((v, i) => v === new Uint32Array(b.buffer, b.byteOffset, b.length)[i]);

function sgemm(k, M, N, K) {
  const A = rand(M * K, 1), B = rand(K * N, 2), C = new Float32Array(M * N).fill(NaN);
  k.sgemm(false, false, M, N, K, 1, A, K, B, N, 0, C, N);
  return { A, B, C };
}

// Same 'same'-padded geometry rule as src/nn/conv_geometry.ts (stride 1 or 2).
function shape(N, H, W, C, KH, S, OC) {
  const OH = Math.ceil(H / S), OW = Math.ceil(W / S);
  const padT = Math.floor(Math.max((OH - 1) * S + KH - H, 0) / 2), padL = Math.floor(Math.max((OW - 1) * S + KH - W, 0) / 2);
  return { N, H, W, C, KH, KW: KH, OC, SH: S, SW: S, padT, padL, OH, OW };
}

function conv(k, g) {
  const x = rand(g.N * g.H * g.W * g.C, 3), w = rand(g.KH * g.KW * g.C * g.OC, 4), b = rand(g.OC, 5), dy = rand(g.N * g.OH * g.OW * g.OC, 6);
  const y = new Float32Array(dy.length), dx = new Float32Array(x.length), dw = new Float32Array(w.length);
  k.conv2dForward(x, w, b, y, g);
  k.conv2dBackwardData(dy, w, dx, g);
  k.conv2dBackwardFilter(x, dy, dw, g);
  return { y, dx, dw };
}

async function run() {
  const out = { crossOriginIsolated: self.crossOriginIsolated, sharedArrayBuffer: typeof SharedArrayBuffer !== 'undefined', builds: {} };
  const convs = { im2col: shape(2, 15, 13, 8, 5, 1, 24), winograd: shape(3, 14, 11, 24, 3, 1, 32), strided: shape(3, 17, 16, 16, 3, 2, 40) };
  for (const build of ['simd', 'relaxed-simd']) {
    const one = await loadKernels({ build }), two = await loadKernels({ build, threads: 2 });
    const r = { info: two.info, threads: two.threads, winograd: two.winograd(convs.winograd), sameBits: {}, sgemmWorst: 0 };
    const M = 192, N = 160, K = 224;
    const a = sgemm(one, M, N, K), b = sgemm(two, M, N, K);
    r.sameBits.sgemm = sameBits(a.C, b.C);
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let acc = 0, mag = 0;
      for (let p = 0; p < K; p++) { const t = a.A[i * K + p] * a.B[p * N + j]; acc += t; mag += Math.abs(t); }
      r.sgemmWorst = Math.max(r.sgemmWorst, Math.abs(b.C[i * N + j] - acc) / (1e-5 * mag + 1e-30));
    }
    for (const [name, g] of Object.entries(convs)) {
      const p = conv(one, g), q = conv(two, g);
      r.sameBits[name] = ['y', 'dx', 'dw'].every((key) => sameBits(p[key], q[key]));
    }
    two.close();
    out.builds[build] = r;
  }
  return out;
}

run().then((r) => { window.__lbgap = r; }, (e) => { window.__lbgap = { fatal: String(e && e.stack || e) }; });
