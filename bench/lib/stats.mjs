// Summary statistics of timing samples.

/** Median of a non-empty array of numbers (mean of the middle two for an even count). */
export function median(xs) {
  if (!xs.length) throw new RangeError('median: no samples');
  const a = [...xs].sort((x, y) => x - y);
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
}

/**
 * The latency samples (ms) of a tinybench task that has run; a typed error names the task
 * when it did not complete (only a completed result carries statistics).
 * @param {import('tinybench').Task} task
 * @returns {number[]}
 */
export function latencySamples(task) {
  const r = task.result;
  if (r.state !== 'completed') throw new Error(`bench task ${task.name}: ${r.state}, no latency samples`);
  return r.latency.samples;
}
