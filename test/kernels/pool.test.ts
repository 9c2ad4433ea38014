import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { convGeometry } from '../../src/nn/conv_geometry.js';
import { Mem, dotRef, finiteDiff, worst } from '../ref/nn.js';
import { maxpoolBwdRef, maxpoolFwdRef, type PoolGeom } from '../ref/pool.js';
import { rand } from '../ref/rng.js';

// Max pooling selects and copies values: forward output and argmax must equal the
// reference exactly; backward sums at most KH·KW values per cell in f32 (the reference
// in f64): rtol 1e-6, atol 1e-7. FD (h = 1e-4 on inputs whose values are ≥ 1e-2 apart,
// so no window's winner changes): rtol 1e-5, atol 1e-6.

type Case = [N: number, H: number, W: number, C: number, K: number, S: number, pad: 'same' | 'valid'];
const CASES: Case[] = [
  [1, 1, 1, 1, 1, 1, 'valid'],
  [1, 3, 3, 3, 3, 2, 'same'],    // C2/C1 shape: 3×3 stride 2 'same'
  [2, 17, 17, 5, 3, 2, 'same'],
  [1, 17, 17, 3, 2, 2, 'valid'],
  [2, 8, 8, 8, 2, 2, 'valid'],   // C2: 2×2 stride 2
  [1, 17, 13, 17, 5, 1, 'same'], // overlapping windows, big padding
  [1, 9, 9, 65, 3, 3, 'valid'],
  [3, 3, 5, 255, 3, 2, 'same'],
  [1, 5, 5, 4, 5, 1, 'valid'],   // window = whole image
  [1, 6, 7, 3, 1, 2, 'same'],    // 1×1 window, stride 2
];

function geom([N, H, W, C, K, S, pad]: Case): PoolGeom {
  const g = convGeometry(H, W, K, K, S, S, pad);
  return { N, H, W, C, KH: K, KW: K, SH: S, SW: S, padT: g.padT, padL: g.padL, OH: g.OH, OW: g.OW };
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`max pooling NHWC (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    function run(x: Float32Array, g: PoolGeom, dy?: Float32Array) {
      const outCount = g.N * g.OH * g.OW * g.C, inCount = g.N * g.H * g.W * g.C;
      const py = m.f32(outCount), pa = m.i32(new Int32Array(outCount));
      k.exports.maxpool2d_fwd_nhwc(m.f32(x), py, pa, g.N, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.padT, g.padL, g.OH, g.OW);
      let dx: Float32Array | undefined;
      if (dy) {
        const pdx = m.f32(new Float32Array(inCount).fill(7)); // must be zeroed by the kernel
        k.exports.maxpool2d_bwd_nhwc(m.f32(dy), pa, pdx, outCount, inCount);
        dx = m.get(pdx, inCount);
      }
      return { y: m.get(py, outCount), argmax: m.getI32(pa, outCount), dx };
    }

    it('forward and backward match the reference on awkward shapes (stride 2, same/valid, 1×1 to 5×5, C = 1…255)', () => {
      for (const c of CASES) {
        const g = geom(c);
        const x = rand(g.N * g.H * g.W * g.C, g.H * 13 + g.C), dy = rand(g.N * g.OH * g.OW * g.C, g.C * 7 + 1);
        const got = run(x, g, dy);
        const ref = maxpoolFwdRef(x, g);
        const what = JSON.stringify(c);
        expect(Array.from(got.y), `y ${what}`).toEqual(Array.from(ref.y));
        expect(Array.from(got.argmax), `argmax ${what}`).toEqual(Array.from(ref.argmax));
        const w = worst(got.dx!, maxpoolBwdRef(dy, ref.argmax, x.length), 1e-6, 1e-7);
        expect(w.ratio, `dx ${what} at ${w.at}`).toBeLessThanOrEqual(1);
        expect(m.brokenGuards()).toEqual([]);
        m.free();
      }
    });

    it('padding never wins, even when every in-image value is negative', () => {
      const g = geom([1, 3, 3, 5, 3, 2, 'same']);
      const x = rand(45, 3).map((v) => v - 2); // all < 0, padding would be 0
      const got = run(x, g);
      expect(Array.from(got.y).every((v) => v < 0)).toBe(true);
      expect(Array.from(got.y)).toEqual(Array.from(maxpoolFwdRef(x, g).y));
    });

    it('ties go to the first cell in scan order (SIMD lanes and scalar tail alike)', () => {
      const g = geom([1, 4, 4, 6, 2, 2, 'valid']);
      const x = new Float32Array(4 * 4 * 6).fill(1.5);
      const got = run(x, g);
      // The first cell of window (oh, ow) is (2·oh, 2·ow).
      const want = Array.from({ length: 2 * 2 * 6 }, (_, o) => {
        const c = o % 6, ow = Math.floor(o / 6) % 2, oh = Math.floor(o / 12);
        return ((2 * oh) * 4 + 2 * ow) * 6 + c;
      });
      expect(Array.from(got.argmax)).toEqual(want);
    });

    it('backward accumulates where overlapping windows share a winner', () => {
      // 1-D along W: x = [0, 5, 0], windows of 3 with stride 1 'same' all pick the 5.
      const g = geom([1, 1, 3, 1, 3, 1, 'same']);
      const got = run(new Float32Array([0, 5, 0]), { ...g, KH: 1, SH: 1, padT: 0, OH: 1 }, new Float32Array([1, 2, 4]));
      expect(Array.from(got.dx!)).toEqual([0, 7, 0]);
    });

    it('backward equals central finite differences of Σ dy·maxpool(x) (f64)', () => {
      for (const c of [[1, 5, 5, 3, 3, 2, 'same'], [2, 4, 4, 5, 2, 2, 'valid'], [1, 5, 4, 2, 3, 1, 'same']] as Case[]) {
        const g = geom(c);
        const n = g.N * g.H * g.W * g.C;
        // Distinct values 1e-2 apart (a shuffled ramp), so h = 1e-4 never changes a winner.
        const order = Array.from(rand(n, 5)).map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
        const x = new Float32Array(n);
        order.forEach(([, i], r) => { x[i] = r * 1e-2; });
        const dy = rand(g.N * g.OH * g.OW * g.C, 6);
        const got = run(x, g, dy);
        const fd = finiteDiff((xx) => dotRef(dy, maxpoolFwdRef(xx, g).y), x, 1e-4);
        const w = worst(got.dx!, fd, 1e-5, 1e-6);
        expect(w.ratio, `${JSON.stringify(c)} at ${w.at}: ${w.got} vs ${w.want}`).toBeLessThanOrEqual(1);
      }
    });
  });
}
