// The R-operator kernels (exact Hessian-vector products): batch norm's R-forward and
// R-backward in both modes, the softmax cross-entropy R-backward, max-pool's R-forward and
// the accumulating convolutions — each against an f64 TypeScript reference on awkward sizes,
// both builds. R-ops are directional derivatives, so the references are central differences
// (h = 1e-4, f64; truncation ~1e-8 relative) of the f64 forward/backward references along
// the direction; the accumulating convolutions are checked against y0 + the f64 convolution.
// Tolerance: |got − ref| ≤ 1e-4·(max|ref| + |ref|) (f32 rounding of a few sums of products;
// an error in any term of an R formula is O(1) of max|ref|).
import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { convGeometry } from '../../src/nn/conv_geometry.js';
import { Mem, softmaxXentRef } from '../ref/nn.js';
import { bnBwdRef, bnFwdTrainRef, bnInferRef } from '../ref/batchnorm.js';
import { conv2dBwdDataRef, conv2dBwdFilterRef, conv2dFwdRef, type ConvGeom } from '../ref/conv.js';
import { maxpoolFwdRef } from '../ref/pool.js';
import { rand } from '../ref/rng.js';

const H = 1e-4, EPS = 1e-3;

/** Directional derivative of a vector function by central differences in f64. */
function ddir(f: (t: number) => ArrayLike<number>): Float64Array {
  const a = f(H), b = f(-H);
  return Float64Array.from(a, (v, i) => (v - b[i]) / (2 * H));
}
const along = (a: ArrayLike<number>, d: ArrayLike<number> | null, t: number) => Float64Array.from(a, (v, i) => v + t * (d ? d[i] : 0));

function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, what: string, rtol = 1e-4) {
  let scale = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) {
    const tol = rtol * (scale + Math.abs(ref[i])) + 1e-30;
    if (!(Math.abs(got[i] - ref[i]) <= tol)) expect.fail(`${what}: [${i}] = ${got[i]}, want ${ref[i]} ± ${tol}`);
  }
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`R-operator kernels (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    for (const mode of ['batch', 'running'] as const) {
      it(`batch norm R-forward and R-backward, ${mode} statistics (rows × C awkward, R(x) = 0 too, in place)`, () => {
        for (const [rows, C] of [[1, 3], [3, 1], [17, 4], [65, 17], [255, 8], [5, 65]]) {
          for (const zeroRx of [false, true]) {
            const s = rows * 31 + C;
            const x = rand(rows * C, s).map((v) => 2 + v * 1.5), gamma = rand(C, s + 1).map((v) => v + 0.2), beta = rand(C, s + 2);
            const rx = zeroRx ? null : rand(rows * C, s + 3), vg = rand(C, s + 4), vb = rand(C, s + 5);
            const dy = rand(rows * C, s + 6), rdy = rand(rows * C, s + 7);
            const rm = rand(C, s + 8).map((v) => 0.5 * v), rv = rand(C, s + 9).map((v) => 1.3 + v);
            const batch = mode === 'batch';
            // Forward, backward and their references as functions of (x, γ, β, dy).
            const fwd = (xx: ArrayLike<number>, g: ArrayLike<number>, b: ArrayLike<number>) =>
              batch ? bnFwdTrainRef(xx, g, b, rows, C, EPS).y : bnInferRef(xx, g, b, rm, rv, rows, C, EPS);
            const bwd = (xx: ArrayLike<number>, d: ArrayLike<number>, g: ArrayLike<number>) => {
              if (batch) { const r = bnBwdRef(xx, d, g, rows, C, EPS); return [...r.dx, ...r.dgamma, ...r.dbeta]; }
              const dx = new Float64Array(rows * C), dg = new Float64Array(C), db = new Float64Array(C);
              for (let r = 0; r < rows; r++) for (let c = 0; c < C; c++) {
                const iv = 1 / Math.sqrt(rv[c] + EPS), xh = (xx[r * C + c] - rm[c]) * iv, di = d[r * C + c];
                dx[r * C + c] = g[c] * iv * di; dg[c] += di * xh; db[c] += di;
              }
              return [...dx, ...dg, ...db];
            };
            const ryRef = ddir((t) => fwd(along(x, rx, t), along(gamma, vg, t), along(beta, vb, t)));
            const rbRef = ddir((t) => bwd(along(x, rx, t), along(dy, rdy, t), along(gamma, vg, t)));
            // Kernel inputs: mean/invstd from the training forward, or the running ones.
            const px = m.f32(x), pg = m.f32(gamma), pmean = m.f32(C), pinv = m.f32(C);
            if (batch) k.exports.batchnorm_fwd_train_f32(px, pg, m.f32(beta), m.f32(rows * C), pmean, pinv, m.f32(C), m.f32(C), rows, C, 0.1, EPS);
            else { m.set(pmean, rm); m.set(pinv, Float32Array.from(rv, (v) => 1 / Math.sqrt(v + EPS))); }
            const prx = rx ? m.f32(rx) : 0, pry = rx ? prx : m.f32(rows * C); // R-forward in place over R(x)
            const pstat = m.f32(2 * C), pacc = m.f32(14 * C), pvg = m.f32(vg);
            k.exports.batchnorm_rfwd_f32(px, prx, pg, pvg, m.f32(vb), pmean, pinv, pry, pstat, m.f32(4 * C), rows, C, batch ? 1 : 0);
            expectClose(m.get(pry, rows * C), ryRef, `R(y) rows=${rows} C=${C} ${mode} zeroRx=${zeroRx}`);
            if (rx) m.set(prx, rx); // restore R(x), overwritten in place
            const pdy = m.f32(dy), prdy = m.f32(rdy), prg = m.f32(C), prb = m.f32(C);
            k.exports.batchnorm_rbwd_f32(px, prx, pdy, prdy, pg, pvg, pmean, pinv, pstat, prdy, prg, prb, pacc, rows, C, batch ? 1 : 0);
            const got = [...m.get(prdy, rows * C), ...m.get(prg, C), ...m.get(prb, C)];
            expectClose(got.slice(0, rows * C), rbRef.subarray(0, rows * C), `R(dx) rows=${rows} C=${C} ${mode} zeroRx=${zeroRx}`, 2e-4);
            expectClose(got.slice(rows * C), rbRef.subarray(rows * C), `R(dγ), R(dβ) rows=${rows} C=${C} ${mode} zeroRx=${zeroRx}`);
          }
        }
      });
    }

    it('softmax cross-entropy R-backward = directional derivative of the gradient (rows × classes awkward, in place)', () => {
      for (const [rows, classes] of [[1, 1], [3, 3], [17, 10], [5, 17], [2, 65]]) {
        const z = rand(rows * classes, rows + classes).map((v) => 3 * v), rz = rand(rows * classes, rows * 7 + classes);
        const labels = Int32Array.from({ length: rows }, (_, i) => (i * 5) % classes);
        const scale = 1 / rows;
        const ref = ddir((t) => softmaxXentRef(along(z, rz, t), labels, rows, classes, scale).dlogits);
        const prz = m.f32(rz);
        k.exports.softmax_xent_rbwd_f32(m.f32(z), prz, prz, rows, classes, scale);
        expectClose(m.get(prz, rows * classes), ref, `rows=${rows} classes=${classes}`);
      }
    });

    it('max-pool R-forward gathers R(x) at the forward winners (= directional derivative away from ties)', () => {
      for (const [N, Hh, W, C, K, S, pad] of [[1, 1, 1, 1, 1, 1, 'valid'], [2, 7, 5, 3, 3, 2, 'same'], [1, 8, 9, 17, 2, 2, 'valid'], [3, 5, 5, 4, 3, 1, 'same']] as const) {
        const g = convGeometry(Hh, W, K, K, S, S, pad);
        const geom = { N, H: Hh, W, C, KH: K, KW: K, SH: S, SW: S, padT: g.padT, padL: g.padL, OH: g.OH, OW: g.OW };
        const x = rand(N * Hh * W * C, Hh * 13 + C), rx = rand(x.length, Hh * 17 + C);
        const outCount = N * g.OH * g.OW * C;
        const py = m.f32(outCount), parg = m.i32(new Int32Array(outCount));
        k.exports.maxpool2d_fwd_nhwc(m.f32(x), py, parg, N, Hh, W, C, K, K, S, S, g.padT, g.padL, g.OH, g.OW);
        const pry = m.f32(outCount);
        k.exports.maxpool2d_rfwd_nhwc(m.f32(rx), parg, pry, outCount);
        const ref = ddir((t) => maxpoolFwdRef(along(x, rx, t), geom).y);
        expectClose(m.get(pry, outCount), ref, `pool ${N}×${Hh}×${W}×${C} k${K} s${S} ${pad}`);
      }
    });

    it('accumulating convolutions add conv / convᵀ / corr to their output (pointwise, strided, chunked)', () => {
      const cases: [number, number, number, number, number, number, 'same' | 'valid', number][] = [
        [1, 1, 1, 1, 1, 1, 'valid', 1], [2, 7, 6, 3, 3, 1, 'same', 5], [1, 9, 11, 17, 3, 2, 'valid', 4],
        [1, 8, 8, 65, 1, 1, 'valid', 7], [2, 5, 5, 3, 3, 2, 'same', 3], [2, 17, 17, 255, 5, 1, 'same', 3],
      ];
      for (const [N, Hh, W, C, K, S, pad, OC] of cases) {
        const cg = convGeometry(Hh, W, K, K, S, S, pad);
        const g: ConvGeom = { N, H: Hh, W, C, KH: K, KW: K, OC, SH: S, SW: S, padT: cg.padT, padL: cg.padL, OH: cg.OH, OW: cg.OW };
        const geo = [N, Hh, W, C, K, K, OC, S, S, cg.padT, cg.padL, cg.OH, cg.OW] as const;
        const inN = N * Hh * W * C, outN = N * g.OH * g.OW * OC, wN = K * K * C * OC;
        const x = rand(inN, C + 1), w = rand(wN, C + 2), dy = rand(outN, C + 3);
        const y0 = rand(outN, C + 4), dx0 = rand(inN, C + 5), dw0 = rand(wN, C + 6);
        const work = m.f32(Math.ceil(k.exports.conv2d_workspace_bytes(N, Hh, W, C, K, K, OC, g.OH, g.OW) / 4));
        const px = m.f32(x), pw = m.f32(w), pdy = m.f32(dy);
        const py = m.f32(y0), pdx = m.f32(dx0), pdw = m.f32(dw0);
        k.exports.conv2d_fwd_acc_nhwc(px, pw, py, ...geo, work);
        k.exports.conv2d_bwd_data_acc_nhwc(pdy, pw, pdx, ...geo, work);
        k.exports.conv2d_bwd_filter_acc_nhwc(px, pdy, pdw, ...geo, work);
        const tag = `${N}×${Hh}×${W}×${C} k${K} s${S} ${pad} OC${OC}`;
        expectClose(m.get(py, outN), along(conv2dFwdRef(x, w, null, g), y0, 1), `y += conv ${tag}`, 1e-5);
        expectClose(m.get(pdx, inN), along(conv2dBwdDataRef(dy, w, g), dx0, 1), `dx += convᵀ ${tag}`, 1e-5);
        expectClose(m.get(pdw, wN), along(conv2dBwdFilterRef(x, dy, g), dw0, 1), `dw += corr ${tag}`, 1e-5);
      }
    });
  });
}
