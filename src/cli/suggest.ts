// "Did you mean …?" for misspelled commands and flags: the closest known name by edit
// distance, if it is close enough to be a plausible typo.

/** Levenshtein distance (insertions, deletions, substitutions; a transposition counts 2). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The known name closest to `given`, or undefined when none is within a third of its length
 * (at least 1, at most 3 edits); a name that `given` is a prefix of also counts (`--epoch`).
 */
export function closest(given: string, known: readonly string[]): string | undefined {
  let best: string | undefined, bestD = Infinity;
  for (const k of known) {
    const d = k.startsWith(given) && given.length >= 3 ? 1 : editDistance(given, k);
    if (d < bestD) { best = k; bestD = d; }
  }
  const limit = Math.min(3, Math.max(1, Math.floor(given.length / 3)));
  return bestD <= limit ? best : undefined;
}

/** " (did you mean X?)" or "". */
export function didYouMean(given: string, known: readonly string[], show: (name: string) => string = (n) => n): string {
  const c = closest(given, known);
  return c === undefined ? '' : ` (did you mean ${show(c)}?)`;
}
