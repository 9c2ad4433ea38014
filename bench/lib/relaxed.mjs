// Node 20 runs relaxed SIMD only behind a V8 flag: a bench script calls this first, and if the
// engine rejects `wasmFile` it re-runs itself once under the flag (same args, stdio inherited)
// and exits with the child's status. Returns only when relaxed SIMD already validates.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const RELAXED_SIMD_FLAG = '--experimental-wasm-relaxed-simd';

export function rerunWithRelaxedSimd(scriptPath, wasmFile) {
  if (WebAssembly.validate(readFileSync(wasmFile))) return;
  if (process.env.LBGAP_BENCH_CHILD) {
    console.error(`this Node (${process.version}) rejects relaxed SIMD even with ${RELAXED_SIMD_FLAG}`);
    process.exit(2);
  }
  const r = spawnSync(process.execPath, [RELAXED_SIMD_FLAG, ...process.execArgv, scriptPath, ...process.argv.slice(2)],
    { stdio: 'inherit', env: { ...process.env, LBGAP_BENCH_CHILD: '1' } });
  process.exit(r.status ?? 1);
}
