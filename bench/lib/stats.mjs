// Summary statistics of timing samples.

/** Median of a non-empty array of numbers (mean of the middle two for an even count). */
export function median(xs) {
  if (!xs.length) throw new RangeError('median: no samples');
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}
