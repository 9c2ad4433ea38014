// Winograd F(2×2, 3×3) convolutions (assembly/winograd.ts) against the f64 direct reference, on
// awkward sizes: 1, 3, 17, 65 channels in and out, odd and tiny images (a tile half outside),
// 'same', 'valid' and uneven explicit paddings.
//
// Tolerance. Winograd computes the same sums through transforms with entries 0, ±½, ±1: the
// transformed operands G g Gᵀ and Bᵀ d B grow values (|Bᵀ d B| ≤ 4·max|d| per entry) before
// they cancel again in Aᵀ · A, so its rounding error could exceed the direct sum's. We test it
// against the SAME bound as the im2col path (test/kernels/conv2d.test.ts): |err| ≤ 1e-5·Σ|x|·|w|
// (backward-data Σ|dy|·|w|, backward-filter Σ|x|·|dy|), and print the worst ratio seen, err /
// (1e-5·Σ|terms|), so the margin is on record (README, "Winograd convolutions").
import { describe, expect, it, beforeAll, afterEach, afterAll } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { convGeometry } from '../../src/nn/conv_geometry.js';
import { Conv2dKernels } from '../../src/kernels/bindings/conv2d.js';
import { Mem, dotRef, finiteDiff, worst } from '../ref/nn.js';
import { conv2dBwdDataRef, conv2dBwdFilterRef, conv2dFwdRef, type ConvGeom } from '../ref/conv.js';
import { rand } from '../ref/rng.js';

const WINO_TOL = 1e-5;

type Case = [N: number, H: number, W: number, C: number, OC: number, pad: 'same' | 'valid' | [number, number, number, number]];
// [padT, padL, OH, OW] explicit: the kernels take top/left padding and the output size.
const CASES: Case[] = [
  [1, 1, 1, 1, 1, 'same'],           // one pixel: the tile is mostly padding
  [2, 3, 3, 3, 3, 'valid'],          // one output pixel per image
  [1, 5, 7, 3, 17, 'same'],
  [2, 7, 5, 17, 3, 'same'],
  [1, 9, 11, 17, 17, 'valid'],       // odd output: half tiles at bottom and right
  [1, 6, 6, 65, 17, 'same'],
  [2, 5, 9, 17, 65, 'same'],
  [1, 4, 5, 65, 65, [2, 0, 6, 3]],   // 'full' rows, 'valid' columns
  [1, 8, 7, 1, 65, [0, 2, 5, 7]],
  [3, 17, 16, 3, 1, 'same'],
  [1, 17, 17, 65, 3, [1, 1, 16, 15]], // bottom/right padding smaller than top/left
];

function geom([N, H, W, C, OC, pad]: Case): ConvGeom {
  if (Array.isArray(pad)) return { N, H, W, C, KH: 3, KW: 3, OC, SH: 1, SW: 1, padT: pad[0], padL: pad[1], OH: pad[2], OW: pad[3] };
  const g = convGeometry(H, W, 3, 3, 1, 1, pad);
  return { N, H, W, C, KH: 3, KW: 3, OC, SH: 1, SW: 1, padT: g.padT, padL: g.padL, OH: g.OH, OW: g.OW };
}

const abs = (a: ArrayLike<number>) => Float64Array.from(a, Math.abs);

/** Worst |got − ref| / (1e-5 · bound) (1e-30 floor for exact zeros). */
function worstRatio(got: Float32Array, ref: Float64Array, bound: Float64Array): { ratio: number; at: number } {
  let ratio = 0, at = -1;
  for (let i = 0; i < got.length; i++) {
    const r = Math.abs(got[i] - ref[i]) / (1e-5 * bound[i] + 1e-30);
    if (!(r <= ratio)) { ratio = r; at = i; }
  }
  return { ratio, at };
}

const seen = { fwd: 0, bwdData: 0, bwdFilter: 0 };

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`conv2d Winograd F(2×2, 3×3) (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    const wgeo = (g: ConvGeom) => [g.N, g.H, g.W, g.C, g.OC, g.padT, g.padL, g.OH, g.OW] as const;
    function work(g: ConvGeom): number {
      const bytes = k.exports.conv2d_winograd_f2x3_workspace_bytes(g.N, g.H, g.W, g.C, g.OC, g.OH, g.OW);
      return m.f32(Math.ceil(bytes / 4)); // guard cells catch an overrun
    }
    function fwd(x: Float32Array, w: Float32Array, b: Float32Array | null, g: ConvGeom, ws = work(g)) {
      const py = m.f32(new Float32Array(g.N * g.OH * g.OW * g.OC).fill(NaN));
      k.exports.conv2d_winograd_f2x3_fwd_nhwc(m.f32(x), m.f32(w), b ? m.f32(b) : 0, py, ...wgeo(g), ws);
      return m.get(py, g.N * g.OH * g.OW * g.OC);
    }
    function bwdData(dy: Float32Array, w: Float32Array, g: ConvGeom, ws = work(g)) {
      const pdx = m.f32(new Float32Array(g.N * g.H * g.W * g.C).fill(NaN));
      k.exports.conv2d_winograd_f2x3_bwd_data_nhwc(m.f32(dy), m.f32(w), pdx, ...wgeo(g), ws);
      return m.get(pdx, g.N * g.H * g.W * g.C);
    }
    function bwdFilter(x: Float32Array, dy: Float32Array, g: ConvGeom, ws = work(g)) {
      const pdw = m.f32(new Float32Array(9 * g.C * g.OC).fill(NaN));
      k.exports.conv2d_winograd_f2x3_bwd_filter_nhwc(m.f32(x), m.f32(dy), pdw, ...wgeo(g), ws);
      return m.get(pdw, 9 * g.C * g.OC);
    }
    function check(got: Float32Array, ref: Float64Array, bound: Float64Array, what: string, key: keyof typeof seen) {
      const r = worstRatio(got, ref, bound);
      seen[key] = Math.max(seen[key], r.ratio);
      if (!(r.ratio <= WINO_TOL / 1e-5)) expect.fail(`${what}: [${r.at}] = ${got[r.at]}, want ${ref[r.at]} ± ${WINO_TOL * bound[r.at]} (${r.ratio.toFixed(2)} × 1e-5·bound)`);
    }

    for (const c of CASES) {
      it(`fwd, bwd_data, bwd_filter within ${WINO_TOL}·Σ|terms| of the f64 reference: N,H,W,C,OC,pad = ${c.join(',')}`, () => {
        const g = geom(c);
        const x = rand(g.N * g.H * g.W * g.C, g.H + 31 * g.C), w = rand(9 * g.C * g.OC, g.OC + 7);
        const b = rand(g.OC, 3), dy = rand(g.N * g.OH * g.OW * g.OC, g.OC * 5 + 1);
        check(fwd(x, w, b, g), conv2dFwdRef(x, w, b, g), conv2dFwdRef(abs(x), abs(w), abs(b), g), 'fwd', 'fwd');
        check(fwd(x, w, null, g), conv2dFwdRef(x, w, null, g), conv2dFwdRef(abs(x), abs(w), null, g), 'fwd (no bias)', 'fwd');
        check(bwdData(dy, w, g), conv2dBwdDataRef(dy, w, g), conv2dBwdDataRef(abs(dy), abs(w), g), 'bwd_data', 'bwdData');
        check(bwdFilter(x, dy, g), conv2dBwdFilterRef(x, dy, g), conv2dBwdFilterRef(abs(x), abs(dy), g), 'bwd_filter', 'bwdFilter');
      });
    }

    it('gradients equal central finite differences of Σ dy·conv(x, w) in f64', () => {
      for (const c of [[1, 4, 5, 3, 2, 'same'], [2, 5, 4, 2, 3, 'valid'], [1, 3, 3, 5, 4, [2, 1, 5, 3]]] as Case[]) {
        const g = geom(c);
        const x = rand(g.N * g.H * g.W * g.C, 1), w = rand(9 * g.C * g.OC, 2), dy = rand(g.N * g.OH * g.OW * g.OC, 4);
        const L = (xx: ArrayLike<number>, ww: ArrayLike<number>) => dotRef(dy, conv2dFwdRef(xx, ww, null, g));
        let r = worst(bwdData(dy, w, g), finiteDiff((xx) => L(xx, w), x, 1e-3), 1e-5, 1e-5);
        expect(r.ratio, `dx ${c.join(',')} at ${r.at}: ${r.got} vs ${r.want}`).toBeLessThanOrEqual(1);
        r = worst(bwdFilter(x, dy, g), finiteDiff((ww) => L(x, ww), w, 1e-3), 1e-5, 1e-5);
        expect(r.ratio, `dw ${c.join(',')} at ${r.at}: ${r.got} vs ${r.want}`).toBeLessThanOrEqual(1);
      }
    });

    it('a workspace sized for batch N serves every batch ≤ N, over several chunks (guard cells intact)', () => {
      // 16 channels in and out: 512 tiles per chunk, so batch 4 of 24×32 (768 tiles) takes 2 chunks.
      const big = geom([4, 24, 32, 16, 16, 'same']);
      const bytes = k.exports.conv2d_winograd_f2x3_workspace_bytes(big.N, big.H, big.W, big.C, big.OC, big.OH, big.OW);
      expect(k.exports.winograd_f2x3_chunk_tiles(16, 16, 768)).toBe(512);
      for (const N of [4, 3, 1]) {
        const g = { ...big, N }, ws = m.f32(Math.ceil(bytes / 4)), n = N * 24 * 32 * 16;
        const x = rand(n, N), w = rand(9 * 16 * 16, 2), dy = rand(n, 3);
        check(fwd(x, w, null, g, ws), conv2dFwdRef(x, w, null, g), conv2dFwdRef(abs(x), abs(w), null, g), `fwd N=${N}`, 'fwd');
        check(bwdData(dy, w, g, ws), conv2dBwdDataRef(dy, w, g), conv2dBwdDataRef(abs(dy), abs(w), g), `bwd_data N=${N}`, 'bwdData');
        check(bwdFilter(x, dy, g, ws), conv2dBwdFilterRef(x, dy, g), conv2dBwdFilterRef(abs(x), abs(dy), g), `bwd_filter N=${N}`, 'bwdFilter');
        expect(m.brokenGuards()).toEqual([]);
        m.free();
      }
    });

    it('conv2d_*_nhwc take the Winograd path exactly where conv2d_winograd_f2x3_pays says so (same bits)', () => {
      const ex = k.exports;
      for (const c of [[2, 8, 8, 32, 32, 'same'], [1, 9, 7, 3, 32, 'same'], [2, 6, 6, 64, 16, 'valid']] as Case[]) {
        const g = geom(c);
        const pays = ex.conv2d_winograd_f2x3_pays(g.N, g.C, g.OC, g.OH, g.OW) === 1;
        const x = rand(g.N * g.H * g.W * g.C, 5), w = rand(9 * g.C * g.OC, 6), b = rand(g.OC, 7), dy = rand(g.N * g.OH * g.OW * g.OC, 8);
        const px = m.f32(x), pw = m.f32(w), pb = m.f32(b), pdy = m.f32(dy);
        const ws = m.f32(Math.ceil(ex.conv2d_workspace_bytes(g.N, g.H, g.W, g.C, 3, 3, g.OC, g.OH, g.OW) / 4));
        const y = m.f32(g.N * g.OH * g.OW * g.OC), dx = m.f32(g.N * g.H * g.W * g.C), dw = m.f32(9 * g.C * g.OC);
        const geo = [g.N, g.H, g.W, g.C, 3, 3, g.OC, 1, 1, g.padT, g.padL, g.OH, g.OW] as const;
        ex.conv2d_fwd_nhwc(px, pw, pb, y, ...geo, ws);
        ex.conv2d_bwd_data_nhwc(pdy, pw, dx, ...geo, ws);
        ex.conv2d_bwd_filter_nhwc(px, pdy, dw, ...geo, ws);
        const wy = fwd(x, w, b, g), wdx = bwdData(dy, w, g), wdw = bwdFilter(x, dy, g);
        const same = (a: Float32Array, bb: Float32Array) => a.every((v, i) => Object.is(v, bb[i]));
        expect(same(m.get(y, wy.length), wy), `fwd ${c.join(',')}`).toBe(pays);
        expect(same(m.get(dx, wdx.length), wdx), `bwd_data ${c.join(',')}`).toBe(pays);
        expect(same(m.get(dw, wdw.length), wdw), `bwd_filter ${c.join(',')}`).toBe(pays);
      }
      expect(ex.conv2d_winograd_f2x3_pays(64, 64, 64, 32, 32)).toBe(1);
      expect(ex.conv2d_winograd_f2x3_pays(64, 3, 64, 32, 32)).toBe(0);
    });

    it("the nn conv layer's bindings (Conv2dKernels) run a C2-shaped 3×3 layer by Winograd (same bits), its workspace covering it", () => {
      const g = geom([3, 8, 8, 32, 48, 'same']);
      const conv = new Conv2dKernels(k.exports, { H: g.H, W: g.W, C: g.C, KH: 3, KW: 3, OC: g.OC, SH: 1, SW: 1, padT: g.padT, padL: g.padL, OH: g.OH, OW: g.OW });
      const x = rand(g.N * g.H * g.W * g.C, 11), w = rand(9 * g.C * g.OC, 12), b = rand(g.OC, 13), dy = rand(g.N * g.OH * g.OW * g.OC, 14);
      const ws = m.f32(Math.ceil(conv.workspaceBytes(g.N) / 4));
      const y = m.f32(g.N * g.OH * g.OW * g.OC), dx = m.f32(x.length), dw = m.f32(w.length);
      const px = m.f32(x), pw = m.f32(w), pdy = m.f32(dy);
      conv.forward(px, pw, m.f32(b), y, g.N, ws);
      conv.backwardData(pdy, pw, dx, g.N, ws);
      conv.backwardFilter(px, pdy, dw, g.N, ws);
      const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
      expect(bits(m.get(y, g.N * g.OH * g.OW * g.OC))).toEqual(bits(fwd(x, w, b, g)));
      expect(bits(m.get(dx, x.length))).toEqual(bits(bwdData(dy, w, g)));
      expect(bits(m.get(dw, w.length))).toEqual(bits(bwdFilter(x, dy, g)));
    });
  });
}

afterAll(() => {
  // The margin under the stated tolerance, for the README's accuracy figure.
  console.log(`Winograd worst |err| / (1e-5·Σ|terms|): fwd ${seen.fwd.toFixed(3)}, bwd_data ${seen.bwdData.toFixed(3)}, bwd_filter ${seen.bwdFilter.toFixed(3)} (limit ${WINO_TOL / 1e-5})`);
});
