// Progress of one phase of a page run (data, training, analysis) in work units, with an ETA
// from the phase's own active time: a phase runs in stretches (seed 0's training, its
// analysis, seed 1's training…) and pauses (Stop), so only time spent in it counts.

export type PhaseName = 'data' | 'training' | 'analysis';
export type PhaseState = 'waiting' | 'running' | 'paused' | 'done' | 'cancelled';

/** What the page shows of a phase (and what a run reports, as its progress event). */
export interface PhaseProgress {
  phase: PhaseName;
  state: PhaseState;
  /** 0…1 of the phase's work. */
  fraction: number;
  /** Seconds left at the rate so far (null before anything is done). */
  etaSeconds: number | null;
  /** Active seconds so far. */
  seconds: number;
  /** What runs now, in words ("SB seed 0: epoch 2/5, step 17/24"). */
  detail: string;
}

export class PhaseClock {
  private done = 0;
  private active = 0;
  private since: number | null = null;
  state: PhaseState = 'waiting';
  detail = '';

  constructor(readonly phase: PhaseName, private total: number, private readonly now: () => number = () => performance.now()) {
    if (!(total >= 0)) throw new RangeError(`${phase}: total work must be ≥ 0, got ${total}`);
  }

  /** Changes the total (the data phase learns it from the first response headers). */
  setTotal(total: number): void { this.total = Math.max(total, this.done); }

  /** The phase runs (again). */
  run(detail = this.detail): void {
    if (this.since === null) this.since = this.now();
    this.state = 'running';
    this.detail = detail;
  }

  /** The phase stops running for now: `state` says why (paused by Stop, waiting for the next seed, done, cancelled). */
  halt(state: Exclude<PhaseState, 'running'>): void {
    if (this.since !== null) this.active += this.now() - this.since;
    this.since = null;
    this.state = state;
  }

  advance(units: number, detail = this.detail): void {
    this.done = Math.min(this.total, this.done + units);
    this.detail = detail;
  }

  /** Sets the work done to `units` (never backwards). */
  reach(units: number, detail = this.detail): void {
    this.done = Math.min(this.total, Math.max(this.done, units));
    this.detail = detail;
  }

  finish(detail = this.detail): void {
    this.done = this.total;
    this.halt('done');
    this.detail = detail;
  }

  get seconds(): number { return (this.active + (this.since === null ? 0 : this.now() - this.since)) / 1000; }

  view(): PhaseProgress {
    const fraction = this.total > 0 ? this.done / this.total : this.state === 'done' ? 1 : 0;
    const s = this.seconds;
    const etaSeconds = this.state === 'done' ? 0 : this.done > 0 && s > 0 ? (s / this.done) * (this.total - this.done) : null;
    return { phase: this.phase, state: this.state, fraction, etaSeconds, seconds: s, detail: this.detail };
  }
}
