// Issue 12 bug 5: Adam's constants 1 − β1, 1 − β2 and the bias corrections are computed in
// f64 and rounded to f32 once. At t = 1 every element of m, v and the update must be within
// 3e-7 (relative) of an f64 reference with the unrounded hyper-parameters; 1 − f32(0.999)
// would put the update 6.8e-6 off.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Adam } from '../../src/optim/index.js';
import { adamStepRef } from '../ref/optim.js';
import { rand } from '../ref/rng.js';

const SIZES = [1, 3, 17, 65, 255];
const HYPER = [
  { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-7, weightDecay: 0 }, // Keras defaults
  { lr: 3e-4, beta1: 0.85, beta2: 0.9995, eps: 1e-8, weightDecay: 0 },
];

function relErr(got: number, want: number): number {
  return Math.abs(got - want) / Math.abs(want);
}

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`Adam constants in f64 (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    for (const h of HYPER) {
      it(`t = 1 matches the f64 reference to 3e-7 per element (β2 = ${h.beta2}) on 1, 3, 17, 65, 255`, () => {
        for (const n of SIZES) {
          // Gradients over six decades (awkward magnitudes); parameters 0 so the new
          // parameter IS the update, with no rounding of p − update on top.
          const g = rand(n, 40 + n).map((v, i) => v * 10 ** ((i % 6) - 3));
          const params = k.arena.alloc(n * 4), grads = k.arena.alloc(n * 4);
          new Float32Array(k.memory.buffer, params, n).fill(0);
          new Float32Array(k.memory.buffer, grads, n).set(g);
          const opt = new Adam(k, n, h);
          opt.step(params, grads);
          const P = new Float64Array(n), M = new Float64Array(n), V = new Float64Array(n);
          adamStepRef(P, g, M, V, 1, h);
          const p = new Float32Array(k.memory.buffer, params, n);
          const st = opt.state();
          let worst = 0, at = '';
          for (let i = 0; i < n; i++) {
            for (const [name, got, want] of [['update', p[i], P[i]], ['m', st.vectors.m[i], M[i]], ['v', st.vectors.v[i], V[i]]] as const) {
              const e = relErr(got, want);
              if (e > worst) { worst = e; at = `${name}[${i}] = ${got} vs ${want}`; }
            }
          }
          expect(worst, `n=${n}: ${at}`).toBeLessThanOrEqual(3e-7);
          opt.dispose();
          k.arena.release(params); k.arena.release(grads);
        }
      });
    }
  });
}
