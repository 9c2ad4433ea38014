// Batch augmentation: exact pixel shifts and flips against a per-pixel reference, the seeded
// draws, and typed errors.
import { describe, expect, it } from 'vitest';
import { augmentBatch, checkAugment } from '../../src/data/augment.js';
import { DataArgumentError, DataTypeError } from '../../src/data/errors.js';
import { Rng } from '../../src/util/rng.js';
import { shiftFlipRef } from './ref.js';

function images(n: number, H: number, W: number, C: number): Float32Array {
  // Distinct values per pixel and channel so any misplaced copy shows.
  return Float32Array.from({ length: n * H * W * C }, (_, i) => 1 + i);
}

describe('augmentBatch', () => {
  it('a known shift moves every pixel exactly (content down 1, left 2; zeros enter)', () => {
    const H = 4, W = 5, C = 1;
    const x = images(1, H, W, C);
    // Find a seed whose first draws are dy = +1, dx = −2 with shift 2 (rng.int(5) − 2).
    let seed = 0;
    for (; ; seed++) { const r = new Rng(seed); if (r.int(5) - 2 === 1 && r.int(5) - 2 === -2) break; }
    const [t] = augmentBatch(x, 1, [H, W, C], { shift: 2 }, new Rng(seed));
    expect(t).toEqual({ dy: 1, dx: -2, flip: false });
    expect(Array.from(x)).toEqual([
      0, 0, 0, 0, 0,
      3, 4, 5, 0, 0,
      8, 9, 10, 0, 0,
      13, 14, 15, 0, 0,
    ]);
  });

  it('random shifts and flips on awkward sizes match the per-pixel reference', () => {
    for (const [H, W, C] of [[1, 1, 1], [3, 3, 2], [17, 5, 3], [7, 17, 1]]) {
      const n = 9;
      const x = images(n, H, W, C), orig = x.slice();
      const shift = Math.max(0, Math.min(H, W) - 1);
      if (shift === 0) {
        expect(() => augmentBatch(x, n, [H, W, C], { shift: 1 }, new Rng(1))).toThrow(DataArgumentError);
        const done = augmentBatch(x, n, [H, W, C], { flip: true }, new Rng(1));
        expect(x).toEqual(orig); // a 1-pixel-wide image is its own mirror
        expect(done.every((d) => d.dy === 0 && d.dx === 0)).toBe(true);
        continue;
      }
      const done = augmentBatch(x, n, [H, W, C], { shift, flip: true }, new Rng(7));
      const size = H * W * C;
      for (let s = 0; s < n; s++) {
        const { dy, dx, flip } = done[s];
        expect(Math.abs(dy)).toBeLessThanOrEqual(shift);
        expect(Math.abs(dx)).toBeLessThanOrEqual(shift);
        expect(Array.from(x.subarray(s * size, (s + 1) * size))).toEqual(Array.from(shiftFlipRef(orig.subarray(s * size, (s + 1) * size), H, W, C, dy, dx, flip)));
      }
      expect(done.some((d) => d.flip) && done.some((d) => !d.flip)).toBe(true);
    }
  });

  it('is reproducible from the seed and leaves samples past the batch alone', () => {
    const a = images(5, 6, 6, 1), b = a.slice();
    augmentBatch(a, 4, [6, 6, 1], { shift: 3, flip: true }, new Rng(3));
    augmentBatch(b, 4, [6, 6, 1], { shift: 3, flip: true }, new Rng(3));
    expect(a).toEqual(b);
    expect(Array.from(a.subarray(4 * 36))).toEqual(Array.from(images(5, 6, 6, 1).subarray(4 * 36)));
    const c = images(5, 6, 6, 1);
    augmentBatch(c, 4, [6, 6, 1], { shift: 3, flip: true }, new Rng(4));
    expect(c).not.toEqual(a);
  });

  it('bad options and inputs → typed errors naming the argument', () => {
    const x = images(2, 4, 4, 1);
    expect(() => augmentBatch(x, 2, [16], { shift: 1 }, new Rng(0))).toThrow(/augment: needs image samples/);
    expect(() => checkAugment({ shift: 4 }, [4, 4, 1])).toThrow(/augment\.shift/);
    expect(() => checkAugment({ shift: -1 }, [4, 4, 1])).toThrow(DataArgumentError);
    expect(() => checkAugment({ flip: 'yes' }, [4, 4, 1])).toThrow(DataTypeError);
    expect(() => checkAugment({ shift: 1, crop: 3 }, [4, 4, 1])).toThrow(/augment\.crop/);
    expect(() => checkAugment({}, [4, 4, 1])).toThrow(/does nothing/);
    expect(() => augmentBatch(x, 3, [4, 4, 1], { shift: 1 }, new Rng(0))).toThrow(/x: holds 32 floats/);
    expect(() => augmentBatch(x, 0, [4, 4, 1], { shift: 1 }, new Rng(0))).toThrow(/batch/);
  });
});
