// Batch norm's backward after an evaluation-mode forward (Model option bn: 'running'): the
// layer is then the per-channel affine map y = γ·(x − μ_run)/√(σ²_run + eps) + β. The
// analytic gradient of the MEAN loss (parameters, and the input through lossAndInputGrad) is
// checked against central finite differences of the f64 reference forward in evaluation
// mode (ref_model.ts) with the same running statistics, set away from 0/1 so that a missing
// invstd, γ or μ term fails. Tolerances as in gradients.test.ts. Channel counts 1, 3, 17, 65
// cover the kernels' 8-wide, 4-wide and scalar paths.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { BatchNorm } from '../../src/nn/batchnorm.js';
import { ModelInputError } from '../../src/nn/errors.js';
import { Model } from '../../src/nn/model.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { rand } from '../ref/rng.js';
import { refLoss } from './ref_model.js';

/** Non-trivial running statistics (mean ∈ [−0.5, 0.5], var ∈ [0.3, 2.3]) and perturbed parameters. */
function prepare(m: Model, seed: number): Map<number, [Float32Array, Float32Array]> {
  const pv = m.params.view();
  const noise = rand(pv.length, seed + 7);
  for (let i = 0; i < pv.length; i++) pv[i] += 0.2 * noise[i];
  const bv = m.buffers.view();
  const running = new Map<number, [Float32Array, Float32Array]>();
  let b = 0;
  m.layers.forEach((l, li) => {
    if (!(l instanceof BatchNorm)) return;
    const C = l.C, r = rand(2 * C, seed + 100 + li);
    for (let c = 0; c < C; c++) { bv[b + c] = 0.5 * r[c]; bv[b + C + c] = 1.3 + r[C + c]; }
    running.set(li, [bv.slice(b, b + C), bv.slice(b + C, b + 2 * C)]);
    b += 2 * C;
  });
  return running;
}

function fdCheck(name: string, g: ArrayLike<number>, f: (i: number, h: number) => number, n: number, maxCoords = 400): void {
  const stride = Math.max(1, Math.floor(n / maxCoords));
  const coords: number[] = [];
  for (let i = 0; i < n; i += stride) coords.push(i);
  if (coords[coords.length - 1] !== n - 1) coords.push(n - 1);
  const h = 1e-5;
  const fd = coords.map((i) => (f(i, h) - f(i, -h)) / (2 * h));
  const scale = Math.max(...fd.map(Math.abs));
  expect(scale).toBeGreaterThan(1e-6); // the check must be able to fail
  let bad = 0, first = '';
  coords.forEach((i, j) => {
    const tol = 3e-5 * (scale + Math.abs(fd[j]));
    if (!(Math.abs(g[i] - fd[j]) <= tol)) { bad++; first ||= `${i}: grad ${g[i]} fd ${fd[j]} tol ${tol}`; }
  });
  expect(bad, `${name}: ${bad}/${coords.length} coordinates off; first ${first}`).toBe(0);
}

function gradCheck(k: Kernels, spec: ModelSpec, B: number, seed: number): void {
  const m = Model.create(k, spec, { seed });
  try {
    const running = prepare(m, seed);
    const statsBefore = m.buffers.view().slice();
    const x = rand(B * m.inputSize, seed + 11);
    const y = Int32Array.from({ length: B }, (_, i) => (i * 7 + seed) % m.classes);
    const { loss, dx } = m.lossAndInputGrad(x, y, B, { bn: 'running', dropout: false });
    const g = m.grads.view().slice();
    expect(m.buffers.view(), 'running statistics must not change').toEqual(statsBefore);
    const p = Float64Array.from(m.params.view());
    const xs = Float64Array.from(x);
    const ref = refLoss(spec, p, xs, y, B, { train: false, running });
    expect(Math.abs(ref - loss), `loss ${loss} vs f64 reference ${ref}`).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(ref)));
    // The same loss as an evaluation-mode forward, to the bit (same kernels, same order).
    expect(m.loss(x, y, B, { train: false })).toBe(loss);
    fdCheck(`${spec.name} params`, g, (i, h) => { const q = p.slice(); q[i] += h; return refLoss(spec, q, xs, y, B, { train: false, running }); }, p.length);
    fdCheck(`${spec.name} input`, dx, (i, h) => { const u = xs.slice(); u[i] += h; return refLoss(spec, p, u, y, B, { train: false, running }); }, xs.length);
  } finally {
    m.dispose();
  }
}

const CASES: [string, ModelSpec, number][] = [
  ['batchnorm first (no dx inside the model; input gradient through it), C = 6', { name: 'bn-first', input: [6], layers: [{ type: 'batchnorm', eps: 1e-3 }, { type: 'dense', units: 3 }] }, 1],
  ['dense → BN (C = 17) → ReLU → dense → BN (C = 65) → ReLU → dense → BN (C = 3)', {
    name: 'bn-widths', input: [5], layers: [
      { type: 'dense', units: 17 }, { type: 'batchnorm' }, { type: 'relu' },
      { type: 'dense', units: 65 }, { type: 'batchnorm', eps: 1e-2 }, { type: 'relu' },
      { type: 'dense', units: 3 }, { type: 'batchnorm' },
    ],
  }, 17],
  ['BN with one channel', { name: 'bn-c1', input: [4], layers: [{ type: 'dense', units: 1 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 3 }] }, 3],
  ['batchnorm 2-D over NHWC channels, then pool (C1-shaped, dropout in the spec but off)', {
    name: 'bn2d', input: [6, 6, 2], layers: [
      { type: 'conv2d', filters: 3, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'maxpool', size: 3, stride: 2, padding: 'same' },
      { type: 'flatten' }, { type: 'dense', units: 6 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 3 },
    ],
  }, 3],
];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`BN running-statistics backward vs f64 finite differences (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });
    CASES.forEach(([name, spec, B], i) => {
      it(name, () => gradCheck(k, spec, B, 300 + i));
    });

    it('bn defaults to batch statistics: omitted and "batch" give the same bits, "running" differs', () => {
      const spec = CASES[1][1];
      const m = Model.create(k, spec, { seed: 5 });
      try {
        prepare(m, 5);
        const x = rand(17 * m.inputSize, 9), y = Int32Array.from({ length: 17 }, (_, i) => i % 3);
        const l0 = m.lossAndGrad(x, y, 17, { dropout: false, updateStats: false });
        const g0 = m.grads.view().slice();
        const l1 = m.lossAndGrad(x, y, 17, { dropout: false, updateStats: false, bn: 'batch' });
        expect(l1).toBe(l0);
        expect(m.grads.view().slice()).toEqual(g0);
        const l2 = m.lossAndGrad(x, y, 17, { dropout: false, bn: 'running' });
        expect(l2).not.toBe(l0);
        // A batch-statistics backward after a running one uses its own forward's statistics again.
        expect(m.lossAndGrad(x, y, 17, { dropout: false, updateStats: false })).toBe(l0);
        expect(m.grads.view().slice()).toEqual(g0);
      } finally {
        m.dispose();
      }
    });

    it('a bad bn mode is a ModelInputError naming bn', () => {
      const m = Model.create(k, CASES[0][1], { seed: 1 });
      try {
        const x = rand(6, 1), y = Int32Array.of(0);
        const err = (() => { try { m.lossAndGrad(x, y, 1, { bn: 'eval' as 'running' }); } catch (e) { return e; } })();
        expect(err).toBeInstanceOf(ModelInputError);
        expect((err as ModelInputError).argument).toBe('bn');
      } finally {
        m.dispose();
      }
    });
  });
}
