// Progress with ETA on stderr: a redrawn bar when stderr is a terminal — with one line per
// running job when jobs run concurrently — and plain lines otherwise (logs, CI, pipes). Work
// is counted in estimated cost units (see job.ts), so the ETA weighs an epoch and a
// sharpness measurement by what they cost.

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
  /** The label of every running job, by slot (concurrent jobs; empty: one job, `label`). */
  private readonly slots = new Map<number, string>();
  /** Lines of the bar block on screen (the cursor is on its last line). */
  private drawn = 1;

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

  /** Advances by `units` while a step runs (redraws the bar only; no line); `slot`: the concurrent job's. */
  advance(units: number, label = this.label, slot?: number): void {
    this.done += units;
    if (slot === undefined) this.label = label; else this.slots.set(slot, label);
    if (this.sink?.isTTY && this.now() - this.lastDraw > 200) this.draw();
  }

  /** The job in `slot` finished: its line goes away. */
  endSlot(slot: number): void {
    this.slots.delete(slot);
  }

  /** Moves to the first line of the drawn block and clears it. */
  private clear(): string {
    return this.drawn > 1 ? `\x1b[${this.drawn - 1}A\r\x1b[J` : '\r\x1b[K';
  }

  /** Advances and reports a finished event: a line (plain) or a line above the bar (TTY). */
  event(units: number, line: string): void {
    this.done += units;
    if (!this.sink) return;
    const tail = `  [${(100 * this.fraction).toFixed(0)}%, ETA ${formatDuration(this.eta())}]`;
    if (this.sink.isTTY) { this.sink.write(`${this.clear()}${line}${tail}\n`); this.drawn = 1; this.draw(); }
    else this.sink.write(`${line}${tail}\n`);
  }

  private draw(): void {
    if (!this.sink) return;
    this.lastDraw = this.now();
    const width = 30, filled = Math.round(this.fraction * width);
    const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${(100 * this.fraction).toFixed(1)}%  ETA ${formatDuration(this.eta())}`;
    const lines = this.slots.size === 0 ? [`${bar}  ${this.label}`] : [bar, ...[...this.slots.keys()].sort((a, b) => a - b).map((k) => `  ${this.slots.get(k)}`)];
    this.sink.write(this.clear() + lines.join('\n'));
    this.drawn = lines.length;
  }

  /** Clears the bar (TTY). */
  finish(): void {
    if (this.sink?.isTTY) { this.sink.write(this.clear()); this.drawn = 1; }
  }
}
