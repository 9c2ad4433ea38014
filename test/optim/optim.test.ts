// Adam and SGD over a flat vector against f64 references for several steps, on awkward
// sizes, both builds. Tolerance: 1e-5 relative to max(|p|, lr·t) per element — f32 rounding
// of the update accumulates over the steps.
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { Adam, createOptimizer, OptimizerOptionError, OptimizerStateError, Sgd } from '../../src/optim/index.js';
import { rand } from '../ref/rng.js';

function adamRef(p: Float64Array, grads: Float32Array[], o: { lr: number; b1: number; b2: number; eps: number; wd: number }): void {
  const m = new Float64Array(p.length), v = new Float64Array(p.length);
  grads.forEach((g, s) => {
    const t = s + 1, bc1 = 1 - o.b1 ** t, bc2 = 1 - o.b2 ** t;
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + o.wd * p[i];
      m[i] = o.b1 * m[i] + (1 - o.b1) * gi;
      v[i] = o.b2 * v[i] + (1 - o.b2) * gi * gi;
      p[i] -= (o.lr * (m[i] / bc1)) / (Math.sqrt(v[i] / bc2) + o.eps);
    }
  });
}

function sgdRef(p: Float64Array, grads: Float32Array[], o: { lr: number; mu: number; nesterov: boolean; wd: number }): void {
  const vel = new Float64Array(p.length);
  for (const g of grads) {
    for (let i = 0; i < p.length; i++) {
      const gi = g[i] + o.wd * p[i];
      vel[i] = o.mu * vel[i] + gi;
      p[i] -= o.lr * (o.nesterov ? gi + o.mu * vel[i] : vel[i]);
    }
  }
}

const SIZES = [1, 3, 17, 65, 255];
const STEPS = 6;

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`optimizers (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    function run(n: number, make: () => Adam | Sgd, seed: number): { p: Float32Array; p0: Float32Array; grads: Float32Array[] } {
      const opt = make();
      const P = k.f32(n), G = k.f32(n);
      const p0 = rand(n, seed);
      k.view(P).set(p0);
      const grads = Array.from({ length: STEPS }, (_, s) => rand(n, seed * 31 + s));
      for (const g of grads) {
        k.view(G).set(g);
        opt.step(k.ptr(P)!, k.ptr(G)!);
      }
      const p = k.view(P).slice();
      k.free(P); k.free(G); opt.dispose();
      return { p, p0, grads };
    }

    function expectClose(p: Float32Array, ref: Float64Array, scale: number, what: string) {
      let bad = 0, first = '';
      for (let i = 0; i < p.length; i++) {
        const tol = 1e-5 * Math.max(Math.abs(ref[i]), scale);
        if (!(Math.abs(p[i] - ref[i]) <= tol)) { bad++; first ||= `[${i}] ${p[i]} vs ${ref[i]}`; }
      }
      expect(bad, `${what}: ${first}`).toBe(0);
    }

    for (const n of SIZES) {
      it(`Adam (Keras defaults, and with weight decay) matches the reference over ${STEPS} steps, n=${n}`, () => {
        for (const [lr, wd] of [[1e-3, 0], [0.05, 0.1]]) {
          const { p, p0, grads } = run(n, () => new Adam(k, n, { lr, weightDecay: wd }), n + 1);
          const ref = Float64Array.from(p0);
          adamRef(ref, grads, { lr, b1: 0.9, b2: 0.999, eps: 1e-7, wd });
          expect(ref[0]).not.toBe(p0[0]);
          expectClose(p, ref, lr * STEPS, `adam lr=${lr} wd=${wd}`);
        }
      });
      it(`SGD with momentum (plain and Nesterov) matches the reference over ${STEPS} steps, n=${n}`, () => {
        for (const nesterov of [false, true]) {
          const { p, p0, grads } = run(n, () => new Sgd(k, n, { lr: 0.1, momentum: 0.9, nesterov, weightDecay: 0.01 }), n + 2);
          const ref = Float64Array.from(p0);
          sgdRef(ref, grads, { lr: 0.1, mu: 0.9, nesterov, wd: 0.01 });
          expectClose(p, ref, 0.1 * STEPS, `sgd nesterov=${nesterov}`);
        }
      });
    }

    it('state() / setState() resumes bit-identically (Adam and SGD)', () => {
      for (const type of ['adam', 'sgd'] as const) {
        const n = 65;
        const P = k.f32(n), G = k.f32(n), Q = k.f32(n);
        const p0 = rand(n, 5);
        k.view(P).set(p0); k.view(Q).set(p0);
        const a = createOptimizer(k, n, { type, lr: 0.01 });
        const gs = Array.from({ length: 6 }, (_, s) => rand(n, 50 + s));
        for (const g of gs) { k.view(G).set(g); a.step(k.ptr(P)!, k.ptr(G)!); }
        // b runs 3 steps, saves, a fresh c restores and runs the last 3.
        const b = createOptimizer(k, n, { type, lr: 0.01 });
        for (const g of gs.slice(0, 3)) { k.view(G).set(g); b.step(k.ptr(Q)!, k.ptr(G)!); }
        const saved = b.state();
        b.dispose();
        const c = createOptimizer(k, n, { type, lr: 0.01 });
        c.setState(saved);
        expect(c.t).toBe(3);
        for (const g of gs.slice(3)) { k.view(G).set(g); c.step(k.ptr(Q)!, k.ptr(G)!); }
        expect(Buffer.from(k.view(Q).slice().buffer).equals(Buffer.from(k.view(P).slice().buffer))).toBe(true);
        c.reset();
        expect(c.t).toBe(0);
        a.dispose(); c.dispose(); k.free(P); k.free(G); k.free(Q);
      }
    });

    it('rejects bad options and states with typed errors', () => {
      expect(() => new Adam(k, 4, { lr: -1 })).toThrow(OptimizerOptionError);
      expect(() => new Adam(k, 4, { lr: NaN })).toThrow(/lr: must be a number/);
      expect(() => new Adam(k, 4, { beta1: 1 })).toThrow(/beta1: must be < 1/);
      expect(() => new Adam(k, 4, { eps: 0 })).toThrow(/eps/);
      expect(() => new Sgd(k, 4, { momentum: 1.5 })).toThrow(/momentum/);
      expect(() => createOptimizer(k, 4, { type: 'rmsprop' } as never)).toThrow(/optimizer: must be 'adam' or 'sgd'/);
      const a = new Adam(k, 4), s = new Sgd(k, 4);
      expect(() => a.setState(s.state())).toThrow(OptimizerStateError);
      const st = a.state();
      expect(() => new Adam(k, 5).setState(st)).toThrow(/vectors.m: has 4 values, the model has 5 parameters/);
      expect(() => new Adam(k, 4, { beta2: 0.99 }).setState(st)).toThrow(/hyper.beta2/);
      a.lr = NaN;
      expect(() => a.step(0, 0)).toThrow(/lr/);
      a.dispose(); s.dispose();
    });
  });
}
