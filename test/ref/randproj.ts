// TS reference of the on-the-fly random subspace matrix (assembly/randproj.ts): the same
// counter-based hash, materialized, and f64 products with it. Used only by tests.
const C1 = 0x21f0aaad, C2 = 0x735a2d97;
const SEED_SALT = 0x9e3779b9, COL_SALT = 0x85ebca6b, ROUND_SALT = 0xc2b2ae35;
const SCALE = Math.fround(Math.sqrt(3)) / 16777216;

function mix32(x: number): number {
  x = (x ^ (x >>> 16)) >>> 0;
  x = Math.imul(x, C1) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  x = Math.imul(x, C2) >>> 0;
  x = (x ^ (x >>> 15)) >>> 0;
  return x;
}

/** A[row, col] for the given seed, exactly as the kernels generate it. */
export function randprojEntryRef(seed: number, row: number, col: number): number {
  const sk = mix32((seed ^ SEED_SALT) >>> 0);
  const hc = mix32((col ^ sk) >>> 0);
  const ac = mix32((hc + COL_SALT) >>> 0);
  const lo1 = (row + ac) >>> 0;
  const hi2 = (hc + mix32(lo1)) >>> 0;
  const u = (lo1 + mix32((hi2 ^ ROUND_SALT) >>> 0)) >>> 0;
  const v = ((u >>> 7) | 1) - (1 << 24);
  return Math.fround(v * SCALE);
}

/** The n×p matrix, row-major. */
export function randprojMatrixRef(seed: number, n: number, p: number): Float64Array {
  const A = new Float64Array(n * p);
  for (let r = 0; r < n; r++) for (let c = 0; c < p; c++) A[r * p + c] = randprojEntryRef(seed, r, c);
  return A;
}

/** A·y (+ beta·out0) in f64. */
export function randprojApplyRef(A: Float64Array, n: number, p: number, y: ArrayLike<number>, beta = 0, out0?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    let s = 0;
    for (let c = 0; c < p; c++) s += A[r * p + c] * y[c];
    out[r] = beta !== 0 && out0 ? s + beta * out0[r] : s;
  }
  return out;
}

/** Aᵀ·g in f64. */
export function randprojApplyTRef(A: Float64Array, n: number, p: number, g: ArrayLike<number>): Float64Array {
  const out = new Float64Array(p);
  for (let r = 0; r < n; r++) for (let c = 0; c < p; c++) out[c] += A[r * p + c] * g[r];
  return out;
}

/** AᵀA in f64. */
export function randprojGramRef(A: Float64Array, n: number, p: number): Float64Array {
  const G = new Float64Array(p * p);
  for (let r = 0; r < n; r++) for (let i = 0; i < p; i++) {
    const a = A[r * p + i];
    for (let j = 0; j < p; j++) G[i * p + j] += a * A[r * p + j];
  }
  return G;
}
