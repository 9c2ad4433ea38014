// What a command prints, by one rule for every command (README, "Output"):
//
//   stdout carries the result: its human-readable lines, or with --json one JSON document
//   and nothing else (the record --out would write; README lists it per command);
//   stderr carries progress, warnings and errors — and, with --json, the human-readable lines.
//   --quiet drops progress and the running commentary (the start line, one line per epoch
//   or job): what remains is the result, warnings and errors.
//
// Commands say which kind each line is (`info`, `out`, `warn`, `json`); this class applies
// the rule, so no command decides it on its own.
import { stderrSink, type ProgressSink } from '../experiments/progress.js';
import { defineFlags } from './args.js';
import type { Io } from './io.js';

/** --quiet and --json, in every command's flag table. */
export const OUTPUT_FLAGS = defineFlags([
  { name: 'quiet', type: 'boolean', help: 'no progress and no running commentary (start line, per-epoch and per-job lines): only the result, warnings and errors' },
  { name: 'json', type: 'boolean', help: 'print the result as one JSON document on stdout; the human-readable lines go to stderr' },
]);

export interface OutputMode {
  quiet: boolean;
  json: boolean;
}

export class Output implements Io {
  /** Where progress is drawn (a terminal only), or null with --quiet. */
  readonly progress: ProgressSink | null;

  constructor(private readonly io: Io, readonly command: string, readonly mode: OutputMode, sink: ProgressSink | null = stderrSink) {
    this.progress = mode.quiet ? null : sink;
  }

  /** The output of `command` under the flags' --quiet and --json (absent: off). */
  static of(io: Io, command: string, flags: object, sink?: ProgressSink | null): Output {
    const f = flags as { quiet?: unknown; json?: unknown };
    return io instanceof Output ? io : new Output(io, command, { quiet: f.quiet === true, json: f.json === true }, sink);
  }

  /** A line of the result (accuracies, φ, eigenvalues, which files were written). */
  out(line: string): void {
    if (!this.mode.json) this.io.out(line);
    else if (!this.mode.quiet) this.io.err(line);
  }

  /** Running commentary: the start line, a line per epoch or job. */
  info(line: string): void {
    if (this.mode.quiet) return;
    if (this.mode.json) this.io.err(line);
    else this.io.out(line);
  }

  /** A questionable setting or a deprecated spelling; shown even with --quiet. */
  warn(message: string): void {
    this.io.err(`lbgap ${this.command}: warning: ${message}`);
  }

  /** Errors and notes that belong on stderr whatever the mode (Ctrl-C, failed jobs). */
  err(line: string): void {
    this.io.err(line);
  }

  /** The result as JSON: printed (alone on stdout) only with --json. */
  json(value: unknown): void {
    if (this.mode.json) this.io.out(JSON.stringify(value, null, 2));
  }

  /** A result that is JSON in every mode (--dump-spec): on stdout whatever --json and --quiet say. */
  document(value: unknown): void {
    this.io.out(JSON.stringify(value, null, 2));
  }
}
