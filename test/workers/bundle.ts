// Node worker_threads cannot run TypeScript: tests bundle src/workers/worker.ts (with its
// imports and Comlink) into one ESM file with rolldown (vite's bundler, already installed
// with vitest), once per test process. The bundle sits two levels below the repo root so the
// kernel loader's relative URL to build/ still resolves.
import { mkdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

let cached: Promise<URL> | null = null;

export function workerBundle(): Promise<URL> {
  cached ??= (async () => {
    const { build } = await import('rolldown');
    const dir = fileURLToPath(new URL('../../test-results/workers/', import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}worker-${process.pid}.mjs`;
    await build({
      input: fileURLToPath(new URL('../../src/workers/worker.ts', import.meta.url)),
      output: { file, format: 'esm', codeSplitting: false },
      platform: 'node',
      logLevel: 'silent',
    });
    return pathToFileURL(file);
  })();
  return cached;
}
