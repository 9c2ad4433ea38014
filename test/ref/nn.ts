// f64 references for the elementwise / reduction NN kernels (reduce, activation, bias,
// softmax_xent, dropout), a central finite-difference helper, and a small harness
// that places test arrays in Wasm memory with guard cells behind them (so a kernel
// writing past its length is caught). Used only by tests.
import type { Kernels } from '../../src/kernels/index.js';

// ---------- harness ----------

const GUARD = 16;
const GUARD_F32 = -123456.75;
const GUARD_I32 = -987654321;

interface Block { ptr: number; n: number; kind: 'f32' | 'i32' }

/** Arrays in Wasm memory for raw-export tests; every block is followed by GUARD sentinel cells. */
export class Mem {
  private blocks: Block[] = [];
  constructor(readonly k: Kernels) {}

  private alloc(n: number, kind: 'f32' | 'i32'): number {
    const ptr = this.k.arena.alloc((n + GUARD) * 4);
    this.blocks.push({ ptr, n, kind });
    const buf = this.k.memory.buffer;
    if (kind === 'f32') new Float32Array(buf, ptr + n * 4, GUARD).fill(GUARD_F32);
    else new Int32Array(buf, ptr + n * 4, GUARD).fill(GUARD_I32);
    return ptr;
  }

  /** A block of n floats holding `data` (or zeros when data is a length). */
  f32(data: ArrayLike<number> | number): number {
    const n = typeof data === 'number' ? data : data.length;
    const ptr = this.alloc(n, 'f32');
    const v = new Float32Array(this.k.memory.buffer, ptr, n);
    if (typeof data === 'number') v.fill(0); else v.set(data);
    return ptr;
  }

  i32(data: ArrayLike<number>): number {
    const ptr = this.alloc(data.length, 'i32');
    new Int32Array(this.k.memory.buffer, ptr, data.length).set(data);
    return ptr;
  }

  /** A copy of n floats at ptr. */
  get(ptr: number, n: number): Float32Array {
    return new Float32Array(this.k.memory.buffer, ptr, n).slice();
  }

  getI32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.k.memory.buffer, ptr, n).slice();
  }

  set(ptr: number, data: ArrayLike<number>): void {
    new Float32Array(this.k.memory.buffer, ptr, data.length).set(data);
  }

  /** Names of blocks whose guard cells were overwritten (empty when all are intact). */
  brokenGuards(): string[] {
    const bad: string[] = [];
    const buf = this.k.memory.buffer;
    for (const b of this.blocks) {
      const ok = b.kind === 'f32'
        ? new Float32Array(buf, b.ptr + b.n * 4, GUARD).every((v) => v === GUARD_F32)
        : new Int32Array(buf, b.ptr + b.n * 4, GUARD).every((v) => v === GUARD_I32);
      if (!ok) bad.push(`block at ${b.ptr} (length ${b.n})`);
    }
    return bad;
  }

  free(): void {
    for (const b of this.blocks) this.k.arena.release(b.ptr);
    this.blocks = [];
  }
}

/**
 * Largest |a − b| / (atol + rtol·|b|) over the arrays (≤ 1 means within tolerance),
 * plus where it happens. NaN anywhere counts as a failure (Infinity).
 */
export function worst(a: ArrayLike<number>, b: ArrayLike<number>, rtol: number, atol: number): { ratio: number; at: number; got: number; want: number } {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let ratio = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const r = Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i]));
    const rr = Number.isNaN(r) ? Infinity : r;
    if (rr > ratio || at < 0) { ratio = rr; at = i; }
  }
  return { ratio, at, got: a[at], want: b[at] };
}

/** Central finite differences of f at x in f64: g[i] = (f(x + h eᵢ) − f(x − h eᵢ)) / 2h. */
export function finiteDiff(f: (x: Float64Array) => number, x0: ArrayLike<number>, h = 1e-5): Float64Array {
  const x = Float64Array.from(x0);
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i];
    x[i] = xi + h; const fp = f(x);
    x[i] = xi - h; const fm = f(x);
    x[i] = xi;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Σ a·b in f64. */
export function dotRef(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}

export function sumRef(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}

export function sumAbsRef(a: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += Math.abs(a[i]);
  return s;
}

// ---------- activation ----------

export function reluFwdRef(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => (v > 0 ? v : 0));
}

export function reluBwdRef(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => (v > 0 ? dy[i] : 0));
}

// ---------- bias ----------

export function biasAddRef(y: ArrayLike<number>, bias: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = Float64Array.from(y);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[r * cols + c] += bias[c];
  return out;
}

export function biasGradRef(dy: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c] += dy[r * cols + c];
  return out;
}

// ---------- softmax cross-entropy ----------

export interface SoftmaxXentRef { loss: number; probs: Float64Array; dlogits: Float64Array }

/** Per-row stable log-sum-exp in f64; dlogits = (softmax − onehot)·scale. */
export function softmaxXentRef(logits: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number, scale = 1): SoftmaxXentRef {
  const probs = new Float64Array(rows * classes);
  const dlogits = new Float64Array(rows * classes);
  let loss = 0;
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let c = 0; c < classes; c++) m = Math.max(m, logits[r * classes + c]);
    let s = 0;
    for (let c = 0; c < classes; c++) s += Math.exp(logits[r * classes + c] - m);
    const lse = m + Math.log(s);
    loss += lse - logits[r * classes + labels[r]];
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[r * classes + c] - lse);
      probs[r * classes + c] = p;
      dlogits[r * classes + c] = (p - (c === labels[r] ? 1 : 0)) * scale;
    }
  }
  return { loss, probs, dlogits };
}

/** Rows whose first maximal logit is at the label. */
export function countCorrectRef(logits: ArrayLike<number>, labels: ArrayLike<number>, rows: number, classes: number): number {
  let n = 0;
  for (let r = 0; r < rows; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (logits[r * classes + c] > logits[r * classes + best]) best = c;
    if (best === labels[r]) n++;
  }
  return n;
}

// ---------- dropout ----------

const M64 = (1n << 64n) - 1n;

function splitmix64(z: bigint): bigint {
  z = (z + 0x9e3779b97f4a7c15n) & M64;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & M64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & M64;
  return z ^ (z >> 31n);
}

function fmix32(h: number): number {
  h ^= h >>> 16; h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13; h = Math.imul(h, 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * The dropout mask of dropout_fwd_f32, written independently: element i is kept iff
 * (fmix32(fmix32(i + k1) ^ k2) >>> 8) ≥ ⌊p·2²⁴⌋ with k1, k2 the low/high halves of
 * splitmix64(seed·2³² + stream); kept elements are 1/(1 − p) (rounded to f32).
 */
export function dropoutMaskRef(n: number, p: number, seed: number, stream: number): Float32Array {
  const key = splitmix64((BigInt(seed >>> 0) << 32n) | BigInt(stream >>> 0));
  const k1 = Number(key & 0xffffffffn), k2 = Number(key >> 32n);
  const pf = Math.fround(p);
  const keepScale = pf >= 1 ? 0 : pf <= 0 ? 1 : Math.fround(1 / (1 - pf));
  const thr = pf > 0 && pf < 1 ? Math.floor(pf * 16777216) : 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const h = fmix32((fmix32((i + k1) >>> 0) ^ k2) >>> 0);
    out[i] = (h >>> 8) >= thr ? keepScale : 0;
  }
  return out;
}
