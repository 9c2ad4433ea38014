// The tensor table: every layer declares its tensors once (name, shape, role); the model's
// table places them in the flat vectors, and the layers' own storage agrees with it.
import { beforeAll, describe, expect, it } from 'vitest';
import { KernelRangeError } from '../../src/kernels/errors.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import type { Layer } from '../../src/nn/layer.js';
import { Model } from '../../src/nn/model.js';
import { checkFiniteParams, describeParam, tensorTable } from '../../src/nn/param_table.js';
import { c1, tiny } from '../../src/nn/specs.js';

describe('the tensor table', () => {
  let k: Kernels;
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); });

  it('tiny: dense weight/bias, BN gamma/beta in the parameters and running statistics in the buffers, contiguous', () => {
    const m = Model.create(k, tiny(8, 3));
    expect(m.paramTensors.map((t) => [t.layer, t.layerType, t.name, t.role, t.shape, t.offset, t.length, t.units])).toEqual([
      [0, 'dense', 'weight', 'weight', [8, 32], 0, 256, 32],
      [0, 'dense', 'bias', 'bias', [32], 256, 32, 32],
      [1, 'batchnorm', 'gamma', 'gamma', [32], 288, 32, 32],
      [1, 'batchnorm', 'beta', 'beta', [32], 320, 32, 32],
      [3, 'dense', 'weight', 'weight', [32, 32], 352, 1024, 32],
      [3, 'dense', 'bias', 'bias', [32], 1376, 32, 32],
      [5, 'dense', 'weight', 'weight', [32, 3], 1408, 96, 3],
      [5, 'dense', 'bias', 'bias', [3], 1504, 3, 3],
    ]);
    expect(m.numParams).toBe(1507);
    expect(m.bufferTensors.map((t) => [t.layer, t.name, t.role, t.offset, t.length])).toEqual([
      [1, 'running_mean', 'running-mean', 0, 32], [1, 'running_var', 'running-var', 32, 32],
    ]);
    m.dispose();
  });

  it('C1: conv weights are HWIO with the filter axis last; the initial values sit where the table says', () => {
    const m = Model.create(k, c1([8, 8, 3], 5), { seed: 1 });
    const conv = m.paramTensors.filter((t) => t.layerType === 'conv2d' && t.role === 'weight');
    expect(conv[0].shape).toEqual([5, 5, 3, 64]);
    expect(conv[0].units).toBe(64);
    expect(m.paramTensors.reduce((a, t) => a + t.length, 0)).toBe(m.numParams);
    expect(m.bufferTensors.reduce((a, t) => a + t.length, 0)).toBe(m.numBuffers);
    const p = m.params.view(), b = m.buffers.view();
    const values = (v: Float32Array, t: { offset: number; length: number }) => new Set(v.subarray(t.offset, t.offset + t.length));
    for (const t of m.paramTensors) {
      if (t.role === 'gamma') expect(values(p, t)).toEqual(new Set([1]));
      else if (t.role === 'beta' || t.role === 'bias') expect(values(p, t)).toEqual(new Set([0]));
      else expect(values(p, t).size).toBeGreaterThan(t.length / 2); // He-normal draws
    }
    for (const t of m.bufferTensors) expect(values(b, t)).toEqual(new Set([t.role === 'running-var' ? 1 : 0]));
    m.dispose();
  });

  it('names a bad entry by its tensor; a layer whose tensors disagree with its size is a typed error', () => {
    const m = Model.create(k, tiny(8, 3));
    const x = Float32Array.from(m.params.view());
    x[320 + 2] = NaN;
    expect(() => checkFiniteParams(m, x, 'x')).toThrow(/entry 322 is NaN \(layer 1 \(batchnorm\) beta, entry 2\)/);
    expect(describeParam(m.paramTensors, 1506)).toBe('layer 5 (dense) bias, entry 2');
    expect(describeParam(m.paramTensors, 1507)).toBe('flat index 1507');
    const liar = { type: 'odd', paramCount: 5, bufferCount: 0, tensors: [{ name: 'weight', shape: [2, 2], role: 'weight' }] } as unknown as Layer;
    expect(() => tensorTable([liar], 'params')).toThrow(KernelRangeError);
    expect(() => tensorTable([liar], 'params')).toThrow(/layer 0 \(odd\) declares tensors of 4 params floats but owns 5/);
    m.dispose();
  });
});
