import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { BatchNorm } from '../../src/nn/batchnorm.js';
import { ModelInputError, ModelSpecError } from '../../src/nn/errors.js';
import { Model } from '../../src/nn/model.js';
import { resolveSpec, type ModelSpec } from '../../src/nn/spec.js';
import { c1, c2, f1, namedSpec, NET_NAMES, tiny } from '../../src/nn/specs.js';
import type { Dataset } from '../../src/data/dataset.js';
import { rand } from '../ref/rng.js';
import { refLoss } from './ref_model.js';

function specError(spec: unknown): ModelSpecError {
  try { resolveSpec(spec); } catch (e) { if (e instanceof ModelSpecError) return e; throw e; }
  throw new Error('spec was accepted');
}

function dataset(n: number, d: number, classes: number, seed: number): Dataset {
  return { name: 'test-set', x: rand(n * d, seed), y: Int32Array.from({ length: n }, (_, i) => (i * 5 + seed) % classes), n, shape: [d], classes };
}

describe('model specs', () => {
  it('F1 has the paper\'s shape and 1,462,794 parameters', () => {
    const layers = resolveSpec(f1());
    expect(layers.filter((l) => l.type === 'dense').map((l) => l.outShape[0])).toEqual([512, 512, 512, 512, 512, 10]);
    expect(layers.filter((l) => l.type === 'batchnorm')).toHaveLength(5);
    // 784·512+512 + 4·(512·512+512) + 512·10+10 weights/biases + 5·2·512 BN gamma/beta
    expect(784 * 512 + 512 + 4 * (512 * 512 + 512) + 5130 + 5 * 1024).toBe(1462794);
  });

  it('C1 shrinks 32×32 → 16×16 → 8×8 with 3×3/2 same pools; C1-mnist 28 → 14 → 7', () => {
    const l = resolveSpec(c1());
    expect(l.filter((x) => x.type === 'maxpool').map((x) => x.outShape)).toEqual([[16, 16, 64], [8, 8, 64]]);
    expect(l[l.length - 1].outShape).toEqual([10]);
    const m = resolveSpec(namedSpec('C1-mnist'));
    expect(m.filter((x) => x.type === 'maxpool').map((x) => x.outShape)).toEqual([[14, 14, 64], [7, 7, 64]]);
    expect(resolveSpec(namedSpec('C3')).at(-1)!.outShape).toEqual([100]);
  });

  it('C2 is VGG-16 shaped: 13 convs, 5 pools down to 1×1×512', () => {
    const l = resolveSpec(c2());
    expect(l.filter((x) => x.type === 'conv2d').map((x) => x.outShape[2])).toEqual([64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]);
    expect(l.filter((x) => x.type === 'maxpool').at(-1)!.outShape).toEqual([1, 1, 512]);
  });

  it('every named spec resolves; unknown names are an error naming the field', () => {
    for (const n of NET_NAMES) expect(() => resolveSpec(namedSpec(n))).not.toThrow();
    expect(() => namedSpec('F9')).toThrow(ModelSpecError);
    expect(() => namedSpec('F9')).toThrow(/net: unknown network "F9"/);
  });

  it('rejects bad specs naming the bad field', () => {
    expect(specError(null).field).toBe('spec');
    expect(specError({ input: [0], layers: [{ type: 'dense', units: 2 }] }).field).toBe('input');
    expect(specError({ input: [4], layers: [] }).field).toBe('layers');
    expect(specError({ input: [4], layers: [{ type: 'dense', units: 0 }] }).field).toBe('layers[0].units');
    expect(specError({ input: [4], layers: [{ type: 'dense', units: 2.5 }] }).field).toBe('layers[0].units');
    expect(specError({ input: [4], layers: [{ type: 'dense', units: 3 }, { type: 'softmax' }] }).field).toBe('layers[1].type');
    expect(specError({ input: [4], layers: [{ type: 'dense', units: 3, activation: 'relu' }] }).field).toBe('layers[0].activation');
    expect(specError({ input: [4, 4, 1], layers: [{ type: 'dense', units: 3 }] }).message).toMatch(/insert \{"type":"flatten"\}/);
    expect(specError({ input: [4], layers: [{ type: 'conv2d', filters: 2, kernel: 3 }] }).message).toMatch(/needs an \[H, W, C\] input/);
    expect(specError({ input: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernel: 5 }, { type: 'flatten' }, { type: 'dense', units: 2 }] }).field).toBe('layers[0].kernel');
    expect(specError({ input: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernel: 3, padding: 'full' }] }).field).toBe('layers[0].padding');
    expect(specError({ input: [4], layers: [{ type: 'dropout', rate: 1 }, { type: 'dense', units: 2 }] }).field).toBe('layers[0].rate');
    expect(specError({ input: [4], layers: [{ type: 'batchnorm', momentum: 2 }, { type: 'dense', units: 2 }] }).field).toBe('layers[0].momentum');
    expect(specError({ input: [4, 4, 1], layers: [{ type: 'conv2d', filters: 2, kernel: 3 }] }).message).toMatch(/1-D logits/);
    expect(specError({ input: [4], layers: [{ type: 'dense', units: 1 }] }).message).toMatch(/at least 2 classes/);
    expect(specError({ input: [4], layers: [{ type: 'dense', units: 2 }], extra: 1 }).field).toBe('extra');
  });
});

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`Model (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    it('puts all parameters in one vector and all gradients in another; toJSON gives the spec back', () => {
      const m = Model.create(k, tiny(8, 3), { seed: 1 });
      expect(m.numParams).toBe(8 * 32 + 32 + 64 + 32 * 32 + 32 + 32 * 3 + 3);
      expect(m.params.view().length).toBe(m.numParams);
      expect(m.grads.view().length).toBe(m.numParams);
      expect(m.numBuffers).toBe(64);
      expect(m.toJSON()).toEqual(tiny(8, 3));
      expect(Model.create(k, m.toJSON(), { seed: 1 }).params.view()).toEqual(m.params.view());
      m.dispose();
    });

    it('initializes He-normal weights (std √(2/fan_in)), zero biases, BN gamma 1 / beta 0, running var 1', () => {
      const m = Model.create(k, { input: [400], layers: [{ type: 'dense', units: 300 }, { type: 'batchnorm' }, { type: 'dense', units: 2 }] }, { seed: 3 });
      const p = m.params.view();
      const w = p.subarray(0, 400 * 300);
      const mean = w.reduce((a, b) => a + b, 0) / w.length;
      const std = Math.sqrt(w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length);
      expect(Math.abs(mean)).toBeLessThan(0.002);
      expect(std / Math.sqrt(2 / 400)).toBeCloseTo(1, 2);
      expect([...p.subarray(120000, 120300)].every((v) => v === 0)).toBe(true);
      expect([...p.subarray(120300, 120600)].every((v) => v === 1)).toBe(true);
      expect([...p.subarray(120600, 120900)].every((v) => v === 0)).toBe(true);
      const b = m.buffers.view();
      expect([...b.subarray(0, 300)].every((v) => v === 0) && [...b.subarray(300)].every((v) => v === 1)).toBe(true);
      m.dispose();
    });

    it('same seed → identical bits; different seed → different parameters', () => {
      const a = Model.create(k, c1([12, 12, 3], 4), { seed: 9 }), b = Model.create(k, c1([12, 12, 3], 4), { seed: 9 });
      const c = Model.create(k, c1([12, 12, 3], 4), { seed: 10 });
      expect(Buffer.from(a.params.view().buffer, a.params.ptr, a.numParams * 4).equals(Buffer.from(b.params.view().buffer, b.params.ptr, b.numParams * 4))).toBe(true);
      expect(c.params.view()).not.toEqual(a.params.view());
      a.dispose(); b.dispose(); c.dispose();
    });

    it('train mode updates BN running stats (momentum, unbiased variance); eval mode uses them and matches the f64 reference', () => {
      const spec: ModelSpec = { input: [5], layers: [{ type: 'dense', units: 4 }, { type: 'batchnorm', momentum: 0.25 }, { type: 'relu' }, { type: 'dense', units: 3 }] };
      const m = Model.create(k, spec, { seed: 4 });
      const B = 6, x = rand(B * 5, 8), y = Int32Array.from([0, 1, 2, 0, 1, 2]);
      m.lossAndGrad(x, y, B);
      // The dense output feeding BN, recomputed in f64.
      const p = m.params.view();
      const bn = m.layers[1] as BatchNorm;
      expect(bn.C).toBe(4);
      const run = m.buffers.view();
      for (let c = 0; c < 4; c++) {
        const z = Array.from({ length: B }, (_, r) => { let s = p[20 + c]; for (let i = 0; i < 5; i++) s += x[r * 5 + i] * p[i * 4 + c]; return s; });
        const mu = z.reduce((a, b) => a + b, 0) / B;
        const uvar = z.reduce((a, b) => a + (b - mu) ** 2, 0) / (B - 1);
        expect(run[c]).toBeCloseTo(0.25 * mu, 5);
        expect(run[4 + c]).toBeCloseTo(0.75 + 0.25 * uvar, 5);
      }
      const evalLoss = m.loss(x, y, B, { train: false });
      const running = new Map([[1, [run.slice(0, 4), run.slice(4)] as [Float32Array, Float32Array]]]);
      const ref = refLoss(spec, Float64Array.from(m.params.view()), x, y, B, { train: false, running });
      expect(Math.abs(evalLoss - ref)).toBeLessThan(1e-5 * (1 + ref));
      // Eval mode leaves the running stats alone.
      expect(m.buffers.view()).toEqual(run);
      m.dispose();
    });

    it('lossAndGrad is repeatable (same params → same bits) and the first layer\'s input is not modified', () => {
      const m = Model.create(k, { input: [6], layers: [{ type: 'relu' }, { type: 'dense', units: 8 }, { type: 'relu' }, { type: 'dense', units: 3 }] }, { seed: 2 });
      const x = rand(10 * 6, 3), y = Int32Array.from({ length: 10 }, (_, i) => i % 3);
      const l1 = m.lossAndGrad(x, y, 10); const g1 = m.grads.view().slice();
      const xin = new Float32Array(k.memory.buffer, m.inputPointer, 60).slice();
      expect(xin).toEqual(x); // the leading ReLU wrote to its own buffer
      const l2 = m.lossAndGrad(x, y, 10);
      expect(l2).toBe(l1);
      expect(m.grads.view()).toEqual(g1);
      m.dispose();
    });

    it('forward(ptr) + backward(external dlogits) gives the gradients of lossAndGrad and leaves dlogits intact', () => {
      const m = Model.create(k, tiny(6, 4), { seed: 8 });
      const B = 9, x = rand(B * 6, 4), y = Int32Array.from({ length: B }, (_, i) => i % 4);
      m.lossAndGrad(x, y, B);
      const g1 = m.grads.view().slice();
      // Same batch again through the pointer API, with dlogits = (softmax − onehot)/B from JS.
      const logitsPtr = m.forward(m.inputPointer, B, { train: true });
      const logits = new Float32Array(k.memory.buffer, logitsPtr, B * 4).slice();
      const d = k.f32(B * 4);
      for (let r = 0; r < B; r++) {
        const row = Array.from(logits.subarray(r * 4, r * 4 + 4));
        const mx = Math.max(...row), ex = row.map((v) => Math.exp(v - mx)), s = ex.reduce((a, b) => a + b, 0);
        for (let c = 0; c < 4; c++) d[r * 4 + c] = (ex[c] / s - (c === y[r] ? 1 : 0)) / B;
      }
      const before = k.view(d).slice();
      m.backward(k.ptr(d)!);
      expect(k.view(d)).toEqual(before);
      const g2 = m.grads.view();
      const scale = Math.max(...g1.map(Math.abs));
      let worst = 0;
      for (let i = 0; i < g1.length; i++) worst = Math.max(worst, Math.abs(g1[i] - g2[i]));
      expect(worst).toBeLessThan(1e-5 * scale);
      k.free(d); m.dispose();
    });

    it('deterministic training-mode gradients ({dropout: false, updateStats: false}) equal the dropout-free network and leave the model state alone', () => {
      const layers: ModelSpec['layers'] = [{ type: 'dense', units: 12 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3 }];
      const withDrop = Model.create(k, { input: [5], layers }, { seed: 3 });
      const without = Model.create(k, { input: [5], layers: layers.filter((l) => l.type !== 'dropout') }, { seed: 3 });
      expect(withDrop.params.view()).toEqual(without.params.view());
      const B = 7, x = rand(B * 5, 2), y = Int32Array.from({ length: B }, (_, i) => i % 3);
      const stats = withDrop.buffers.view().slice();
      const l1 = withDrop.lossAndGrad(x, y, B, { dropout: false, updateStats: false });
      const g1 = withDrop.grads.view().slice();
      const l2 = withDrop.lossAndGrad(x, y, B, { dropout: false, updateStats: false });
      expect(l2).toBe(l1);
      expect(withDrop.grads.view()).toEqual(g1);
      expect(withDrop.buffers.view()).toEqual(stats);
      expect(withDrop.trainForwards).toBe(0);
      expect(without.lossAndGrad(x, y, B)).toBe(l1);
      expect(without.grads.view()).toEqual(g1);
      expect(without.buffers.view()).not.toEqual(stats); // the default pass does update them
      withDrop.dispose(); without.dispose();
    });

    it('dropout draws a fresh mask every training step and none at evaluation', () => {
      const m = Model.create(k, { input: [6], layers: [{ type: 'dense', units: 64 }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3 }] }, { seed: 2 });
      const x = rand(8 * 6, 3), y = Int32Array.from({ length: 8 }, (_, i) => i % 3);
      const a = m.lossAndGrad(x, y, 8), b = m.lossAndGrad(x, y, 8);
      expect(a).not.toBe(b);
      expect(m.loss(x, y, 8)).toBe(m.loss(x, y, 8));
      expect(m.trainForwards).toBe(2);
      m.dispose();
    });

    it('evaluate in chunks equals one pass; capacity grows and training continues identically', () => {
      const ds = dataset(37, 8, 3, 5);
      const m = Model.create(k, tiny(8, 3), { seed: 6 });
      m.lossAndGrad(ds.x, ds.y, 4); // capacity 4, running stats set
      const whole = m.evaluate(ds, { batchSize: 37 });
      const chunked = m.evaluate(ds, { batchSize: 5 });
      expect(m.capacity).toBe(37);
      expect(chunked.accuracy).toBe(whole.accuracy);
      expect(chunked.n).toBe(37);
      expect(Math.abs(chunked.loss - whole.loss)).toBeLessThan(1e-6 * whole.loss);
      const limited = m.evaluate(ds, { limit: 10 });
      expect(limited.n).toBe(10);
      m.dispose();
    });

    it('evaluate({batchStats}) normalizes with each chunk\'s statistics (Keras BN mode 2) and keeps the running stats', () => {
      const ds = dataset(20, 8, 3, 9);
      const m = Model.create(k, tiny(8, 3), { seed: 6 });
      m.lossAndGrad(ds.x, ds.y, 20);
      const stats = m.buffers.view().slice();
      const a = m.evaluate(ds, { batchStats: true, batchSize: 10 });
      expect(m.buffers.view()).toEqual(stats);
      const first = m.loss(ds.x, ds.y, 10, { train: true, dropout: false, updateStats: false });
      const second = m.loss(ds.x.subarray(80), ds.y.subarray(10), 10, { train: true, dropout: false, updateStats: false });
      expect(a.loss).toBeCloseTo((first + second) / 2, 6);
      expect(m.evaluate(ds).loss).not.toBeCloseTo(a.loss, 3); // running stats differ from batch stats
      m.dispose();
    });

    it('rejects bad inputs with typed errors naming the argument', () => {
      const m = Model.create(k, tiny(8, 3), { seed: 1 });
      const x = rand(4 * 8, 1);
      const err = (f: () => unknown) => { try { f(); } catch (e) { return e as ModelInputError; } throw new Error('accepted'); };
      expect(err(() => m.lossAndGrad(x, Int32Array.from([0, 1, 3, 0]), 4))).toMatchObject({ name: 'ModelInputError', argument: 'y' });
      expect(err(() => m.lossAndGrad(x, Int32Array.from([0, 1, -1, 0]), 4)).message).toMatch(/label -1 at index 2 is outside \[0, 3\)/);
      expect(err(() => m.lossAndGrad(x, new Int32Array(4), 5))).toMatchObject({ argument: 'x' });
      expect(err(() => m.lossAndGrad(x, new Int32Array(4), 0))).toMatchObject({ argument: 'batch' });
      expect(err(() => m.lossAndGrad(x, new Int32Array(4), 2.5))).toMatchObject({ argument: 'batch' });
      expect(err(() => m.lossAndGrad(Array.from(x) as unknown as Float32Array, new Int32Array(4), 4))).toMatchObject({ argument: 'x' });
      expect(err(() => m.forward(m.inputPointer, m.capacity + 1))).toMatchObject({ argument: 'batch' });
      expect(err(() => m.evaluate(dataset(5, 7, 3, 1)))).toMatchObject({ argument: 'ds' });
      expect(err(() => m.evaluate(dataset(5, 8, 4, 1))).message).toMatch(/4 classes but the model outputs 3/);
      const fresh = Model.create(k, tiny(8, 3), { seed: 1 });
      expect(err(() => fresh.backward())).toMatchObject({ argument: 'backward' });
      m.dispose();
      expect(err(() => m.reserve(3))).toMatchObject({ argument: 'model' });
      fresh.dispose();
    });
  });
}
