// The paper's numbers for all six of its networks, shown beside measured ones in REPORT.md.
// Source: Keskar et al., ICLR 2017 (arXiv 1609.04836), main text: Table 2 (accuracy, %),
// Table 3 (sharpness φ, full space) and Table 4 (φ on a random 100-dimensional manifold),
// mean ± std over the paper's 5 trials — exactly as in PAPER.md, which was checked against
// a transcription of the paper's text. The appendix's remedies tables are NOT transcribed:
// no remedies number is attributed to the paper anywhere in lbgap.

export interface PaperValue { mean: number; std: number }
export interface PaperPair { sb: PaperValue; lb: PaperValue }

export interface PaperRow {
  /** The network's data set in the paper (Table 1). */
  data: string;
  trainAcc: PaperPair;
  testAcc: PaperPair;
  /** Keyed like SummaryRow.sharpness: `full@0.001`, `random@0.0005`… (random: p = 100). */
  sharpness: Record<string, PaperPair>;
}

/** Table 4's manifold dimension. */
export const PAPER_SUBSPACE = 100;
/** The ε of Tables 3 and 4. */
export const PAPER_EPS = [1e-3, 5e-4] as const;

const v = (mean: number, std: number): PaperValue => ({ mean, std });
const pair = (sb: PaperValue, lb: PaperValue): PaperPair => ({ sb, lb });

/** One network: Table 2's four cells, then Tables 3 and 4 as SB/LB at ε = 1e-3, 5e-4. */
function net(data: string, acc: [PaperValue, PaperValue, PaperValue, PaperValue], full: PaperValue[], random: PaperValue[]): PaperRow {
  return {
    data,
    trainAcc: pair(acc[0], acc[1]),
    testAcc: pair(acc[2], acc[3]),
    sharpness: {
      'full@0.001': pair(full[0], full[1]), 'full@0.0005': pair(full[2], full[3]),
      'random@0.001': pair(random[0], random[1]), 'random@0.0005': pair(random[2], random[3]),
    },
  };
}

export const PAPER_NUMBERS: Record<'F1' | 'F2' | 'C1' | 'C2' | 'C3' | 'C4', PaperRow> = {
  F1: net('MNIST', [v(99.66, 0.05), v(99.92, 0.01), v(98.03, 0.07), v(97.81, 0.07)],
    [v(1.23, 0.83), v(205.14, 69.52), v(0.61, 0.27), v(42.90, 17.14)],
    [v(0.11, 0.00), v(9.22, 0.56), v(0.05, 0.00), v(9.17, 0.14)]),
  F2: net('TIMIT', [v(99.99, 0.03), v(98.35, 2.08), v(64.02, 0.2), v(59.45, 1.05)],
    [v(1.39, 0.02), v(310.64, 38.46), v(0.90, 0.05), v(93.15, 6.81)],
    [v(0.29, 0.02), v(23.63, 0.54), v(0.05, 0.00), v(6.28, 0.19)]),
  C1: net('CIFAR-10', [v(99.89, 0.02), v(99.66, 0.2), v(80.04, 0.12), v(77.26, 0.42)],
    [v(28.58, 3.13), v(707.23, 43.04), v(7.08, 0.88), v(227.31, 23.23)],
    [v(2.18, 0.23), v(137.25, 21.60), v(0.71, 0.15), v(29.50, 7.48)]),
  C2: net('CIFAR-10', [v(99.99, 0.04), v(99.99, 0.01), v(89.24, 0.12), v(87.26, 0.07)],
    [v(8.68, 1.32), v(925.32, 38.29), v(2.07, 0.86), v(175.31, 18.28)],
    [v(0.95, 0.34), v(25.09, 2.61), v(0.31, 0.08), v(5.82, 0.52)]),
  C3: net('CIFAR-100', [v(99.56, 0.44), v(99.88, 0.30), v(49.58, 0.39), v(46.45, 0.43)],
    [v(29.85, 5.98), v(258.75, 8.96), v(8.56, 0.99), v(105.11, 13.22)],
    [v(17.02, 2.20), v(236.03, 31.26), v(4.03, 1.45), v(86.96, 27.39)]),
  C4: net('CIFAR-100', [v(99.10, 1.23), v(99.57, 1.84), v(63.08, 0.5), v(57.81, 0.17)],
    [v(12.83, 3.84), v(421.84, 36.97), v(4.07, 0.87), v(109.35, 16.57)],
    [v(6.05, 1.13), v(72.99, 10.96), v(1.89, 0.33), v(19.85, 4.12)]),
};

export type PaperNet = keyof typeof PAPER_NUMBERS;
export const PAPER_NETS = Object.keys(PAPER_NUMBERS) as PaperNet[];

/** The paper's row for a network name (C1 also for C1-shaped nets on other data), or null. */
export function paperRow(net: string): PaperRow | null {
  return (PAPER_NUMBERS as Record<string, PaperRow>)[net] ?? null;
}
