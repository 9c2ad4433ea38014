// `lbgap bench <suite> [args…]`: runs one of the repository's benchmark scripts (bench/*.mjs)
// with Node in a child process from the package root, stdio inherited, the arguments passed
// through and the child's exit code returned. The scripts stay plain .mjs files (each re-runs
// itself under the relaxed-SIMD flag where Node needs it), so `npm run bench:*` and this
// command run the same code.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError, type CommandSpec } from './args.js';
import type { Io } from './io.js';
import { didYouMean } from './suggest.js';

const PROGRAM = 'lbgap';

export interface BenchStage {
  /** Script path relative to the package root. */
  script: string;
  /** Arguments always given to the script, before the user's. */
  args: readonly string[];
}

export interface BenchSuite {
  name: string;
  summary: string;
  stages: readonly BenchStage[];
  /** Whether the user's arguments are passed through (only for single-script suites). */
  passArgs: boolean;
}

export const BENCH_SUITES: readonly BenchSuite[] = [
  { name: 'gemm', summary: 'GEMM GFLOP/s, both lbgap builds vs TF.js Wasm (bench/results/gemm.json)', stages: [{ script: 'bench/gemm.bench.mjs', args: [] }], passArgs: true },
  { name: 'step', summary: 'training-step samples/s against batch size, in-thread and worker pools, F1 and C1-mnist (bench/results/step.json)', stages: [{ script: 'bench/step.bench.mjs', args: [] }], passArgs: true },
  { name: 'conv', summary: "C1's conv layers: fwd, bwd-data, bwd-filter GFLOP/s vs TF.js Wasm (bench/results/conv.json)", stages: [{ script: 'bench/conv.bench.mjs', args: [] }], passArgs: true },
  {
    name: 'train',
    summary: 'F1 step cost at batch 256 and 6000 with the TF.js reference (bench/results/train.json), then the conv suite',
    stages: [
      { script: 'bench/step.bench.mjs', args: ['--nets', 'F1', '--sizes', '256,6000', '--workers', '1', '--out', 'bench/results/train.json', '--svg', 'bench/results/train.svg'] },
      { script: 'bench/conv.bench.mjs', args: [] },
    ],
    passArgs: false,
  },
  { name: 'sharpness', summary: 'time of one sharpness φ evaluation for F1 and random-projection kernel throughput (bench/results/sharpness.json)', stages: [{ script: 'bench/sharpness.bench.mjs', args: [] }], passArgs: true },
];

export const BENCH_COMMAND: CommandSpec = {
  name: 'bench',
  summary: 'run a benchmark suite (gemm, step, conv, train, sharpness) from the package root; needs `npm run build`',
  flags: [],
};

/** A failure to start a suite (its script missing) or a child killed by a signal. */
export class BenchError extends Error {
  override name = 'BenchError';
}

export function benchUsage(): string {
  const w = Math.max(...BENCH_SUITES.map((s) => s.name.length)) + 4;
  return [
    `Usage: ${PROGRAM} bench <suite> [args…]`,
    '',
    BENCH_COMMAND.summary + '.',
    'Arguments after the suite go to its script (not for train); `<suite> --help` shows its options.',
    '',
    'Suites:',
    ...BENCH_SUITES.map((s) => `  ${s.name.padEnd(w)}${s.summary}`),
    '',
    'Options:',
    '  -h, --help    show this help',
  ].join('\n');
}

/** Runs `node script args…` in `cwd` with inherited stdio; resolves to its exit code (null: killed by `signal`). */
export type ScriptRunner = (script: string, args: readonly string[], cwd: string) => Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

export const runNodeScript: ScriptRunner = (script, args, cwd) => new Promise((resolve, reject) => {
  const child = spawn(process.execPath, [script, ...args], { cwd, stdio: 'inherit' });
  child.on('error', reject);
  child.on('exit', (code, signal) => resolve({ code, signal }));
});

/** The package root: this file is dist/cli/bench_command.js or src/cli/bench_command.ts. */
export function packageRoot(): string {
  return fileURLToPath(new URL('../../', import.meta.url));
}

/** The script's leading comment (its documentation: what it measures and its options). */
function scriptHeader(file: string): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    if (line.startsWith('#!')) continue;
    if (!line.startsWith('//')) break;
    out.push(line.replace(/^\/\/ ?/, ''));
  }
  return out.join('\n');
}

export interface BenchOptions {
  root?: string;
  run?: ScriptRunner;
}

export async function benchCommand(argv: readonly string[], io: Io, options: BenchOptions = {}): Promise<number> {
  const root = options.root ?? packageRoot();
  const run = options.run ?? runNodeScript;
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') { io.out(benchUsage()); return 0; }
  if (name === undefined) throw new UsageError('missing the suite to run', benchUsage());
  const suite = BENCH_SUITES.find((s) => s.name === name);
  if (!suite) throw new UsageError(`unknown suite ${JSON.stringify(name)}${didYouMean(name, BENCH_SUITES.map((s) => s.name))}; expected one of ${BENCH_SUITES.map((s) => s.name).join(', ')}`, benchUsage());
  for (const stage of suite.stages) {
    if (!existsSync(join(root, stage.script))) {
      throw new BenchError(`${stage.script} not found under ${root}: the benchmark scripts ship with the source repository (git clone, npm install, npm run build), not with the npm package`);
    }
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(`Usage: ${PROGRAM} bench ${suite.name}${suite.passArgs ? ' [args…]' : ''}\n`);
    for (const stage of suite.stages) {
      io.out(`${stage.script}${stage.args.length ? ` ${stage.args.join(' ')}` : ''}:\n${scriptHeader(join(root, stage.script))}\n`);
    }
    return 0;
  }
  if (!suite.passArgs && rest.length) {
    throw new UsageError(`suite '${suite.name}' takes no arguments (got ${rest.map((a) => JSON.stringify(a)).join(' ')}); run its stages' suites (step, conv) for options`, benchUsage());
  }
  for (const stage of suite.stages) {
    const { code, signal } = await run(stage.script, [...stage.args, ...rest], root);
    if (signal) throw new BenchError(`${stage.script} was killed by ${signal}`);
    if (code !== 0) return code ?? 1;
  }
  return 0;
}
