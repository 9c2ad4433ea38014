// Model.lossHvp (the Hessian-vector product without the parameter gradients: the backward
// runs only the input-gradient chain the R-backward reads) against Model.lossGradHvp: the
// same H·v and loss bit for bit, on F1 (dense + BN, batch and running statistics) and on
// C1-shaped conv nets (conv, BN, ReLU, max-pool, dropout on and off), both builds — and
// `grads` left untouched, as documented.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { BatchNorm } from '../../src/nn/batchnorm.js';
import { Model } from '../../src/nn/model.js';
import type { ModelSpec } from '../../src/nn/spec.js';
import { c1, f1 } from '../../src/nn/specs.js';
import { rand } from '../ref/rng.js';

interface Case { name: string; spec: ModelSpec; B: number; bn: 'batch' | 'running'; dropout: boolean }

const small: ModelSpec = {
  name: 'cnn', input: [9, 7, 2], layers: [
    { type: 'conv2d', filters: 5, kernel: 3, padding: 'same' }, { type: 'batchnorm' }, { type: 'relu' },
    { type: 'maxpool', size: 3, stride: 2, padding: 'same' },
    { type: 'conv2d', filters: 6, kernel: 2, stride: 2, padding: 'valid' }, { type: 'batchnorm' }, { type: 'relu' },
    { type: 'flatten' }, { type: 'dropout', rate: 0.4 }, { type: 'dense', units: 4 },
  ],
};

const CASES: Case[] = [
  { name: 'F1, BN batch statistics', spec: f1(), B: 37, bn: 'batch', dropout: false },
  { name: 'F1, BN running statistics', spec: f1(), B: 21, bn: 'running', dropout: false },
  { name: 'C1, BN batch statistics, dropout on', spec: c1(), B: 3, bn: 'batch', dropout: true },
  { name: 'C1, BN running statistics, dropout off', spec: c1(), B: 2, bn: 'running', dropout: false },
  { name: 'conv (same and strided valid) + BN + max-pool, dropout on', spec: small, B: 5, bn: 'batch', dropout: true },
  { name: 'conv + BN running, dropout off', spec: small, B: 4, bn: 'running', dropout: false },
];

/** First index where the two arrays' bits differ, or −1. */
function firstBitDiff(a: Float32Array, b: Float32Array): number {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length), ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  if (ua.length !== ub.length) return 0;
  for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) return i;
  return -1;
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`lossHvp: H·v without the gradient (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    for (const c of CASES) {
      it(`${c.name}: the same H·v and loss as lossGradHvp bit for bit; grads untouched`, () => {
        const m = Model.create(k, c.spec, { seed: 4 });
        try {
          const n = m.numParams;
          const pv = m.params.view(), noise = rand(n, 9);
          for (let i = 0; i < n; i++) pv[i] += 0.05 * noise[i];
          if (c.bn === 'running') {
            const bv = m.buffers.view();
            let b = 0;
            for (const l of m.layers) {
              if (!(l instanceof BatchNorm)) continue;
              const r = rand(2 * l.C, 30 + b);
              for (let j = 0; j < l.C; j++) { bv[b + j] = 0.3 * r[j]; bv[b + l.C + j] = 1.2 + 0.5 * r[l.C + j]; }
              b += 2 * l.C;
            }
          }
          const x = rand(c.B * m.inputSize, 11), y = Int32Array.from({ length: c.B }, (_, i) => (3 * i + 1) % m.classes);
          const opts = { bn: c.bn, dropout: c.dropout, seed: 77, updateStats: false };
          m.hvpDirection.view().set(rand(n, 12));

          const lossWith = m.lossGradHvp(x, y, c.B, opts);
          const hvWith = m.hvpProduct.view().slice();
          const gradWith = m.grads.view().slice();
          expect(gradWith.some((g) => g !== 0)).toBe(true);

          // A sentinel gradient (not what lossGradHvp left) and a poisoned product vector.
          const sentinel = Float32Array.from(rand(n, 13), (t) => t + 7);
          m.grads.view().set(sentinel);
          m.hvpProduct.view().fill(Number.NaN);
          const lossWithout = m.lossHvp(x, y, c.B, opts);
          const hvWithout = m.hvpProduct.view().slice();

          expect(lossWithout).toBe(lossWith);
          const at = firstBitDiff(hvWithout, hvWith);
          expect(at, at < 0 ? '' : `H·v differs at ${at}: ${hvWithout[at]} vs ${hvWith[at]}`).toBe(-1);
          expect(firstBitDiff(m.grads.view(), sentinel)).toBe(-1);

          // And lossGradHvp after lossHvp still gives the gradient (the sink did not leak into it).
          m.lossGradHvp(x, y, c.B, opts);
          expect(firstBitDiff(m.grads.view(), gradWith)).toBe(-1);
          expect(firstBitDiff(m.hvpProduct.view(), hvWith)).toBe(-1);
        } finally {
          m.dispose();
        }
      });
    }
  });
}
