// "1 epoch", "2 epochs": counts in messages agree with their noun.

/** `n` and the noun, pluralised with `plural` (default noun + "s") unless n is 1. */
export function plural(n: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? noun : pluralNoun}`;
}
