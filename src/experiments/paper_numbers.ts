// The paper's numbers for the networks lbgap ships, shown beside measured ones in REPORT.md.
// Source: Keskar et al., ICLR 2017 (arXiv 1609.04836), Table 2 (accuracy, %), Table 3
// (sharpness φ, full space) and Table 4 (φ on a random 100-dimensional manifold), as
// transcribed into /work/shared/PAPER.md (F1 test accuracy and F1 full-space φ at 1e-3) and,
// for the other F1 cells, from the paper's tables as recalled when this file was written —
// those are flagged `transcribed: 'recalled'` and the report says to check them against
// the paper. Mean ± std over the paper's 5 trials.

export interface PaperValue { mean: number; std: number | null; transcribed: 'PAPER.md' | 'recalled' }

export interface PaperRow {
  trainAcc?: { sb: PaperValue; lb: PaperValue };
  testAcc?: { sb: PaperValue; lb: PaperValue };
  /** Keyed like SummaryRow.sharpness: `full@0.001`, `random@0.0005`… */
  sharpness?: Record<string, { sb: PaperValue; lb: PaperValue }>;
}

const pm = (mean: number): PaperValue => ({ mean, std: null, transcribed: 'PAPER.md' });
const rc = (mean: number, std: number): PaperValue => ({ mean, std, transcribed: 'recalled' });

export const PAPER_NUMBERS: Record<string, PaperRow> = {
  F1: {
    trainAcc: { sb: rc(99.66, 0.05), lb: rc(99.92, 0.01) },
    testAcc: { sb: pm(98.0), lb: pm(97.8) },
    sharpness: {
      'full@0.001': { sb: pm(1.2), lb: pm(230) },
      'full@0.0005': { sb: rc(0.61, 0.27), lb: rc(46.85, 1.64) },
      'random@0.001': { sb: rc(0.11, 0.0), lb: rc(9.22, 0.56) },
      'random@0.0005': { sb: rc(0.05, 0.0), lb: rc(9.17, 0.14) },
    },
  },
};
