import { defineConfig } from 'vitest/config';

// Test workers run with relaxed SIMD enabled so both builds are tested in-process
// (Node 20 needs the flag; newer engines ignore it). The fallback to plain SIMD when
// the engine lacks relaxed SIMD is tested in a child process without the flag.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    execArgv: ['--experimental-wasm-relaxed-simd'],
    // The JSON report is what .ci/run counts (it prints `tests: N passed, M failed`).
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
