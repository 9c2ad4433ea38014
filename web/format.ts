// The page's number formats, one place for all of them so the table, the status line, the
// progress bars, the warnings and the plot summaries agree: accuracy in % with two decimals,
// cross-entropy with four significant digits, φ with three decimals (one above 10), counts
// with thousands separators, durations in s / min / h.

const INT = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** 12345 → "12,345". */
export const fmtInt = (v: number): string => (Number.isFinite(v) ? INT.format(v) : '–');

/** 0.97314 → "97.31 %"; null/undefined/NaN → "–". */
export const fmtPct = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : `${(100 * v).toFixed(2)} %`);

/** Cross-entropy: four significant digits ("0.4123", "2.303", "12.35"). */
export const fmtLoss = (v: number | null | undefined): string => {
  if (v === null || v === undefined) return '–';
  if (!Number.isFinite(v)) return String(v);
  return Math.abs(v) >= 1e4 ? v.toExponential(3) : v.toPrecision(4);
};

/** Sharpness φ (percent, §2.2 of the paper): "0.123", "12.3". */
export const fmtPhi = (v: number | null | undefined): string => (v === null || v === undefined || !Number.isFinite(v) ? '–' : v < 10 ? v.toFixed(3) : v.toFixed(1));

/** Seconds → "0.4 s", "42 s", "3 min 05 s", "2 h 10 min"; null/NaN/∞ → "–". */
export function fmtDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.round((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** A learning rate or ε as written in a form: "0.001", "1e-9", "1e+9". */
export const fmtSci = (v: number): string => (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5) ? v.toExponential().replace(/\.?0+e/, 'e') : String(v));
