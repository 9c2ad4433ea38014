// Child processes cannot run the TypeScript sources: the CLI is bundled with rolldown (as
// test/workers/bundle.ts does for the worker) two levels below the repo root, so the kernel
// loader's relative URL to build/ resolves. vega/vega-lite stay external (node_modules).
import { mkdirSync, renameSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

let cached: Promise<string> | null = null;

/** The file URL of the bundled src/cli/main.ts (exports `main`). */
export function cliBundle(): Promise<string> {
  cached ??= (async () => {
    const { build } = await import('rolldown');
    const dir = fileURLToPath(new URL('../../test-results/experiments/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}cli-${process.pid}.mjs`;
    await build({
      input: fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url)),
      output: { file, format: 'esm', codeSplitting: false },
      platform: 'node',
      external: ['vega', 'vega-lite', 'comlink', /^comlink\//],
      logLevel: 'silent',
    });
    // The runner starts job workers from ./job_worker.js beside itself (`--jobs N`): bundle it
    // there too (written under a temporary name and renamed: test processes share the file).
    const worker = `${dir}job-worker-${process.pid}.tmp.mjs`;
    await build({ input: fileURLToPath(new URL('../../src/experiments/job_worker.ts', import.meta.url)), output: { file: worker, format: 'esm', codeSplitting: false }, platform: 'node', logLevel: 'silent' });
    renameSync(worker, `${dir}job_worker.js`);
    return pathToFileURL(file).href;
  })();
  return cached;
}

/** `node -e` arguments that run the bundled CLI with argv. */
export async function cliArgs(argv: string[]): Promise<string[]> {
  const url = await cliBundle();
  return ['--experimental-wasm-relaxed-simd', '--input-type=module', '-e',
    `const { main } = await import(${JSON.stringify(url)}); process.exitCode = await main(process.argv.slice(1));`, ...argv];
}
