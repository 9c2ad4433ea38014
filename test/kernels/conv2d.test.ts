import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { KernelRangeError, KernelTypeError } from '../../src/kernels/errors.js';
import { convGeometry } from '../../src/nn/conv_geometry.js';
import { Mem, dotRef, finiteDiff, worst } from '../ref/nn.js';
import { conv2dBwdDataRef, conv2dBwdFilterRef, conv2dFwdRef, im2colRef, type ConvGeom } from '../ref/conv.js';
import { biasGradRef } from '../ref/nn.js';
import { rand } from '../ref/rng.js';

// Tolerances. Each output is an f32 sum of products (GEMM): |err| ≤ 1e-5·Σ|terms| + 1e-30,
// where Σ|terms| is the same convolution on absolute values (as in the GEMM test);
// this bound scales with the number of terms summed, not the (cancelled) result.
// Gradients vs central finite differences of the f64 forward (linear in each argument,
// h = 1e-3): rtol 1e-5, atol 1e-5.

type Case = [N: number, H: number, W: number, C: number, K: number, S: number, pad: 'same' | 'valid', OC: number];
const CASES: Case[] = [
  [1, 1, 1, 1, 1, 1, 'valid', 1],
  [1, 3, 3, 3, 3, 1, 'same', 3],
  [2, 17, 17, 3, 5, 1, 'same', 17],    // C1's first conv shape, smaller
  [1, 17, 17, 5, 5, 2, 'same', 6],
  [2, 9, 11, 17, 3, 2, 'valid', 5],
  [1, 8, 8, 65, 1, 1, 'valid', 7],     // pointwise: x is the column matrix
  [2, 7, 7, 3, 1, 2, 'same', 65],      // 1×1 stride 2: not pointwise
  [1, 5, 5, 1, 5, 1, 'valid', 255],    // window = whole image
  [3, 6, 5, 4, 3, 1, 'same', 8],
  [2, 17, 17, 255, 5, 1, 'same', 3],   // K = 6375: column buffer split into chunks, last one partial
];

function geom([N, H, W, C, K, S, pad, OC]: Case): ConvGeom {
  const g = convGeometry(H, W, K, K, S, S, pad);
  return { N, H, W, C, KH: K, KW: K, OC, SH: S, SW: S, padT: g.padT, padL: g.padL, OH: g.OH, OW: g.OW };
}

const abs = (a: ArrayLike<number>) => Float64Array.from(a, Math.abs);

function expectBound(got: Float32Array, ref: Float64Array, bound: Float64Array, what: string) {
  for (let i = 0; i < got.length; i++) {
    const tol = 1e-5 * bound[i] + 1e-30;
    if (!(Math.abs(got[i] - ref[i]) <= tol)) expect.fail(`${what}: [${i}] = ${got[i]}, want ${ref[i]} ± ${tol}`);
  }
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`conv2d NHWC via im2col + GEMM (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    function work(g: ConvGeom): number {
      const bytes = k.exports.conv2d_workspace_bytes(g.N, g.H, g.W, g.C, g.KH, g.KW, g.OC, g.OH, g.OW);
      return m.f32(Math.ceil(bytes / 4)); // guard cells catch a kernel overrunning its workspace
    }
    const geo = (g: ConvGeom) => [g.N, g.H, g.W, g.C, g.KH, g.KW, g.OC, g.SH, g.SW, g.padT, g.padL, g.OH, g.OW] as const;

    function fwd(x: Float32Array, w: Float32Array, b: Float32Array | null, g: ConvGeom) {
      const py = m.f32(new Float32Array(g.N * g.OH * g.OW * g.OC).fill(NaN)); // write-only
      k.exports.conv2d_fwd_nhwc(m.f32(x), m.f32(w), b ? m.f32(b) : 0, py, ...geo(g), work(g));
      return m.get(py, g.N * g.OH * g.OW * g.OC);
    }
    function bwdData(dy: Float32Array, w: Float32Array, g: ConvGeom) {
      const pdx = m.f32(new Float32Array(g.N * g.H * g.W * g.C).fill(NaN)); // overwritten
      k.exports.conv2d_bwd_data_nhwc(m.f32(dy), m.f32(w), pdx, ...geo(g), work(g));
      return m.get(pdx, g.N * g.H * g.W * g.C);
    }
    function bwdFilter(x: Float32Array, dy: Float32Array, g: ConvGeom) {
      const pdw = m.f32(new Float32Array(g.KH * g.KW * g.C * g.OC).fill(NaN)); // overwritten
      k.exports.conv2d_bwd_filter_nhwc(m.f32(x), m.f32(dy), pdw, ...geo(g), work(g));
      return m.get(pdw, g.KH * g.KW * g.C * g.OC);
    }

    for (const c of CASES) {
      it(`fwd, bwd_data, bwd_filter match the f64 reference: N,H,W,C,K,S,pad,OC = ${c.join(',')}`, () => {
        const g = geom(c);
        const x = rand(g.N * g.H * g.W * g.C, g.H + 31 * g.C), w = rand(g.KH * g.KW * g.C * g.OC, g.OC + 7);
        const b = rand(g.OC, 3), dy = rand(g.N * g.OH * g.OW * g.OC, g.OC * 5 + 1);
        expectBound(fwd(x, w, b, g), conv2dFwdRef(x, w, b, g), conv2dFwdRef(abs(x), abs(w), abs(b), g), 'fwd');
        expectBound(fwd(x, w, null, g), conv2dFwdRef(x, w, null, g), conv2dFwdRef(abs(x), abs(w), null, g), 'fwd (no bias)');
        expectBound(bwdData(dy, w, g), conv2dBwdDataRef(dy, w, g), conv2dBwdDataRef(abs(dy), abs(w), g), 'bwd_data');
        expectBound(bwdFilter(x, dy, g), conv2dBwdFilterRef(x, dy, g), conv2dBwdFilterRef(abs(x), abs(dy), g), 'bwd_filter');
      });
    }

    it('gradients equal central finite differences of Σ dy·conv(x, w) + bias in f64 (x, w and bias)', () => {
      for (const c of [[1, 4, 5, 3, 3, 2, 'same', 2], [2, 4, 4, 2, 2, 1, 'valid', 3], [1, 3, 3, 5, 1, 1, 'valid', 2]] as Case[]) {
        const g = geom(c);
        const x = rand(g.N * g.H * g.W * g.C, 1), w = rand(g.KH * g.KW * g.C * g.OC, 2), b = rand(g.OC, 3);
        const dy = rand(g.N * g.OH * g.OW * g.OC, 4);
        const L = (xx: ArrayLike<number>, ww: ArrayLike<number>, bb: ArrayLike<number>) => dotRef(dy, conv2dFwdRef(xx, ww, bb, g));
        const what = c.join(',');
        let r = worst(bwdData(dy, w, g), finiteDiff((xx) => L(xx, w, b), x, 1e-3), 1e-5, 1e-5);
        expect(r.ratio, `dx ${what} at ${r.at}: ${r.got} vs ${r.want}`).toBeLessThanOrEqual(1);
        r = worst(bwdFilter(x, dy, g), finiteDiff((ww) => L(x, ww, b), w, 1e-3), 1e-5, 1e-5);
        expect(r.ratio, `dw ${what} at ${r.at}: ${r.got} vs ${r.want}`).toBeLessThanOrEqual(1);
        // conv2d_bias_grad is bias_grad_f32 over rows = N·OH·OW.
        const pdb = m.f32(g.OC);
        k.exports.bias_grad_f32(m.f32(dy), pdb, g.N * g.OH * g.OW, g.OC);
        r = worst(m.get(pdb, g.OC), finiteDiff((bb) => L(x, w, bb), b, 1e-3), 1e-5, 1e-5);
        expect(r.ratio, `dbias ${what}`).toBeLessThanOrEqual(1);
        expect(Array.from(m.get(pdb, g.OC))).toEqual(Array.from(biasGradRef(dy, g.N * g.OH * g.OW, g.OC), Math.fround));
      }
    });

    it('im2col_nhwc equals the reference exactly on awkward shapes and row ranges', () => {
      for (const c of CASES.slice(0, 9)) {
        const g = geom(c);
        const K = g.KH * g.KW * g.C, total = g.N * g.OH * g.OW;
        const x = rand(g.N * g.H * g.W * g.C, 21), px = m.f32(x);
        for (const [row0, rows] of [[0, total], [1, Math.max(0, total - 2)], [total - 1, 1]]) {
          const pcol = m.f32(new Float32Array(rows * K).fill(NaN));
          k.exports.im2col_nhwc(px, pcol, g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.padT, g.padL, g.OH, g.OW, row0, rows);
          expect(Array.from(m.get(pcol, rows * K)), `${c.join(',')} rows ${row0}+${rows}`).toEqual(Array.from(im2colRef(x, g, row0, rows)));
        }
      }
    });

    it('col2im_nhwc is the adjoint of im2col_nhwc: ⟨im2col(x), c⟩ = ⟨x, col2im(c)⟩ (row ranges, padding)', () => {
      const g = geom([2, 5, 6, 3, 3, 2, 'same', 1]);
      const K = g.KH * g.KW * g.C, row0 = 3, rows = g.N * g.OH * g.OW - 4;
      const x = rand(g.N * g.H * g.W * g.C, 8), col = rand(rows * K, 9);
      const pcol = m.f32(rows * K), pdx = m.f32(x.length);
      const args = [g.H, g.W, g.C, g.KH, g.KW, g.SH, g.SW, g.padT, g.padL, g.OH, g.OW, row0, rows] as const;
      k.exports.im2col_nhwc(m.f32(x), pcol, ...args);
      k.exports.col2im_nhwc(m.f32(col), pdx, ...args);
      const lhs = dotRef(m.get(pcol, rows * K), col), rhs = dotRef(x, m.get(pdx, x.length));
      expect(Math.abs(lhs - rhs)).toBeLessThanOrEqual(1e-5 * (Math.abs(lhs) + 1));
    });

    it('conv2d_workspace_bytes(N) covers the column chunk and every GEMM of every batch ≤ N', () => {
      const e = k.exports;
      const align = (b: number) => Math.ceil(b / 64) * 64;
      for (const c of [...CASES, [40, 32, 32, 3, 5, 1, 'same', 64], [9, 16, 16, 64, 5, 1, 'same', 64], [7, 8, 8, 512, 3, 1, 'same', 512], [300, 1, 1, 784, 1, 1, 'valid', 512]] as Case[]) {
        const g = geom(c);
        const K = g.KH * g.KW * g.C, have = e.conv2d_workspace_bytes(g.N, g.H, g.W, g.C, g.KH, g.KW, g.OC, g.OH, g.OW);
        const pointwise = g.KH === 1 && g.KW === 1 && g.SH === 1 && g.SW === 1 && g.padT === 0 && g.padL === 0 && g.OH === g.H && g.OW === g.W;
        for (let n = 1; n <= g.N; n++) {
          const total = n * g.OH * g.OW;
          let need = 0;
          if (pointwise) {
            need = Math.max(e.gemm_f32_workspace_bytes(total, g.OC, K), e.gemm_f32_workspace_bytes(total, K, g.OC), e.gemm_f32_workspace_bytes(K, g.OC, total));
          } else {
            const R = e.conv2d_chunk_rows(total, K);
            for (let r0 = 0; r0 < total; r0 += R) {
              const mm = Math.min(R, total - r0);
              const gemm = Math.max(e.gemm_f32_workspace_bytes(mm, g.OC, K), e.gemm_f32_workspace_bytes(mm, K, g.OC), e.gemm_f32_workspace_bytes(K, g.OC, mm));
              need = Math.max(need, align(R * K * 4) + gemm);
            }
          }
          if (need > have) expect.fail(`${c.join(',')}: batch ${n} needs ${need} bytes, conv2d_workspace_bytes(${g.N}) gave ${have}`);
        }
      }
    });

    it('conv2d_workspace_bytes is 0 for an empty batch; bwd_filter then zeroes dw and bwd_data leaves nothing to write', () => {
      const g = { ...geom([1, 3, 3, 2, 3, 1, 'same', 2]), N: 0 };
      expect(k.exports.conv2d_workspace_bytes(0, 3, 3, 2, 3, 3, 2, 3, 3)).toBe(0);
      const pdw = m.f32(new Float32Array(3 * 3 * 2 * 2).fill(NaN));
      k.exports.conv2d_bwd_filter_nhwc(m.f32(0), m.f32(0), pdw, ...geo(g), 0);
      expect(Array.from(m.get(pdw, 36)).every((v) => v === 0)).toBe(true);
    });
  });
}

describe('convGeometry (TensorFlow padding rules)', () => {
  it('same: OH = ⌈H/S⌉, the odd padding cell goes to the bottom/right', () => {
    expect(convGeometry(32, 32, 3, 3, 2, 2, 'same')).toEqual({ OH: 16, OW: 16, padT: 0, padL: 0, padB: 1, padR: 1 });
    expect(convGeometry(32, 32, 5, 5, 1, 1, 'same')).toEqual({ OH: 32, OW: 32, padT: 2, padL: 2, padB: 2, padR: 2 });
    expect(convGeometry(4, 7, 2, 2, 1, 1, 'same')).toEqual({ OH: 4, OW: 7, padT: 0, padL: 0, padB: 1, padR: 1 });
    expect(convGeometry(15, 16, 3, 3, 2, 2, 'same')).toEqual({ OH: 8, OW: 8, padT: 1, padL: 0, padB: 1, padR: 1 });
    expect(convGeometry(5, 5, 1, 1, 3, 3, 'same')).toEqual({ OH: 2, OW: 2, padT: 0, padL: 0, padB: 0, padR: 0 });
    expect(convGeometry(1, 1, 5, 5, 1, 1, 'same')).toEqual({ OH: 1, OW: 1, padT: 2, padL: 2, padB: 2, padR: 2 });
  });

  it('valid: OH = ⌈(H − K + 1)/S⌉, no padding', () => {
    expect(convGeometry(32, 32, 5, 5, 1, 1, 'valid')).toEqual({ OH: 28, OW: 28, padT: 0, padL: 0, padB: 0, padR: 0 });
    expect(convGeometry(7, 8, 3, 3, 2, 2, 'valid')).toEqual({ OH: 3, OW: 3, padT: 0, padL: 0, padB: 0, padR: 0 });
    expect(convGeometry(5, 5, 5, 5, 1, 1, 'valid')).toEqual({ OH: 1, OW: 1, padT: 0, padL: 0, padB: 0, padR: 0 });
  });

  it('rejects a window larger than the input with valid padding, naming the argument', () => {
    const e = (() => { try { convGeometry(4, 9, 5, 5, 1, 1, 'valid'); } catch (err) { return err; } })();
    expect(e).toBeInstanceOf(KernelRangeError);
    expect((e as KernelRangeError).argument).toBe('KH');
    expect(() => convGeometry(9, 4, 5, 5, 1, 1, 'valid')).toThrow(/KW/);
  });

  it('rejects non-positive, fractional and non-numeric sizes and unknown padding with typed errors', () => {
    expect(() => convGeometry(0, 4, 1, 1, 1, 1, 'same')).toThrow(KernelRangeError);
    expect(() => convGeometry(4, 4, 1.5, 1, 1, 1, 'same')).toThrow(/KH/);
    expect(() => convGeometry(4, 4, 1, 1, 0, 1, 'same')).toThrow(/SH/);
    expect(() => convGeometry(4, 4, 1, 1, 1, NaN, 'same')).toThrow(KernelTypeError);
    expect(() => convGeometry(4, '4' as unknown as number, 1, 1, 1, 1, 'same')).toThrow(KernelTypeError);
    expect(() => convGeometry(4, 4, 1, 1, 1, 1, 'full' as 'same')).toThrow(/padding/);
  });
});
