// Progress with ETA on stderr: a redrawn bar when stderr is a terminal, plain lines
// otherwise (logs, CI, pipes). Work is counted in estimated cost units (see runner.ts), so
// the ETA weighs an epoch and a sharpness measurement by what they cost.

export interface ProgressSink {
  isTTY: boolean;
  write(text: string): void;
}

export const stderrSink: ProgressSink = {
  get isTTY() { return Boolean(process.stderr.isTTY); },
  write: (text) => { process.stderr.write(text); },
};

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  private done = 0;
  private readonly t0: number;
  private lastDraw = 0;
  private label = '';

  constructor(private total: number, private readonly sink: ProgressSink | null, private readonly now: () => number = () => performance.now()) {
    this.t0 = now();
  }

  /** Work left to do changed (e.g. resumed jobs were skipped). */
  setTotal(total: number): void { this.total = Math.max(total, this.done); }

  get fraction(): number { return this.total > 0 ? Math.min(1, this.done / this.total) : 1; }

  eta(): number {
    const elapsed = (this.now() - this.t0) / 1000;
    return this.done > 0 ? (elapsed / this.done) * Math.max(0, this.total - this.done) : NaN;
  }

  /** Advances by `units` while a step runs (redraws the bar only; no line). */
  advance(units: number, label = this.label): void {
    this.done += units; this.label = label;
    if (this.sink?.isTTY && this.now() - this.lastDraw > 200) this.draw();
  }

  /** Advances and reports a finished event: a line (plain) or a line above the bar (TTY). */
  event(units: number, line: string): void {
    this.done += units;
    if (!this.sink) return;
    const tail = `  [${(100 * this.fraction).toFixed(0)}%, ETA ${formatDuration(this.eta())}]`;
    if (this.sink.isTTY) { this.sink.write(`\r\x1b[K${line}${tail}\n`); this.draw(); }
    else this.sink.write(`${line}${tail}\n`);
  }

  private draw(): void {
    if (!this.sink) return;
    this.lastDraw = this.now();
    const width = 30, filled = Math.round(this.fraction * width);
    this.sink.write(`\r\x1b[K[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(100 * this.fraction).toFixed(1)}%  ETA ${formatDuration(this.eta())}  ${this.label}`);
  }

  /** Clears the bar line (TTY). */
  finish(): void {
    if (this.sink?.isTTY) this.sink.write('\r\x1b[K');
  }
}
