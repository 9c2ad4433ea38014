// The package's root entry point exposes every layer and the README's quick-start names.
import { describe, expect, it } from 'vitest';
import * as lbgap from '../../src/index.js';

describe('lbgap root exports', () => {
  it('exposes each layer as a namespace and the common names flat', () => {
    for (const ns of ['kernels', 'nn', 'optim', 'data', 'training', 'landscape', 'workers'] as const) {
      expect(Object.keys(lbgap[ns]).length, ns).toBeGreaterThan(3);
    }
    for (const name of ['loadKernels', 'Model', 'namedSpec', 'train', 'loadMnist', 'trainParallel', 'networkSharpness', 'interpolate', 'renderSvg'] as const) {
      expect(typeof lbgap[name], name).toBe('function');
    }
  });

  it('the README quick start trains a model whose parameters are one contiguous vector', async () => {
    const k = await lbgap.loadKernels();
    const model = lbgap.Model.create(k, lbgap.namedSpec('tiny'), { seed: 0 });
    const ds = lbgap.syntheticClassification({ n: 256, dim: 8, classes: 3, seed: 1 });
    const before = Float32Array.from(model.params.view());
    const history = await lbgap.train(model, { train: ds }, { epochs: 1, batchSize: 32, seed: 1 });
    expect(history).toHaveLength(1);
    const after = model.params.view();
    expect(after.length).toBe(model.numParams);
    expect(after.buffer).toBe(k.memory.buffer);
    expect(after.some((v, i) => v !== before[i])).toBe(true);
  });
});
