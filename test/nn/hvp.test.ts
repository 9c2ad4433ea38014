// Exact Hessian-vector products (Model.lossGradHvp, every layer's R-forward and R-backward)
// against f64 references: mixed second differences of the f64 loss with ReLU masks and
// max-pool winners frozen at the point (hvp_ref.ts), on small models that exercise each
// layer — dense, conv2d (same/valid, strides 1 and 2, pointwise, first and inner layer),
// batch norm with batch statistics and with running statistics, ReLU, max-pool (overlapping
// same and valid windows), dropout off and on (masks fixed), flatten — at awkward sizes,
// both builds; then an explicit f64 Hessian of a small BN+ReLU net and the symmetry uᵀHv = vᵀHu.
// Tolerance: |Hv − ref| ≤ 1e-5·max|ref| per coordinate (observed ≤ 8e-7: f32 rounding of the
// R pass; the references' own error ~1e-8).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { BatchNorm } from '../../src/nn/batchnorm.js';
import { Model } from '../../src/nn/model.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { symmetricEigen } from '../../src/landscape/dense.js';
import { rand } from '../ref/rng.js';
import { frozenLoss, refHvp, someCoords } from './hvp_ref.js';

interface Case { name: string; spec: ModelSpec; B: number; bn?: 'batch' | 'running'; dropout?: boolean }

const CASES: Case[] = [
  { name: 'dense only', spec: { name: 'd', input: [7], layers: [{ type: 'dense', units: 3 }] }, B: 5 },
  {
    name: 'dense + BN (batch statistics) + ReLU', B: 17,
    spec: { name: 'mlp', input: [6], layers: [{ type: 'dense', units: 9 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 5 }, { type: 'relu' }, { type: 'dense', units: 3 }] },
  },
  {
    name: 'dense + BN (running statistics) + ReLU', B: 3, bn: 'running',
    spec: { name: 'mlp', input: [6], layers: [{ type: 'dense', units: 9 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 5 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 3 }] },
  },
  {
    name: 'conv same/1 + BN + ReLU + max-pool 3/2 same + conv valid/2 + flatten', B: 3,
    spec: {
      name: 'cnn', input: [7, 6, 2], layers: [
        { type: 'conv2d', filters: 4, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' },
        { type: 'maxpool', size: 3, stride: 2, padding: 'same' },
        { type: 'conv2d', filters: 5, kernel: 2, stride: 2, padding: 'valid' }, { type: 'relu' },
        { type: 'flatten' }, { type: 'dense', units: 3 },
      ],
    },
  },
  {
    name: 'conv same/2 + pointwise conv + BN (running) + max-pool valid + dropout off', B: 2, bn: 'running',
    spec: {
      name: 'cnn2', input: [5, 5, 3], layers: [
        { type: 'conv2d', filters: 4, kernel: 3, stride: 2, padding: 'same' }, { type: 'relu' },
        { type: 'conv2d', filters: 3, kernel: 1 }, { type: 'batchnorm' }, { type: 'relu' },
        { type: 'maxpool', size: 2, padding: 'valid' }, { type: 'flatten' }, { type: 'dropout', rate: 0.5 }, { type: 'dense', units: 4 },
      ],
    },
  },
  {
    name: 'conv + BN (batch) + dropout on (masks held fixed)', B: 2, dropout: true,
    spec: {
      name: 'cnn3', input: [4, 3, 1], layers: [
        { type: 'conv2d', filters: 3, kernel: [2, 3], padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' },
        { type: 'flatten' }, { type: 'dropout', rate: 0.3 }, { type: 'dense', units: 6 }, { type: 'relu' }, { type: 'dense', units: 3 },
      ],
    },
  },
];

function setup(k: Kernels, c: Case, seed: number) {
  const m = Model.create(k, c.spec, { seed });
  const pv = m.params.view();
  const noise = rand(pv.length, seed + 7);
  for (let i = 0; i < pv.length; i++) pv[i] += 0.2 * noise[i];
  if (c.bn === 'running') {
    const bv = m.buffers.view();
    let b = 0;
    for (const l of m.layers) {
      if (!(l instanceof BatchNorm)) continue;
      const r = rand(2 * l.C, seed + 100 + b);
      for (let j = 0; j < l.C; j++) { bv[b + j] = 0.5 * r[j]; bv[b + l.C + j] = 1.3 + r[l.C + j]; }
      b += 2 * l.C;
    }
  }
  const x = rand(c.B * m.inputSize, seed + 11);
  const y = Int32Array.from({ length: c.B }, (_, i) => (i * 7 + seed) % m.classes);
  return { m, x, y };
}

function hvp(m: Model, x: Float32Array, y: Int32Array, B: number, v: Float32Array, c: Case): { loss: number; hv: Float32Array } {
  m.hvpDirection.view().set(v);
  const loss = m.lossGradHvp(x, y, B, { bn: c.bn ?? 'batch', dropout: c.dropout ?? false, seed: 1234, updateStats: false });
  return { loss, hv: m.hvpProduct.view().slice() };
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`exact Hessian-vector products (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    for (const c of CASES) {
      it(`${c.name}: H·v and the gradient match the f64 reference`, () => {
        const seed = 3;
        const { m, x, y } = setup(k, c, seed);
        try {
          const n = m.numParams;
          const v = rand(n, seed + 20);
          const statsBefore = m.buffers.view().slice();
          const { loss, hv } = hvp(m, x, y, c.B, v, c);
          const g = m.grads.view().slice();
          const g2 = new Float32Array(n);
          const loss2 = m.lossAndGrad(x, y, c.B, { bn: c.bn ?? 'batch', dropout: c.dropout ?? false, seed: 1234, updateStats: false });
          g2.set(m.grads.view());
          expect(loss).toBe(loss2);
          expect(Array.from(g)).toEqual(Array.from(g2)); // the R pass leaves the gradient as lossAndGrad computes it
          expect(Array.from(m.buffers.view())).toEqual(Array.from(statsBefore));
          const p = Float64Array.from(m.params.view());
          const f = frozenLoss(m, c.spec, p, x, y, c.B, c.bn ?? 'batch', c.dropout ?? false);
          expect(Math.abs(f(p) - loss)).toBeLessThan(1e-5 * (1 + Math.abs(loss)));
          const coords = someCoords(n, 150);
          const ref = refHvp(f, p, v, coords);
          const scale = Math.max(...ref.map(Math.abs));
          expect(scale).toBeGreaterThan(1e-4);
          let worst = 0, at = -1;
          coords.forEach((i, j) => { const e = Math.abs(hv[i] - ref[j]) / scale; if (e > worst) { worst = e; at = i; } });
          expect(worst, `${c.name}: worst at ${at}: ${hv[at]} vs ${ref[coords.indexOf(at)]}`).toBeLessThan(1e-5); // observed ≤ 8e-7
        } finally {
          m.dispose();
        }
      });
    }

    it('a small BN+ReLU net: H·e_i column by column equals an explicit f64 Hessian (1e-5 relative), symmetric, same top eigenvalue', () => {
      const c: Case = { name: 'bn-relu', B: 9, spec: { name: 'bn-relu', input: [4], layers: [{ type: 'dense', units: 6 }, { type: 'batchnorm' }, { type: 'relu' }, { type: 'dense', units: 3 }] } };
      const { m, x, y } = setup(k, c, 5);
      try {
        const n = m.numParams, B = 9;
        const p = Float64Array.from(m.params.view());
        const f = frozenLoss(m, c.spec, p, x, y, B, 'batch', false);
        // Explicit f64 Hessian by mixed differences (h = 1e-4): Hij = [f(++) − f(+−) − f(−+) + f(−−)]/(4h²).
        const h = 1e-4, q = p.slice();
        const Href = new Float64Array(n * n);
        const fAt = (i: number, si: number, j: number, sj: number) => { q[i] += si * h; q[j] += sj * h; const r = f(q); q[i] = p[i]; q[j] = p[j]; return r; };
        for (let i = 0; i < n; i++) for (let j = i; j < n; j++) {
          const hij = (fAt(i, 1, j, 1) - fAt(i, 1, j, -1) - fAt(i, -1, j, 1) + fAt(i, -1, j, -1)) / (4 * h * h);
          Href[i * n + j] = hij; Href[j * n + i] = hij;
        }
        const H = new Float64Array(n * n);
        const e = new Float32Array(n);
        for (let j = 0; j < n; j++) {
          e.fill(0); e[j] = 1;
          m.hvpDirection.view().set(e);
          m.lossGradHvp(x, y, B);
          const col = m.hvpProduct.view();
          for (let i = 0; i < n; i++) H[i * n + j] = col[i];
        }
        let hmax = 0, err = 0, asym = 0;
        for (let i = 0; i < n * n; i++) hmax = Math.max(hmax, Math.abs(Href[i]));
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
          err = Math.max(err, Math.abs(H[i * n + j] - Href[i * n + j]));
          asym = Math.max(asym, Math.abs(H[i * n + j] - H[j * n + i]));
        }
        expect(err / hmax).toBeLessThan(1e-5); // observed ~3e-7
        expect(asym / hmax).toBeLessThan(1e-5);
        const top = (A: Float64Array) => Math.max(...symmetricEigen(A, n).values);
        const Hs = Float64Array.from(H, (_, t) => 0.5 * (H[t] + H[(t % n) * n + Math.floor(t / n)]));
        expect(Math.abs(top(Hs) - top(Href)) / Math.abs(top(Href))).toBeLessThan(1e-4);
      } finally {
        m.dispose();
      }
    });
  });
}
