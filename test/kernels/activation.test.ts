import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Mem, biasAddRef, biasGradRef, finiteDiff, dotRef, reluBwdRef, reluFwdRef, worst } from '../ref/nn.js';
import { rand } from '../ref/rng.js';

// ReLU is exact (a max or a select): results must equal the reference bit for bit.
// bias_add is one f32 rounding per element: |err| ≤ 2⁻²⁴·|y + b| (checked as rtol 1e-7).
// bias_grad sums in f64 then rounds once: |err| ≤ 2⁻²⁴·|Σ| + rows·2⁻⁵³·Σ|dy| (rtol 1e-7, atol 1e-12).
// Gradients vs central finite differences (h = 1e-5) of the f64 forward: rtol 1e-5, atol 1e-6.
const SIZES = [1, 3, 17, 65, 255];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`ReLU and bias (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    it('relu_fwd_f32 and relu_bwd_f32 equal the reference exactly on 1, 3, 17, 65, 255', () => {
      for (const n of SIZES) {
        const x = rand(n, n), dy = rand(n, n + 100);
        if (n > 2) { x[1] = 0; x[2] = -0; }
        const px = m.f32(x), py = m.f32(n), pdy = m.f32(dy), pdx = m.f32(n);
        k.exports.relu_fwd_f32(px, py, n);
        expect(Array.from(m.get(py, n)), `fwd n=${n}`).toEqual(Array.from(reluFwdRef(x)));
        k.exports.relu_bwd_f32(px, pdy, pdx, n);
        expect(Array.from(m.get(pdx, n)), `bwd n=${n}`).toEqual(Array.from(reluBwdRef(x, dy)));
      }
    });

    it('relu in place: y aliases x, and dx aliases dy', () => {
      const n = 65, x = rand(n, 9), dy = rand(n, 10);
      const px = m.f32(x);
      k.exports.relu_fwd_f32(px, px, n);
      expect(Array.from(m.get(px, n))).toEqual(Array.from(reluFwdRef(x)));
      const px2 = m.f32(x), pdy = m.f32(dy);
      k.exports.relu_bwd_f32(px2, pdy, pdy, n);
      expect(Array.from(m.get(pdy, n))).toEqual(Array.from(reluBwdRef(x, dy)));
    });

    it('relu_fwd_f32 propagates NaN (body and tail) instead of clipping it to 0', () => {
      const x = new Float32Array([NaN, 1, -1, 2, NaN]);
      const p = m.f32(x);
      k.exports.relu_fwd_f32(p, p, 5);
      const y = m.get(p, 5);
      expect(Number.isNaN(y[0]) && Number.isNaN(y[4])).toBe(true);
      expect(Array.from(y.slice(1, 4))).toEqual([1, 0, 2]);
    });

    it('relu_bwd_f32 matches central finite differences of the f64 forward (away from the kink)', () => {
      const n = 17;
      const x = rand(n, 4).map((v) => (Math.abs(v) < 0.01 ? v + 0.05 : v)), dy = rand(n, 5);
      const pdx = m.f32(n);
      k.exports.relu_bwd_f32(m.f32(x), m.f32(dy), pdx, n);
      const fd = finiteDiff((xx) => dotRef(dy, reluFwdRef(xx)), x);
      expect(worst(m.get(pdx, n), fd, 1e-5, 1e-6).ratio).toBeLessThanOrEqual(1);
    });

    it('bias_add_f32 and bias_grad_f32 on rows × cols in {1, 3, 17, 65, 255}²  (sampled)', () => {
      for (const rows of SIZES) for (const cols of SIZES) {
        if (rows * cols > 17 * 255 && rows !== cols) continue;
        const y = rand(rows * cols, rows * 31 + cols), b = rand(cols, cols + 3);
        const py = m.f32(y), pb = m.f32(b);
        k.exports.bias_add_f32(py, pb, rows, cols);
        const w1 = worst(m.get(py, rows * cols), biasAddRef(y, b, rows, cols), 1e-7, 1e-12);
        expect(w1.ratio, `bias_add ${rows}x${cols} at ${w1.at}: ${w1.got} vs ${w1.want}`).toBeLessThanOrEqual(1);
        const pg = m.f32(cols);
        m.set(pg, new Float32Array(cols).fill(NaN)); // overwritten, not accumulated
        k.exports.bias_grad_f32(py, pg, rows, cols);
        const w2 = worst(m.get(pg, cols), biasGradRef(m.get(py, rows * cols), rows, cols), 1e-7, 1e-12);
        expect(w2.ratio, `bias_grad ${rows}x${cols} at ${w2.at}: ${w2.got} vs ${w2.want}`).toBeLessThanOrEqual(1);
        expect(m.brokenGuards()).toEqual([]);
        m.free();
      }
    });

    it('bias_grad_f32 sums long columns in f64 (1e8 then 4096 ones per column)', () => {
      const rows = 4097, cols = 21;
      const dy = new Float32Array(rows * cols).fill(1);
      for (let c = 0; c < cols; c++) dy[c] = 1e8;
      const pg = m.f32(cols);
      k.exports.bias_grad_f32(m.f32(dy), pg, rows, cols);
      expect(Array.from(m.get(pg, cols))).toEqual(new Array(cols).fill(Math.fround(1e8 + 4096)));
    });

    it('bias_grad_f32 equals central finite differences of Σ dy·(y + bias)', () => {
      const rows = 3, cols = 17;
      const dy = rand(rows * cols, 77), y = rand(rows * cols, 78), b = rand(cols, 79);
      const pg = m.f32(cols);
      k.exports.bias_grad_f32(m.f32(dy), pg, rows, cols);
      const fd = finiteDiff((bb) => dotRef(dy, biasAddRef(y, bb, rows, cols)), b);
      expect(worst(m.get(pg, cols), fd, 1e-5, 1e-6).ratio).toBeLessThanOrEqual(1);
    });
  });
}
