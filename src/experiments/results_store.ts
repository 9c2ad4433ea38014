// A run's results file in a Store (results.json of an experiment or of a φ study), for every
// runner alike (runner_core.ts, phi_study_runner.ts). Opening it: a new run refuses a file that
// is already there and starts a fresh one; a resume reads it back, checks that it was written
// for the same spec and shard, and marks it running again with its failures cleared (failed
// jobs run again). Saving it: every save is chained after the ones asked for before it, so
// jobs that finish at once write the file one after another and the last write holds the last
// state; each write is atomic (store.ts: FileStore writes a temporary file, fsyncs and renames
// it; OPFS commits a swap file). What differs between runners comes in as callbacks: how the
// file is parsed, what a fresh one holds, what is sorted or summarized before every write.
import type { Store } from '../train/store.js';
import { ExperimentError } from './job.js';
import type { Shard } from './jobs.js';
import { ResultsError, type JobFailure } from './results.js';

export const RESULTS_FILE = 'results.json';

/** What opening and saving touch in a results file (ResultsFile, PhiStudyResults). */
export interface RunResultsFile {
  spec: unknown;
  shard: Shard | null;
  status: 'running' | 'interrupted' | 'complete' | 'failed';
  failures?: JobFailure[];
  timings: { finished: string | null };
}

export interface OpenResultsOptions<R extends RunResultsFile> {
  store: Store;
  /** The spec of this run: a resumed file must hold the same (compared as JSON). */
  spec: unknown;
  shard: Shard | null;
  /** Continue the file in the store (it must exist); otherwise it must not exist yet. */
  resume: boolean;
  /** Reads the file's text (`file`: how errors name it); throws ResultsError if it is not a results file of its kind. */
  parse(text: string, file: string): R;
  /** A new run's results (called once the file is known not to exist). */
  fresh(): R | Promise<R>;
  /** Before every write: the runner's sorting and summaries. */
  prepare?(results: R): void;
  /** After every write (the file as written; read-only). */
  saved?(results: R): void;
}

export interface OpenResults<R extends RunResultsFile> {
  /** The results, changed in place by the runner and written by save(). */
  readonly results: R;
  /** How messages name the file (FileStore: its path). */
  readonly file: string;
  /** Writes the file after every save asked for before; resolves once this one is written. */
  save(): Promise<void>;
  /** Records a failed job (the file lists this session's failures sorted by job) and saves. */
  fail(failure: JobFailure): Promise<void>;
  /** This session's failed jobs, sorted by job. */
  failures(): JobFailure[];
  /** Sets the final status ('interrupted' if stopped, else 'failed' if a job failed, else 'complete', with its time) and saves. */
  finish(stopped: boolean): Promise<void>;
}

/** Opens the results file of a run in `opts.store` (see the top of this file); nothing is written until save(). */
export async function openResults<R extends RunResultsFile>(opts: OpenResultsOptions<R>): Promise<OpenResults<R>> {
  const { store, shard } = opts;
  const file = store.where(RESULTS_FILE);
  let results: R;
  if (opts.resume) {
    const bytes = await store.read(RESULTS_FILE);
    if (!bytes) throw new ExperimentError(`--resume: ${file} does not exist (nothing to resume)`);
    results = opts.parse(new TextDecoder().decode(bytes), file);
    if (JSON.stringify(results.spec) !== JSON.stringify(opts.spec)) throw new ResultsError(file, 'was written for a different spec than the one given; resume with the same spec (or use another --out)');
    if (JSON.stringify(results.shard) !== JSON.stringify(shard)) throw new ResultsError(file, `holds shard ${JSON.stringify(results.shard)}, not ${JSON.stringify(shard)}`);
    results.status = 'running';
    // Failed jobs run again.
    delete results.failures;
  } else {
    if (await store.has(RESULTS_FILE)) throw new ExperimentError(`${file} already exists: pass --resume to continue it, or choose another --out`);
    results = await opts.fresh();
  }
  const failures: JobFailure[] = [];
  const sorted = () => failures.slice().sort((a, b) => a.job - b.job);
  let saving: Promise<void> = Promise.resolve();
  const save = () => {
    saving = saving.then(async () => {
      opts.prepare?.(results);
      if (failures.length) results.failures = sorted();
      await store.write(RESULTS_FILE, new TextEncoder().encode(JSON.stringify(results, null, 1) + '\n'));
      opts.saved?.(results);
    });
    return saving;
  };
  return {
    results, file, save, failures: sorted,
    fail: (failure) => { failures.push(failure); return save(); },
    finish: (stopped) => {
      results.status = stopped ? 'interrupted' : failures.length ? 'failed' : 'complete';
      if (results.status === 'complete') results.timings.finished = new Date().toISOString();
      return save();
    },
  };
}
