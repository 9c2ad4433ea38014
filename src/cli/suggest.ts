// "Did you mean …?" for misspelled commands and flags: the closest known name by edit
// distance, if it is close enough to be a plausible typo.

/** Edit distance: insertions, deletions, substitutions and swaps of neighbours ("trian") count 1. */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
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
