// Every layer's backward pass, checked end to end through a small model: the analytic
// gradient of the MEAN loss from the f32 kernels against central finite differences of an
// independent f64 reference forward (ref_model.ts) at the same (f32) parameters.
// h = 1e-5 in f64 (FD error ~1e-10, far below the f32 tolerance).
// Tolerance: |g − fd| ≤ 3e-5·(max_j |fd_j| + |fd|) — f32 accumulation error relative to the
// gradient's scale (observed ≤ 3e-6 on the deepest case; a 0.1% error in any dx fails). The forward loss must match the reference to 1e-5 relative.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Dropout } from '../../src/nn/dropout.js';
import { Model } from '../../src/nn/model.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { rand } from '../ref/rng.js';
import { refLoss } from './ref_model.js';

function masksOf(k: Kernels, m: Model, B: number): Map<number, Float32Array> {
  const masks = new Map<number, Float32Array>();
  m.layers.forEach((l, i) => {
    if (l instanceof Dropout && l.rate > 0) {
      const n = B * l.inShape.reduce((a, b) => a * b, 1);
      masks.set(i, new Float32Array(k.memory.buffer, l.mask, n).slice());
    }
  });
  return masks;
}

function gradCheck(k: Kernels, spec: ModelSpec, B: number, seed: number, maxCoords = 400): void {
  const m = Model.create(k, spec, { seed });
  try {
    const pv = m.params.view();
    const noise = rand(pv.length, seed + 7);
    for (let i = 0; i < pv.length; i++) pv[i] += 0.2 * noise[i]; // BN gamma/beta and biases away from 1/0
    const x = rand(B * m.inputSize, seed + 11);
    const y = Int32Array.from({ length: B }, (_, i) => (i * 7 + seed) % m.classes);
    const loss = m.lossAndGrad(x, y, B);
    const g = m.grads.view().slice();
    const p = Float64Array.from(m.params.view());
    const masks = masksOf(k, m, B);
    const f = (q: Float64Array) => refLoss(spec, q, x, y, B, { train: true, masks });
    const ref = f(p);
    expect(Math.abs(ref - loss), `loss ${loss} vs f64 reference ${ref}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref)));
    const n = p.length;
    const stride = Math.max(1, Math.floor(n / maxCoords));
    const coords: number[] = [];
    for (let i = 0; i < n; i += stride) coords.push(i);
    if (coords[coords.length - 1] !== n - 1) coords.push(n - 1);
    const h = 1e-5;
    const fd = coords.map((i) => {
      const q = p.slice();
      q[i] = p[i] + h; const up = f(q);
      q[i] = p[i] - h; const dn = f(q);
      return (up - dn) / (2 * h);
    });
    const scale = Math.max(...fd.map(Math.abs));
    expect(scale).toBeGreaterThan(1e-6); // the check must be able to fail
    let bad = 0, first = '';
    coords.forEach((i, j) => {
      const tol = 3e-5 * (scale + Math.abs(fd[j]));
      if (!(Math.abs(g[i] - fd[j]) <= tol)) { bad++; first ||= `param ${i}: grad ${g[i]} fd ${fd[j]} tol ${tol}`; }
    });
    expect(bad, `${spec.name}: ${bad}/${coords.length} coordinates off; first ${first}`).toBe(0);
  } finally {
    m.dispose();
  }
}

const CASES: [string, ModelSpec, number][] = [
  ['dense (dx through a second dense)', { name: 'dense', input: [5], layers: [{ type: 'dense', units: 4 }, { type: 'dense', units: 3 }] }, 3],
  ['relu (in place, after dense)', { name: 'relu', input: [7], layers: [{ type: 'dense', units: 17 }, { type: 'relu' }, { type: 'dense', units: 3 }] }, 5],
  ['batchnorm 1-D (train mode, through the batch statistics)', { name: 'bn1d', input: [6], layers: [{ type: 'dense', units: 5 }, { type: 'batchnorm', eps: 1e-3 }, { type: 'relu' }, { type: 'dense', units: 3 }] }, 7],
  ['batchnorm 2-D over NHWC channels', { name: 'bn2d', input: [3, 3, 2], layers: [{ type: 'conv2d', filters: 3, kernel: 2, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 3 }] }, 4],
  ['conv2d same 3×3, then valid 2×3 stride 2 (dx of a conv)', { name: 'conv', input: [5, 5, 3], layers: [{ type: 'conv2d', filters: 5, kernel: 3, padding: 'same' }, { type: 'relu' }, { type: 'conv2d', filters: 3, kernel: [2, 3], stride: 2, padding: 'valid' }, { type: 'flatten' }, { type: 'dense', units: 3 }] }, 3],
  ['conv2d 5×5 same, 1×1', { name: 'conv5', input: [6, 6, 1], layers: [{ type: 'conv2d', filters: 2, kernel: 5, padding: 'same' }, { type: 'conv2d', filters: 3, kernel: 1 }, { type: 'flatten' }, { type: 'dense', units: 4 }] }, 2],
  ['maxpool 3×3 stride 2 same (overlapping windows)', { name: 'pool', input: [6, 6, 2], layers: [{ type: 'conv2d', filters: 3, kernel: 3, padding: 'same' }, { type: 'maxpool', size: 3, stride: 2, padding: 'same' }, { type: 'flatten' }, { type: 'dense', units: 3 }] }, 3],
  ['maxpool 2×2 valid', { name: 'pool2', input: [5, 5, 1], layers: [{ type: 'conv2d', filters: 2, kernel: 2 }, { type: 'maxpool', size: 2 }, { type: 'flatten' }, { type: 'dense', units: 3 }] }, 2],
  ['dropout 0.5 (mask from the kernel)', { name: 'dropout', input: [6], layers: [{ type: 'dense', units: 16 }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3 }] }, 4],
  ['C1-shaped stack (conv, BN, ReLU, pool, dense, BN, dropout)', {
    name: 'c1-mini', input: [8, 8, 3], layers: [
      { type: 'conv2d', filters: 4, kernel: 5, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'maxpool', size: 3, stride: 2, padding: 'same' },
      { type: 'conv2d', filters: 4, kernel: 5, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'maxpool', size: 3, stride: 2, padding: 'same' },
      { type: 'flatten' }, { type: 'dense', units: 6 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3 },
    ],
  }, 3],
];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`layer gradients vs f64 finite differences (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });
    CASES.forEach(([name, spec, B], i) => {
      it(name, () => gradCheck(k, spec, B, 100 + i));
    });
  });
}
