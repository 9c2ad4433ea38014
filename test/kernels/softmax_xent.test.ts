import { describe, expect, it, beforeAll, afterEach } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Mem, countCorrectRef, finiteDiff, softmaxXentRef, worst } from '../ref/nn.js';
import { rand } from '../ref/rng.js';

// Tolerances. The kernel evaluates log-sum-exp in f64 from the f32 logits, like the
// reference, so the loss sum agrees to rtol 1e-12. Probabilities and dlogits are
// rounded to f32 a few times: rtol 1e-6 with atol 1e-7·|scale| (tiny probabilities).
// Gradient vs central finite differences (h = 1e-5) of the f64 loss: rtol 1e-5, atol 1e-7.
const SIZES = [1, 3, 17, 65, 255];
const CLASSES = [1, 3, 10, 17, 65, 100];

function labelsFor(rows: number, classes: number, seed: number): Int32Array {
  const r = rand(rows, seed);
  return Int32Array.from(r, (v) => Math.min(classes - 1, Math.floor((v + 1) / 2 * classes)));
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`softmax cross-entropy (${build})`, () => {
    let k: Kernels;
    let m: Mem;
    beforeAll(async () => { k = await loadKernels({ build }); m = new Mem(k); });
    afterEach(() => { expect(m.brokenGuards()).toEqual([]); m.free(); });

    it('loss, dlogits, probabilities and correct count match the f64 reference (rows 1…255 × classes 1…100)', () => {
      for (const rows of SIZES) for (const classes of CLASSES) {
        const logits = rand(rows * classes, rows * 101 + classes).map((v) => v * 5);
        const labels = labelsFor(rows, classes, rows + classes);
        const scale = 1 / rows;
        const ref = softmaxXentRef(logits, labels, rows, classes, scale);
        const pl = m.f32(logits), plab = m.i32(labels), pd = m.f32(rows * classes), pp = m.f32(rows * classes);
        const what = `${rows}x${classes}`;
        const loss = k.exports.softmax_xent_fwd_bwd_f32(pl, plab, pd, rows, classes, scale);
        expect(Math.abs(loss - ref.loss), `loss ${what}`).toBeLessThanOrEqual(1e-12 * Math.abs(ref.loss) + 1e-12);
        const wd = worst(m.get(pd, rows * classes), ref.dlogits, 1e-6, 1e-7 * scale);
        expect(wd.ratio, `dlogits ${what} at ${wd.at}: ${wd.got} vs ${wd.want}`).toBeLessThanOrEqual(1);
        expect(Math.abs(k.exports.softmax_xent_fwd_f32(pl, plab, rows, classes) - ref.loss), `fwd loss ${what}`)
          .toBeLessThanOrEqual(1e-12 * Math.abs(ref.loss) + 1e-12);
        k.exports.softmax_f32(pl, pp, rows, classes);
        const wp = worst(m.get(pp, rows * classes), ref.probs, 1e-6, 1e-7);
        expect(wp.ratio, `probs ${what} at ${wp.at}`).toBeLessThanOrEqual(1);
        expect(k.exports.count_correct_f32(pl, plab, rows, classes), `correct ${what}`).toBe(countCorrectRef(logits, labels, rows, classes));
        expect(m.brokenGuards()).toEqual([]);
        m.free();
      }
    });

    it('dlogits may alias logits; softmax probs may alias logits', () => {
      const rows = 17, classes = 10;
      const logits = rand(rows * classes, 5), labels = labelsFor(rows, classes, 6);
      const ref = softmaxXentRef(logits, labels, rows, classes, 0.5);
      const pl = m.f32(logits);
      const loss = k.exports.softmax_xent_fwd_bwd_f32(pl, m.i32(labels), pl, rows, classes, 0.5);
      expect(Math.abs(loss - ref.loss)).toBeLessThanOrEqual(1e-12 * ref.loss);
      expect(worst(m.get(pl, rows * classes), ref.dlogits, 1e-6, 1e-7).ratio).toBeLessThanOrEqual(1);
      const pl2 = m.f32(logits);
      k.exports.softmax_f32(pl2, pl2, rows, classes);
      expect(worst(m.get(pl2, rows * classes), ref.probs, 1e-6, 1e-7).ratio).toBeLessThanOrEqual(1);
    });

    it('is numerically stable for logits of ±1e4 (no overflow, no NaN, exact log-sum-exp)', () => {
      const rows = 3, classes = 5;
      const logits = new Float32Array([
        1e4, -1e4, 0, 1e4, 9999,     // two tied maxima
        -1e4, -1e4, -1e4, -1e4, -1e4, // all equal, very negative
        -1e4, 1e4, -1e4, -1e4, -1e4,  // confident and wrong for label 0
      ]);
      const labels = new Int32Array([4, 2, 0]);
      const ref = softmaxXentRef(logits, labels, rows, classes, 1);
      const pd = m.f32(rows * classes);
      const loss = k.exports.softmax_xent_fwd_bwd_f32(m.f32(logits), m.i32(labels), pd, rows, classes, 1);
      expect(Number.isFinite(loss)).toBe(true);
      // row 0: lse = 1e4 + log(2 + e⁻¹), loss = lse − 9999; row 1: log 5; row 2: 2e4.
      expect(Math.abs(loss - ref.loss)).toBeLessThanOrEqual(1e-12 * ref.loss);
      expect(Math.abs(ref.loss - (1 + Math.log(2 + Math.exp(-1)) + Math.log(5) + 2e4))).toBeLessThan(1e-9);
      const d = m.get(pd, rows * classes);
      expect(d.every(Number.isFinite)).toBe(true);
      expect(worst(d, ref.dlogits, 1e-6, 1e-7).ratio).toBeLessThanOrEqual(1);
    });

    it('count_correct_f32 breaks ties towards the lowest index', () => {
      const logits = new Float32Array([1, 3, 3, 0, /**/ 2, 2, 2, 2, /**/ -1, -1, 5, 5]);
      expect(k.exports.count_correct_f32(m.f32(logits), m.i32([1, 0, 2]), 3, 4)).toBe(3);
      expect(k.exports.count_correct_f32(m.f32(logits), m.i32([2, 3, 3]), 3, 4)).toBe(0);
    });

    it('dlogits equal central finite differences of scale·Σ loss (f64)', () => {
      const rows = 3, classes = 7, scale = 1 / 3;
      const logits = rand(rows * classes, 42).map((v) => 2 * v), labels = labelsFor(rows, classes, 43);
      const pd = m.f32(rows * classes);
      k.exports.softmax_xent_fwd_bwd_f32(m.f32(logits), m.i32(labels), pd, rows, classes, scale);
      const fd = finiteDiff((z) => scale * softmaxXentRef(z, labels, rows, classes).loss, logits);
      const w = worst(m.get(pd, rows * classes), fd, 1e-5, 1e-7);
      expect(w.ratio, `at ${w.at}: ${w.got} vs ${w.want}`).toBeLessThanOrEqual(1);
    });
  });
}
