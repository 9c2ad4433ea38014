// Deterministic bench inputs and a result comparison.

/** Fills `a` with uniform values in [-1, 1) from a small LCG seeded by `seed`. */
export function randomFill(a, seed) {
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2147483648 - 1;
  }
  return a;
}

/** max |x - y| / max(max |y|, tiny) over two equal-length arrays; Infinity on length mismatch or NaN. */
export function maxRelDiff(x, y) {
  if (x.length !== y.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(x[i] - y[i]);
    if (Number.isNaN(e)) return Infinity;
    if (e > d) d = e;
    const a = Math.abs(y[i]);
    if (a > m) m = a;
  }
  return d / Math.max(m, 1e-30);
}
