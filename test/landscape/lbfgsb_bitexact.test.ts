// The L-BFGS-B of src/landscape/lbfgsb.ts — its O(n) passes in Wasm (assembly/lbfgsb.ts) and
// a lazily ordered Cauchy scan — against the JS reference it replaced
// (lbfgsb_reference.ts: heap-free full radix sort, JS loops), bit for bit: every evaluated
// point, every f, the result. Problems are built so the first Cauchy scan has 0, 1, 3, 17,
// 65 and 4097 breakpoints, with exact ties, coordinates that move without a bound (t = +∞),
// coordinates stuck at a bound (t = 0), keys spread over many binades and keys crowded
// into one bucket (the radix path of a bucket sort), and with correction pairs both stored
// (convex) and skipped (concave pieces, as φ's maximized loss).
import { beforeAll, describe, expect, it } from 'vitest';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { minimizeLbfgsb, type LbfgsbOptions, type LbfgsbResult } from '../../src/landscape/lbfgsb.js';
import type { Objective } from '../../src/landscape/objective.js';
import { minimizeLbfgsbReference, sortBreakpoints } from './lbfgsb_reference.js';

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

interface Problem { name: string; obj: () => Objective & { trace: { x: Float32Array; f: number }[] }; x0: Float32Array; opts: LbfgsbOptions }

/**
 * nb coordinates boxed in the direction the gradient pushes them (breakpoints), then
 * `free` coordinates unbounded on that side (t = +∞, moving), then `stuck` coordinates
 * starting at the bound the gradient pushes into (t = 0). f = Σ ½h_i(x_i − c_i)²
 * + ½ρ(Σ a_i x_i)² (+ κ Σ cos(ω_i x_i), which makes f non-convex). Every third boxed
 * coordinate repeats its predecessor's data (exact ties of t, in every iteration).
 */
function problem(name: string, nb: number, opts: { free?: number; stuck?: number; seed?: number; narrow?: boolean; wavy?: boolean; m?: number; maxIter?: number }): Problem {
  const free = opts.free ?? 2, stuck = opts.stuck ?? 1, n = nb + free + stuck;
  const rand = lcg(opts.seed ?? 1);
  const h = new Float64Array(n), c = new Float64Array(n), a = new Float64Array(n), om = new Float64Array(n);
  const lower = new Float32Array(n).fill(-Infinity), upper = new Float32Array(n).fill(Infinity);
  const x0 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (i < nb && i % 3 === 2) { h[i] = h[i - 1]; c[i] = c[i - 1]; a[i] = a[i - 1]; om[i] = om[i - 1]; lower[i] = lower[i - 1]; upper[i] = upper[i - 1]; continue; }
    // narrow: t_i = (bound distance)/|g_i| within a few per cent (one bucket); else many binades.
    h[i] = opts.narrow ? 1 + 0.01 * rand() : 10 ** (4 * rand() - 2);
    c[i] = (rand() < 0.5 ? -1 : 1) * (opts.narrow ? 3 : 10 ** (3 * rand() - 1));
    a[i] = 0.5 * rand() - 0.25;
    om[i] = 1 + 3 * rand();
    const w = opts.narrow ? 1 + 0.02 * rand() : 10 ** (2 * rand() - 1);
    if (i < nb) { lower[i] = -w; upper[i] = w; }                              // boxed: a breakpoint either way
    else if (i < nb + free) { if (c[i] > 0) lower[i] = -w; else upper[i] = w; } // the side it moves to is open
    else { lower[i] = -w; upper[i] = w; x0[i] = c[i] > 0 ? w : -w; }          // at the bound it is pushed into
  }
  const rho = 0.3, kappa = opts.wavy ? 0.5 : 0;
  const obj = () => {
    const trace: { x: Float32Array; f: number }[] = [];
    return {
      n, trace,
      evalGrad(x: Float32Array, g: Float32Array) {
        let s = 0;
        for (let i = 0; i < n; i++) s += a[i] * x[i];
        let f = 0.5 * rho * s * s;
        for (let i = 0; i < n; i++) {
          const e = x[i] - c[i];
          f += 0.5 * h[i] * e * e + kappa * Math.cos(om[i] * x[i]);
          g[i] = h[i] * e + rho * s * a[i] - kappa * om[i] * Math.sin(om[i] * x[i]);
        }
        trace.push({ x: Float32Array.from(x), f });
        return f;
      },
    };
  };
  return { name, obj, x0, opts: { lower, upper, m: opts.m ?? 5, maxIter: opts.maxIter ?? 12, pgtol: 0, ftol: 0 } };
}

const bits32 = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length));
const bits64 = (a: ArrayLike<number>) => Array.from(new BigUint64Array(Float64Array.from(a).buffer));

function expectSame(got: LbfgsbResult, want: LbfgsbResult, gotTrace: { x: Float32Array; f: number }[], wantTrace: { x: Float32Array; f: number }[]) {
  expect(gotTrace.length).toBe(wantTrace.length);
  for (let e = 0; e < wantTrace.length; e++) {
    expect(Object.is(gotTrace[e].f, wantTrace[e].f), `f at evaluation ${e + 1}`).toBe(true);
    expect(bits32(gotTrace[e].x), `x at evaluation ${e + 1}`).toEqual(bits32(wantTrace[e].x));
  }
  expect(bits32(got.x)).toEqual(bits32(want.x));
  expect(Object.is(got.f, want.f)).toBe(true);
  expect(Object.is(got.projGradNorm, want.projGradNorm)).toBe(true);
  expect([got.iterations, got.evaluations, got.reason]).toEqual([want.iterations, want.evaluations, want.reason]);
}

const problems: Problem[] = [
  problem('0 breakpoints (unbounded coordinates only)', 0, { free: 5, stuck: 0 }),
  problem('0 breakpoints, all coordinates stuck at a bound but one', 0, { free: 1, stuck: 6 }),
  problem('1 breakpoint', 1, {}),
  problem('3 breakpoints (one tie)', 3, { seed: 3 }),
  problem('17 breakpoints', 17, { seed: 17, wavy: true }),
  problem('65 breakpoints, crowded into one bucket', 65, { seed: 65, narrow: true }),
  problem('65 breakpoints, many binades, non-convex', 65, { seed: 66, wavy: true, m: 3 }),
  problem('4097 breakpoints, many binades', 4097, { seed: 4097, free: 7, stuck: 9, maxIter: 15 }),
  problem('4097 breakpoints, crowded into one bucket, non-convex', 4097, { seed: 4098, narrow: true, wavy: true, m: 10 }),
  problem('4097 breakpoints, no unbounded coordinate', 4097, { seed: 4099, free: 0, stuck: 0, wavy: true }),
];

for (const build of ['simd', 'relaxed-simd'] as const) {
  describe(`minimizeLbfgsb is bit-identical to the JS reference (${build})`, () => {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });

    for (const p of problems) {
      it(p.name, () => {
        const o1 = p.obj(), o2 = p.obj();
        const want = minimizeLbfgsbReference(k, o1, p.x0, p.opts);
        const got = minimizeLbfgsb(k, o2, p.x0, p.opts);
        expect(want.iterations).toBeGreaterThan(0);
        expectSame(got, want, o2.trace, o1.trace);
      });
    }
  });
}

describe('the lazy scan order (lbfgsb_bucket_f64 + lbfgsb_sort_run_f64) equals the full stable sort', () => {
  let k: Kernels;
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); });

  it('on awkward sizes, with ties, over many binades and crowded into one bucket', () => {
    const e = k.exports;
    const B = e.lbfgsb_buckets();
    const rand = lcg(7);
    for (const narrow of [false, true]) {
      for (const nb of [0, 1, 3, 17, 47, 48, 49, 65, 255, 4097]) {
        const n = nb + 5;
        const t = new Float64Array(n);
        for (let i = 0; i < n; i++) {
          t[i] = i % 7 === 3 && i >= 7 ? t[i - 7]                       // exact ties
            : narrow ? 1 + 0.05 * rand() : 10 ** (rand() * 40 - 20) * (1 + rand());
        }
        const idx = Int32Array.from({ length: nb }, (_, i) => i + (i % 2)); // increasing, some coordinates skipped
        const want = Array.from(sortBreakpoints(idx, nb, t));
        const a = k.arena;
        const pk = a.alloc(8 * nb), pi = a.alloc(4 * nb), pk2 = a.alloc(8 * nb), pi2 = a.alloc(4 * nb);
        const ps = a.alloc(4 * (B + 1)), pc = a.alloc(4 * 256);
        const buf = k.memory.buffer;
        for (let j = 0; j < nb; j++) { new Float64Array(buf, pk, nb)[j] = t[idx[j]]; new Int32Array(buf, pi, nb)[j] = idx[j]; }
        e.lbfgsb_bucket_f64(pk, pi, nb, pk2, pi2, ps);
        const start = new Int32Array(k.memory.buffer, ps, B + 1);
        expect(start[0]).toBe(0);
        expect(start[B]).toBe(nb);
        for (let b = 0; b < B; b++) if (start[b + 1] > start[b]) e.lbfgsb_sort_run_f64(pk2, pi2, start[b], start[b + 1], pk, pi, pc);
        expect(Array.from(new Int32Array(k.memory.buffer, pi2, nb))).toEqual(want);
        expect(bits64(new Float64Array(k.memory.buffer, pk2, nb))).toEqual(bits64(want.map((i) => t[i])));
        for (const p of [pk, pi, pk2, pi2, ps, pc]) a.release(p);
      }
    }
  });
});

// The kernels against the JS loops of lbfgsb_reference.ts they replace, on their f64
// outputs (the solver's f32 iterates could hide a last-bit difference in those).
describe('L-BFGS-B kernels equal the reference JS loops bit for bit', () => {
  for (const build of ['simd', 'relaxed-simd'] as const) {
    let k: Kernels;
    beforeAll(async () => { k = await loadKernels({ build }); });
    const f32 = (a: ArrayLike<number>) => { const p = k.arena.alloc(4 * Math.max(1, a.length)); new Float32Array(k.memory.buffer, p, a.length).set(a); return p; };
    const view32 = (p: number, n: number) => new Float32Array(k.memory.buffer, p, n);

    // x, g, bounds with every case: g of both signs and 0, ±∞ bounds, x at a bound, ties.
    function data(n: number, seed: number) {
      const rand = lcg(seed);
      const x = new Float32Array(n), g = new Float32Array(n), lo = new Float32Array(n), hi = new Float32Array(n);
      for (let i = 0; i < n; i++) {
        const w = Math.fround(10 ** (3 * rand() - 2));
        lo[i] = rand() < 0.15 ? -Infinity : -w; hi[i] = rand() < 0.15 ? Infinity : w;
        const r = rand();
        x[i] = r < 0.1 && lo[i] > -Infinity ? lo[i] : r < 0.2 && hi[i] < Infinity ? hi[i] : Math.fround((2 * rand() - 1) * w);
        g[i] = rand() < 0.1 ? 0 : Math.fround((rand() < 0.5 ? -1 : 1) * 10 ** (4 * rand() - 2));
        if (i % 5 === 4) { x[i] = x[i - 1]; g[i] = g[i - 1]; lo[i] = lo[i - 1]; hi[i] = hi[i - 1]; }
      }
      return { x, g, lo, hi };
    }

    it(`${build}: lbfgsb_breakpoints_f32 (t, d, count of unbounded movers) on 0, 1, 3, 17, 65, 4097 coordinates`, () => {
      for (const n of [0, 1, 3, 17, 65, 4097]) {
        const { x, g, lo, hi } = data(n, n + 1);
        // Reference: the loop of the JS Cauchy point.
        const t = new Float64Array(n), dRef = new Float32Array(n), idxRef: number[] = [];
        let unb = 0;
        for (let i = 0; i < n; i++) {
          const gi = g[i];
          let ti = Infinity;
          if (gi < 0 && hi[i] < Infinity) ti = (x[i] - hi[i]) / gi;
          else if (gi > 0 && lo[i] > -Infinity) ti = (x[i] - lo[i]) / gi;
          if (ti <= 0) { ti = 0; dRef[i] = 0; } else dRef[i] = -gi;
          t[i] = ti;
          if (ti > 0 && ti < Infinity) idxRef.push(i);
          else if (ti === Infinity && gi !== 0) unb++;
        }
        const px = f32(x), pg = f32(g), pl = f32(lo), ph = f32(hi), pd = f32(new Float32Array(n).fill(7));
        const pk = k.arena.alloc(8 * Math.max(1, n)), pi = k.arena.alloc(4 * Math.max(1, n)), ps = k.arena.alloc(4);
        const nb = k.exports.lbfgsb_breakpoints_f32(px, pg, pl, ph, pd, n, pk, pi, ps);
        expect(nb).toBe(idxRef.length);
        expect(new Int32Array(k.memory.buffer, ps, 1)[0]).toBe(unb);
        expect(Array.from(new Int32Array(k.memory.buffer, pi, nb))).toEqual(idxRef);
        expect(bits64(new Float64Array(k.memory.buffer, pk, nb))).toEqual(bits64(idxRef.map((i) => t[i])));
        expect(bits32(view32(pd, n).slice())).toEqual(bits32(dRef));
        if (n >= 65) expect(unb).toBeGreaterThan(0);
        for (const p of [px, pg, pl, ph, pd, pk, pi, ps]) k.arena.release(p);
      }
    });

    it(`${build}: lbfgsb_cauchy_scan_f32 (lazy order, f′, f″, p, cv, t) equals the JS scan over the full sort`, () => {
      const e = k.exports, B = e.lbfgsb_buckets();
      let passedSome = 0, passedAll = 0;
      for (const n of [0, 1, 3, 17, 65, 4097]) {
        for (const c of [0, 1, 3]) {
          for (const fp0 of [-1e-3, -1, -1e3, -1e9]) {
            const { x, g, lo, hi } = data(n, 7 * n + c);
            const rand = lcg(n + 31 * c + 1);
            const k2 = 2 * c, theta = 0.5 + rand();
            const Y = Array.from({ length: c }, () => Float32Array.from({ length: n }, () => Math.fround(2 * rand() - 1)));
            const S = Array.from({ length: c }, () => Float32Array.from({ length: n }, () => Math.fround(rand() - 0.5)));
            const M = new Float64Array(k2 * k2);
            for (let i = 0; i < k2; i++) for (let j = 0; j <= i; j++) M[i * k2 + j] = M[j * k2 + i] = (i === j ? 2 : 0) + 0.1 * (rand() - 0.5);
            const p0 = Float64Array.from({ length: k2 }, () => rand() - 0.5);
            const fpp0 = 1 + rand();
            // Breakpoints (kernel tested above) and the state the scan starts from.
            const px = f32(x), pg = f32(g), pl = f32(lo), ph = f32(hi), pd = f32(new Float32Array(n));
            const a = k.arena;
            const pk = a.alloc(8 * Math.max(1, n)), pi = a.alloc(4 * Math.max(1, n)), pk2 = a.alloc(8 * Math.max(1, n)), pi2 = a.alloc(4 * Math.max(1, n));
            const pst = a.alloc(4 * (B + 1)), pc = a.alloc(1024), pstats = a.alloc(4);
            const nb = e.lbfgsb_breakpoints_f32(px, pg, pl, ph, pd, n, pk, pi, pstats);
            const unb = new Int32Array(k.memory.buffer, pstats, 1)[0];
            const t = new Float64Array(n), idx = new Int32Array(n);
            for (let j = 0; j < nb; j++) { idx[j] = new Int32Array(k.memory.buffer, pi, nb)[j]; t[idx[j]] = new Float64Array(k.memory.buffer, pk, nb)[j]; }
            // Reference: the JS scan of lbfgsb_reference.ts over the full stable sort.
            const order = sortBreakpoints(idx, nb, t);
            const p = p0.slice(), cv = new Float64Array(k2), wb = new Float64Array(k2), tmp = new Float64Array(k2);
            let fp = fp0, fpp = fpp0, dtm = -fp / fpp, tOld = 0, next = 0;
            const EPS = 2.220446049250313e-16;
            while (next < nb) {
              const b = order[next];
              const dt = t[b] - tOld;
              if (dtm < dt) break;
              next++;
              const xb = -g[b] > 0 ? hi[b] : lo[b];
              const zb = xb - x[b];
              const gb = g[b];
              for (let j = 0; j < k2; j++) cv[j] += dt * p[j];
              let wMc = 0, wMp = 0, wMw = 0;
              if (c > 0) {
                for (let j = 0; j < c; j++) { wb[j] = Y[j][b]; wb[c + j] = theta * S[j][b]; }
                for (let i = 0; i < k2; i++) { let s = 0; for (let j = 0; j < k2; j++) s += M[i * k2 + j] * wb[j]; tmp[i] = s; }
                for (let j = 0; j < k2; j++) wMc += tmp[j] * cv[j];
                for (let j = 0; j < k2; j++) wMp += tmp[j] * p[j];
                for (let j = 0; j < k2; j++) wMw += tmp[j] * wb[j];
              }
              fp = fp + dt * fpp + gb * gb + theta * gb * zb - gb * wMc;
              fpp = fpp - theta * gb * gb - 2 * gb * wMp - gb * gb * wMw;
              fpp = Math.max(EPS * fpp0, fpp);
              if (c > 0) for (let j = 0; j < k2; j++) p[j] += gb * wb[j];
              tOld = t[b];
              dtm = next < nb || unb > 0 ? -fp / fpp : 0;
            }
            // The kernel.
            e.lbfgsb_bucket_f64(pk, pi, nb, pk2, pi2, pst);
            const ptrs = a.alloc(4 * Math.max(1, k2)), pM = a.alloc(8 * Math.max(1, k2 * k2)), pp = a.alloc(8 * Math.max(1, k2)), pcv = a.alloc(8 * Math.max(1, k2));
            const pwb = a.alloc(8 * Math.max(1, k2)), ptmp = a.alloc(8 * Math.max(1, k2)), pS = a.alloc(64);
            const vp = [...Y.map((v) => f32(v)), ...S.map((v) => f32(v))];
            const buf = k.memory.buffer;
            new Int32Array(buf, ptrs, k2).set(vp);
            new Float64Array(buf, pM, k2 * k2).set(M);
            new Float64Array(buf, pp, k2).set(p0);
            new Float64Array(buf, pcv, k2).fill(0);
            new Float64Array(buf, pS, 7).set([fp0, fpp0, fpp0, -fp0 / fpp0, 0, theta, unb]);
            const got = e.lbfgsb_cauchy_scan_f32(pk2, pi2, nb, pst, pk, pi, pc, px, pg, pl, ph, ptrs, c, pM, pp, pcv, pwb, ptmp, pS);
            const b2 = k.memory.buffer;
            expect(got).toBe(next);
            expect(Array.from(new Int32Array(b2, pi2, next))).toEqual(Array.from(order.subarray(0, next)));
            const stOut = new Float64Array(b2, pS, 5);
            expect(bits64([stOut[0], stOut[1], stOut[3], stOut[4]])).toEqual(bits64([fp, fpp, dtm, tOld]));
            expect(bits64(new Float64Array(b2, pp, k2))).toEqual(bits64(p));
            expect(bits64(new Float64Array(b2, pcv, k2))).toEqual(bits64(cv));
            if (next > 0) passedSome++;
            if (next === nb && nb > 0) passedAll++;
            for (const q of [px, pg, pl, ph, pd, pk, pi, pk2, pi2, pst, pc, pstats, ptrs, pM, pp, pcv, pwb, ptmp, pS, ...vp]) a.release(q);
          }
        }
      }
      expect(passedSome).toBeGreaterThan(20);
      expect(passedAll).toBeGreaterThan(3);
    });

    it(`${build}: free/active split (count, zeroing) and WᵀZZᵀW over the free or the active set`, () => {
      for (const n of [0, 1, 3, 17, 65, 4097]) {
        for (const c of [1, 2, 5, 10]) {
          const { x, lo, hi } = data(n, 3 * n + c);
          const rand = lcg(n + 100 * c);
          const Y = Array.from({ length: c }, () => Float32Array.from({ length: n }, () => (rand() < 0.2 ? 0 : Math.fround(2 * rand() - 1))));
          const S = Array.from({ length: c }, () => Float32Array.from({ length: n }, () => (rand() < 0.2 ? 0 : Math.fround(rand() - 0.5))));
          const theta = 0.37 + rand();
          const k2 = 2 * c;
          const free: number[] = [], active: number[] = [];
          for (let i = 0; i < n; i++) (x[i] > lo[i] && x[i] < hi[i] ? free : active).push(i);
          const px = f32(x), pl = f32(lo), ph = f32(hi);
          expect(k.exports.lbfgsb_count_free_f32(px, pl, ph, n)).toBe(free.length);
          const r = Float32Array.from({ length: n }, () => Math.fround(rand() - 0.5));
          const pr = f32(r);
          k.exports.lbfgsb_zero_active_f32(pr, px, pl, ph, n);
          for (const i of active) r[i] = 0;
          expect(bits32(view32(pr, n).slice())).toEqual(bits32(r));
          const ptrs = k.arena.alloc(4 * k2), pw = k.arena.alloc(k.exports.lbfgsb_gram_workspace_bytes(c)), pG = k.arena.alloc(8 * k2 * k2);
          const vp = [...Y.map((v) => f32(v)), ...S.map((v) => f32(v))];
          new Int32Array(k.memory.buffer, ptrs, k2).set(vp);
          for (const [set, sign] of [[free, 1], [active, -1]] as const) {
            // Reference: Solver.freeGram's accumulate, from a G0 that is 0 (free) or a symmetric WᵀW stand-in.
            const G0 = Float64Array.from({ length: k2 * k2 }, (_, j) => (sign > 0 ? 0 : 3 + (((Math.floor(j / k2) + (j % k2)) * 7) % 5)));
            const G = G0.slice(), wb = new Float64Array(k2);
            for (const i of set) {
              for (let j = 0; j < c; j++) { wb[j] = Y[j][i]; wb[c + j] = theta * S[j][i]; }
              for (let a = 0; a < k2; a++) {
                const wa = sign * wb[a];
                if (wa === 0) continue;
                for (let b = 0; b < k2; b++) G[a * k2 + b] += wa * wb[b];
              }
            }
            for (const tri of [0, 1]) { // the full square, and the upper triangle mirrored
              new Float64Array(k.memory.buffer, pG, k2 * k2).set(G0);
              k.exports.lbfgsb_gram_f32(px, pl, ph, n, sign > 0 ? 1 : 0, ptrs, c, theta, sign, pw, pG, tri);
              expect(bits64(new Float64Array(k.memory.buffer, pG, k2 * k2))).toEqual(bits64(G));
            }
          }
          for (const p of [px, pl, ph, pr, ptrs, pw, pG, ...vp]) k.arena.release(p);
        }
      }
    });
  }
});
