import { beforeAll, describe, expect, it } from 'vitest';
import { KernelRangeError } from '../../src/kernels/errors.js';
import { loadKernels, type Kernels } from '../../src/kernels/index.js';
import { cholesky, choleskySolve } from '../../src/landscape/dense.js';
import { RandomSubspace } from '../../src/landscape/randproj.js';
import { sharpness } from '../../src/landscape/sharpness.js';
import { makeSubspaceBasis, StoredColumns, type SubspaceBasis } from '../../src/landscape/subspace_basis.js';
import { rand } from '../ref/rng.js';
import { diagQuadratic } from './objectives.js';

/** The n×p matrix of a basis, column by column (A·e_j), as f64. */
function columnsOf(k: Kernels, b: SubspaceBasis): Float64Array[] {
  const cols: Float64Array[] = [];
  k.withArgs([new Float32Array(b.p), new Float32Array(b.n)], [false, true], (py, po) => {
    for (let j = 0; j < b.p; j++) {
      const y = new Float32Array(k.memory.buffer, py.ptr, b.p); y.fill(0); y[j] = 1;
      b.applyAt(py.ptr, po.ptr, 0);
      cols.push(Float64Array.from(new Float32Array(k.memory.buffer, po.ptr, b.n)));
    }
  });
  return cols;
}
const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; };

function applyT(k: Kernels, b: SubspaceBasis, g: Float32Array): Float64Array {
  const out = new Float32Array(b.p);
  k.withArgs([g, out], [false, true], (pg, po) => b.applyTAt(pg.ptr, po.ptr));
  return Float64Array.from(out);
}

describe('subspace bases (A\'s distribution and column scaling)', () => {
  let k: Kernels;
  beforeAll(async () => { k = await loadKernels({ build: 'simd' }); });
  const n = 301, p = 7;

  it('uniform, as drawn: the same matrix as RandomSubspace (bit for bit)', () => {
    const b = makeSubspaceBasis(k, n, p, { seed: 5 });
    const sub = new RandomSubspace(k, n, p, 5);
    const cols = columnsOf(k, b);
    for (let j = 0; j < p; j++) for (const i of [0, 1, 150, n - 1]) expect(cols[j][i]).toBe(sub.entry(i, j));
  });

  it('Rademacher entries are ±1, Gaussian entries have mean ≈ 0 and variance ≈ 1 (seeded: same seed, same matrix)', () => {
    const r = new StoredColumns(k, 2000, 10, 3, 'rademacher');
    expect(r.a.every((v) => v === 1 || v === -1)).toBe(true);
    const plus = r.a.reduce((s, v) => s + (v > 0 ? 1 : 0), 0) / r.a.length;
    expect(Math.abs(plus - 0.5)).toBeLessThan(4 * 0.5 / Math.sqrt(r.a.length));
    const g = new StoredColumns(k, 2000, 10, 3, 'gaussian');
    const N = g.a.length;
    const mean = g.a.reduce((s, v) => s + v, 0) / N;
    const variance = g.a.reduce((s, v) => s + (v - mean) ** 2, 0) / (N - 1);
    expect(Math.abs(mean)).toBeLessThan(4 / Math.sqrt(N));
    expect(Math.abs(variance - 1)).toBeLessThan(4 * Math.sqrt(2 / N));
    expect(new StoredColumns(k, 2000, 10, 3, 'gaussian').a).toEqual(g.a);
    expect(new StoredColumns(k, 2000, 10, 4, 'gaussian').a).not.toEqual(g.a);
  });

  for (const columns of ['uniform', 'gaussian', 'rademacher'] as const) {
    it(`${columns}: unit columns have norm 1; orthonormal columns have AᵀA = I and the same span; Aᵀ is the adjoint of A; A⁺(A·y) = y`, () => {
      const raw = columnsOf(k, makeSubspaceBasis(k, n, p, { seed: 9, columns }));
      const unit = makeSubspaceBasis(k, n, p, { seed: 9, columns, scaling: 'unit' });
      const uc = columnsOf(k, unit);
      for (let j = 0; j < p; j++) {
        expect(Math.abs(Math.sqrt(dot(uc[j], uc[j])) - 1)).toBeLessThan(1e-6);
        // A rescaled copy of the raw column.
        const c = Math.sqrt(dot(raw[j], raw[j]));
        for (let i = 0; i < n; i += 37) expect(Math.abs(uc[j][i] - raw[j][i] / c)).toBeLessThan(1e-6);
      }
      const orth = makeSubspaceBasis(k, n, p, { seed: 9, columns, scaling: 'orthonormal' });
      const oc = columnsOf(k, orth);
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) expect(Math.abs(dot(oc[a], oc[b]) - (a === b ? 1 : 0))).toBeLessThan(1e-5);
      // Same span: each orthonormal column is reproduced by its projection onto the raw columns.
      const G = new Float64Array(p * p);
      for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) G[a * p + b] = dot(raw[a], raw[b]);
      const L = cholesky(G, p);
      for (let a = 0; a < p; a++) {
        const c = choleskySolve(L, p, raw.map((r) => dot(r, oc[a])));
        let res = 0;
        for (let i = 0; i < n; i++) { let v = oc[a][i]; for (let j = 0; j < p; j++) v -= c[j] * raw[j][i]; res += v * v; }
        expect(Math.sqrt(res)).toBeLessThan(1e-5);
      }
      expect(orth.gram().every((v, i) => Math.abs(v - (i % (p + 1) === 0 ? 1 : 0)) < 1e-6)).toBe(true);
      for (const basis of [unit, orth]) {
        const y = rand(p, 11), g = rand(n, 12);
        const Ay = new Float32Array(n);
        k.withArgs([y, Ay], [false, true], (py, po) => basis.applyAt(py.ptr, po.ptr, 0));
        const Atg = applyT(k, basis, g);
        expect(Math.abs(dot(Ay, g) - dot(y, Atg))).toBeLessThan(1e-4 * Math.sqrt(dot(Ay, Ay) * dot(g, g)));
        const back = basis.pinv(Ay);
        for (let j = 0; j < p; j++) expect(Math.abs(back[j] - y[j])).toBeLessThan(1e-4 * (1 + Math.abs(y[j])));
        basis.dispose();
      }
    });
  }

  it('sharpness with the uniform basis equals sharpness with { p, seed } (the default path) bit for bit', () => {
    const N = 64;
    const obj = diagQuadratic(Float64Array.from({ length: N }, (_, i) => 1 + (i % 5)), Float64Array.from(rand(N, 2)));
    const x = rand(N, 4);
    const a = sharpness(k, obj, x, { eps: 1e-3, subspace: { p: 6, seed: 8 }, maxIter: 5 });
    const b = sharpness(k, obj, x, { eps: 1e-3, subspace: makeSubspaceBasis(k, N, 6, { seed: 8 }), maxIter: 5 });
    expect(b.phi).toBe(a.phi);
    expect(b.y).toEqual(a.y);
  });

  it('bad inputs are typed errors naming the option', () => {
    expect(() => makeSubspaceBasis(k, n, p, { seed: 1, columns: 'cauchy' as never })).toThrow(/columns: must be one of uniform, gaussian, rademacher/);
    expect(() => makeSubspaceBasis(k, n, p, { seed: 1, scaling: 'qr' as never })).toThrow(/scaling: must be one of none, unit, orthonormal/);
    expect(() => makeSubspaceBasis(k, 5, 6, { seed: 1 })).toThrow(KernelRangeError);
    expect(() => makeSubspaceBasis(k, n, p, { seed: -1 })).toThrow(/seed/);
    expect(() => makeSubspaceBasis(k, n, 0, { seed: 1 })).toThrow(/p: must be an integer ≥ 1/);
    const N = 16, obj = diagQuadratic(new Float64Array(N).fill(1), new Float64Array(N));
    expect(() => sharpness(k, obj, new Float32Array(N), { subspace: makeSubspaceBasis(k, n, p, { seed: 1 }) })).toThrow(/subspace: has n = 301, the objective n = 16/);
  });
});
