import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Mem, dotRef, dropoutMaskRef, finiteDiff, worst } from '../ref/nn.js';
import { rand } from '../ref/rng.js';

// The mask is integer hashing: it must equal the independent TS implementation bit for
// bit; y = x·mask is one f32 rounding (must equal Math.fround(x·mask)).
// Kept fraction on n = 200 000: binomial σ = √(p(1−p)/n) ≤ 0.0012; we allow 5σ.
// Backward vs finite differences of Σ dy·(x·mask) in f64: rtol 1e-5, atol 1e-6.
const SIZES = [1, 3, 17, 65, 255];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`dropout (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    it('mask equals the reference hash and y = x·mask, on 1, 3, 17, 65, 255 elements', () => {
      for (const n of SIZES) for (const [p, seed, stream] of [[0.5, 1, 0], [0.3, 0xdeadbeef, 7], [0.9, 12345, 0xffffffff]]) {
        const x = rand(n, n + seed);
        const px = m.f32(x), py = m.f32(n), pm = m.f32(n);
        k.exports.dropout_fwd_f32(px, py, pm, n, p, seed, stream);
        const mask = dropoutMaskRef(n, p, seed, stream);
        expect(Array.from(m.get(pm, n)), `mask n=${n} p=${p}`).toEqual(Array.from(mask));
        expect(Array.from(m.get(py, n)), `y n=${n} p=${p}`).toEqual(Array.from(x, (v, i) => Math.fround(v * mask[i])));
      }
    });

    it('is deterministic and independent of n (a prefix call gives the same prefix mask)', () => {
      const x = rand(255, 1);
      const a = m.f32(255), b = m.f32(255), c = m.f32(17), y = m.f32(255), px = m.f32(x);
      k.exports.dropout_fwd_f32(px, y, a, 255, 0.5, 99, 3);
      k.exports.dropout_fwd_f32(px, y, b, 255, 0.5, 99, 3);
      k.exports.dropout_fwd_f32(px, y, c, 17, 0.5, 99, 3);
      expect(Array.from(m.get(a, 255))).toEqual(Array.from(m.get(b, 255)));
      expect(Array.from(m.get(c, 17))).toEqual(Array.from(m.get(a, 17)));
    });

    it('dropout_fwd_at_f32 on shards (awkward split points) reproduces the whole-tensor mask', () => {
      const n = 255, x = rand(n, 4), px = m.f32(x);
      const whole = m.f32(n), y = m.f32(n);
      k.exports.dropout_fwd_f32(px, y, whole, n, 0.3, 77, 5);
      const pieces = m.f32(n), ys = m.f32(n);
      const cuts = [0, 1, 4, 21, 86, 255];
      for (let s = 0; s + 1 < cuts.length; s++) {
        const a = cuts[s], len = cuts[s + 1] - a;
        k.exports.dropout_fwd_at_f32(px + 4 * a, ys + 4 * a, pieces + 4 * a, len, 0.3, 77, 5, a);
      }
      expect(Array.from(m.get(pieces, n))).toEqual(Array.from(m.get(whole, n)));
      expect(Array.from(m.get(ys, n))).toEqual(Array.from(m.get(y, n)));
      // and the reference agrees when started at an offset
      const tail = m.f32(17);
      k.exports.dropout_fwd_at_f32(px, m.f32(17), tail, 17, 0.3, 77, 5, 200);
      expect(Array.from(m.get(tail, 17))).toEqual(Array.from(dropoutMaskRef(217, 0.3, 77, 5).slice(200)));
    });

    it('different seeds and different streams give different masks', () => {
      const n = 255, px = m.f32(rand(n, 2)), y = m.f32(n);
      const masks = [[1, 0], [2, 0], [1, 1]].map(([seed, stream]) => {
        const pm = m.f32(n);
        k.exports.dropout_fwd_f32(px, y, pm, n, 0.5, seed, stream);
        return m.get(pm, n);
      });
      const differ = (a: Float32Array, b: Float32Array) => a.reduce((s, v, i) => s + (v !== b[i] ? 1 : 0), 0);
      // Independent masks at p = 0.5 differ in ≈ n/2 places.
      expect(differ(masks[0], masks[1])).toBeGreaterThan(n / 4);
      expect(differ(masks[0], masks[2])).toBeGreaterThan(n / 4);
    });

    it('keeps a fraction ≈ 1 − p, with kept values 1/(1 − p)', () => {
      const n = 200_000;
      const px = m.f32(new Float32Array(n).fill(1)), py = m.f32(n), pm = m.f32(n);
      for (const p of [0.1, 0.5, 0.7]) {
        k.exports.dropout_fwd_f32(px, py, pm, n, p, 2024, 1);
        const mask = m.get(pm, n);
        const scale = Math.fround(1 / (1 - Math.fround(p)));
        let kept = 0, other = 0;
        for (const v of mask) { if (v === scale) kept++; else if (v !== 0) other++; }
        expect(other, `p=${p}: mask values other than 0 and 1/(1-p)`).toBe(0);
        const sigma = Math.sqrt(p * (1 - p) / n);
        expect(Math.abs(kept / n - (1 - p)), `p=${p}`).toBeLessThanOrEqual(5 * sigma);
      }
    });

    it('p = 0 keeps everything unscaled; p = 1 drops everything without Inf or NaN', () => {
      const x = rand(17, 3), px = m.f32(x), py = m.f32(17), pm = m.f32(17);
      k.exports.dropout_fwd_f32(px, py, pm, 17, 0, 5, 5);
      expect(Array.from(m.get(py, 17))).toEqual(Array.from(x));
      k.exports.dropout_fwd_f32(px, py, pm, 17, 1, 5, 5);
      expect(Array.from(m.get(pm, 17)).every((v) => v === 0)).toBe(true);
      expect(Array.from(m.get(py, 17)).every((v) => v === 0)).toBe(true);
    });

    it('y may alias x; dropout_bwd_f32 = dy·mask (dx may alias dy) and matches finite differences', () => {
      const n = 65, x = rand(n, 8), dy = rand(n, 9);
      const px = m.f32(x), pm = m.f32(n);
      k.exports.dropout_fwd_f32(px, px, pm, n, 0.4, 11, 2);
      const mask = m.get(pm, n);
      expect(Array.from(m.get(px, n))).toEqual(Array.from(x, (v, i) => Math.fround(v * mask[i])));
      const pdy = m.f32(dy), pdx = m.f32(n);
      k.exports.dropout_bwd_f32(pdy, pm, pdx, n);
      const fd = finiteDiff((xx) => dotRef(dy, xx.map((v, i) => v * mask[i])), x);
      expect(worst(m.get(pdx, n), fd, 1e-5, 1e-6).ratio).toBeLessThanOrEqual(1);
      k.exports.dropout_bwd_f32(pdy, pm, pdy, n);
      expect(Array.from(m.get(pdy, n))).toEqual(Array.from(m.get(pdx, n)));
    });
  });
}
