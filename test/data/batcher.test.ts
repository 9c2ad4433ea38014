import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/data/batcher.js';
import { syntheticClassification } from '../../src/data/synthetic.js';
import { Rng } from '../../src/util/rng.js';
import { DataArgumentError, DataTypeError } from '../../src/data/errors.js';

const ds = syntheticClassification({ n: 17, dim: 5, classes: 3, seed: 4 });

describe('Batcher', () => {
  it('same seed → same sequence of epoch orders; fresh permutation each epoch', () => {
    const a = new Batcher(ds, 4, new Rng(42));
    const b = new Batcher(ds, 4, new Rng(42));
    const e1 = a.epochOrder();
    const e2 = a.epochOrder();
    expect(Array.from(b.epochOrder())).toEqual(Array.from(e1));
    expect(Array.from(b.epochOrder())).toEqual(Array.from(e2));
    expect(Array.from(e2)).not.toEqual(Array.from(e1));
    expect(Array.from(new Batcher(ds, 4, new Rng(43)).epochOrder())).not.toEqual(Array.from(e1));
  });

  it('every index exactly once per epoch, across the batches', () => {
    for (const n of [1, 3, 17, 65, 255]) {
      const d = syntheticClassification({ n, dim: 2, classes: 2, seed: n });
      for (const bs of [1, 3, n]) {
        if (bs > n) continue;
        const bt = new Batcher(d, bs, new Rng(n + bs));
        expect(bt.batchesPerEpoch).toBe(Math.ceil(n / bs));
        const seen = new Int32Array(n);
        let batches = 0;
        for (const idx of bt.epoch()) {
          batches++;
          expect(idx.length).toBe(batches < bt.batchesPerEpoch ? bs : n - bs * (bt.batchesPerEpoch - 1));
          for (const i of idx) seen[i]++;
        }
        expect(batches).toBe(bt.batchesPerEpoch);
        expect(Array.from(seen).every((c) => c === 1)).toBe(true);
      }
    }
  });

  it('dropLast drops the partial batch; shuffle=false is the identity', () => {
    const bt = new Batcher(ds, 4, new Rng(1), { dropLast: true });
    expect(bt.batchesPerEpoch).toBe(4);
    const sizes = [...bt.epoch()].map((b) => b.length);
    expect(sizes).toEqual([4, 4, 4, 4]);
    const keep = new Batcher(ds, 4, new Rng(1));
    expect([...keep.epoch()].map((b) => b.length)).toEqual([4, 4, 4, 4, 1]);
    const seq = new Batcher(ds, 5, new Rng(1), { shuffle: false });
    expect(Array.from(seq.epochOrder())).toEqual(Array.from({ length: 17 }, (_, i) => i));
    expect(Array.from(seq.batch(seq.epochOrder(), 3))).toEqual([15, 16]);
  });

  it('gather copies rows and labels into caller views (e.g. at an offset in a larger buffer)', () => {
    const bt = new Batcher(ds, 4, new Rng(3));
    const mem = new ArrayBuffer(4096);
    const xOut = new Float32Array(mem, 64, 4 * 5);
    const yOut = new Int32Array(mem, 1024, 4);
    const idx = [16, 0, 7, 7];
    bt.gather(idx, xOut, yOut);
    idx.forEach((i, j) => {
      expect(Array.from(xOut.subarray(j * 5, j * 5 + 5))).toEqual(Array.from(ds.x.subarray(i * 5, i * 5 + 5)));
      expect(yOut[j]).toBe(ds.y[i]);
    });
    expect(new Float32Array(mem, 0, 16).every((v) => v === 0)).toBe(true); // nothing written before the view
    // A short last batch into full-size buffers leaves the tail alone.
    xOut.fill(-1);
    bt.gather(new Int32Array([2]), xOut, yOut);
    expect(Array.from(xOut.subarray(0, 5))).toEqual(Array.from(ds.x.subarray(10, 15)));
    expect(xOut[5]).toBe(-1);
  });

  it('rejects bad batch sizes and bad gather arguments by name', () => {
    const rng = new Rng(0);
    expect(() => new Batcher(ds, 0, rng)).toThrow(/^batchSize: must be an integer in \[1,/);
    expect(() => new Batcher(ds, -3, rng)).toThrow(DataArgumentError);
    expect(() => new Batcher(ds, 2.5, rng)).toThrow(/batchSize/);
    expect(() => new Batcher(ds, 18, rng)).toThrow(/batchSize: 18 is larger than the 17 samples of synthetic/);
    expect(() => new Batcher(ds, 4, {} as Rng)).toThrow(DataTypeError);
    expect(() => new Batcher({ ...ds, y: new Int32Array(3) }, 4, rng)).toThrow(/dataset\.y: length 3 ≠ n = 17/);
    const bt = new Batcher(ds, 4, rng);
    const x = new Float32Array(20), y = new Int32Array(4);
    expect(() => bt.gather([0, 17], x, y)).toThrow(/indices\[1\]: must be an integer in \[0, 17\), got 17/);
    expect(() => bt.gather([0, -1], x, y)).toThrow(/indices\[1\]/);
    expect(() => bt.gather([0, 1, 2, 3, 4], x, new Int32Array(5))).toThrow(/xOut: length 20 is too short for 5 samples of 5 floats/);
    expect(() => bt.gather([0, 1], x, new Int32Array(1))).toThrow(/yOut: length 1 is too short for 2 labels/);
    expect(() => bt.gather([0], new Float64Array(5) as unknown as Float32Array, y)).toThrow(/xOut: must be a Float32Array/);
    expect(() => bt.batch(bt.epochOrder(), 5)).toThrow(/^b: must be an integer in \[0, 4\]/);
  });

  it('MNIST-sized LB batches: 10% of 60000 is fine, 100000 is an error', () => {
    const big = { name: 'mnist-like', x: new Float32Array(60000), y: new Int32Array(60000), n: 60000, shape: [1], classes: 10 };
    expect(new Batcher(big, 6000, new Rng(0)).batchesPerEpoch).toBe(10);
    expect(() => new Batcher(big, 100000, new Rng(0))).toThrow(/batchSize: 100000 is larger than the 60000 samples of mnist-like/);
  });
});
