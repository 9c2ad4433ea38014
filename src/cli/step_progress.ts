// Progress within a training epoch on a terminal: one redrawn status line (step, samples/s,
// ETA of the epoch), drawn at most every 200 ms and erased before the epoch's own line. On a
// pipe or a log file nothing is drawn: those get exactly one line per epoch.
import { formatDuration, type ProgressSink } from '../experiments/progress.js';

export class StepProgress {
  private t0 = 0;
  private samples = 0;
  private lastDraw = 0;
  private shown = false;

  constructor(private readonly sink: ProgressSink | null, private readonly now: () => number = () => performance.now()) {}

  /** A step of `batch` samples finished: `step` of `steps` in epoch `epoch` of `epochs`. */
  step(epoch: number, epochs: number, step: number, steps: number, batch: number): void {
    if (!this.sink?.isTTY) return;
    const t = this.now();
    // Timing starts at the end of the epoch's first step (its start is not observed).
    if (step === 1) { this.t0 = t; this.samples = 0; } else this.samples += batch;
    if (t - this.lastDraw < 200 && step !== steps) return;
    this.lastDraw = t;
    const seconds = (t - this.t0) / 1000;
    const rate = seconds > 0 ? this.samples / seconds : 0;
    const eta = step > 1 && seconds > 0 ? (seconds / (step - 1)) * (steps - step) : NaN;
    this.sink.write(`\r\x1b[2Kepoch ${epoch}/${epochs}  step ${step}/${steps}  ${Math.round(rate).toLocaleString('en-US')} samples/s  ETA ${formatDuration(eta)}`);
    this.shown = true;
  }

  /** Erases the status line (before a regular line is printed). */
  clear(): void {
    if (this.shown) { this.sink!.write('\r\x1b[2K'); this.shown = false; }
  }
}
