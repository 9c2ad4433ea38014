// Child processes and worker threads cannot run the TypeScript sources: the CLI and the job
// worker are bundled with rolldown (as test/workers/bundle.ts does for the training worker)
// two levels below the repo root, so the kernel loader's relative URL to build/ resolves.
// vega/vega-lite stay external (node_modules).
import { mkdirSync, renameSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('../../test-results/experiments/', import.meta.url));

/**
 * Bundles `entry` (a path from the repo root) into test-results/experiments/`name`; written
 * under a temporary name and renamed, since test processes may share the file.
 */
async function bundle(entry: string, name: string, external: (string | RegExp)[] = []): Promise<URL> {
  const { build } = await import('rolldown');
  mkdirSync(dir, { recursive: true });
  const tmp = `${dir}${name}.${process.pid}.tmp.mjs`;
  await build({
    input: fileURLToPath(new URL(`../../${entry}`, import.meta.url)),
    output: { file: tmp, format: 'esm', codeSplitting: false },
    platform: 'node', external, logLevel: 'silent',
  });
  renameSync(tmp, `${dir}${name}`);
  return pathToFileURL(`${dir}${name}`);
}

let worker: Promise<URL> | null = null;

/** The job worker (src/experiments/job_worker.ts), at job_worker.js: where the bundled runner looks for it by default. */
export function jobWorkerBundle(): Promise<URL> {
  worker ??= bundle('src/experiments/job_worker.ts', 'job_worker.js');
  return worker;
}

let phiWorker: Promise<URL> | null = null;

/** The φ-study worker (src/experiments/phi_study_worker.ts), at phi_study_worker.js beside the bundled CLI. */
export function phiStudyWorkerBundle(): Promise<URL> {
  phiWorker ??= bundle('src/experiments/phi_study_worker.ts', 'phi_study_worker.js');
  return phiWorker;
}

let cli: Promise<string> | null = null;

/** The file URL of the bundled src/cli/main.ts (exports `main`), with the job worker beside it (`--jobs N`). */
export function cliBundle(): Promise<string> {
  cli ??= (async () => {
    await jobWorkerBundle();
    return (await bundle('src/cli/main.ts', `cli-${process.pid}.mjs`, ['vega', 'vega-lite', 'comlink', /^comlink\//])).href;
  })();
  return cli;
}

/** `node -e` arguments that run the bundled CLI with argv. */
export async function cliArgs(argv: string[]): Promise<string[]> {
  const url = await cliBundle();
  return ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e',
    `const { main } = await import(${JSON.stringify(url)}); process.exitCode = await main(process.argv.slice(1));`, ...argv];
}
