#!/usr/bin/env node
// The lbgap command. Node 20 ships relaxed SIMD behind a flag; setting it before any Wasm is
// compiled lets the kernel loader pick the faster FMA build (later Node versions have it on).
import v8 from 'node:v8';

if (Number(process.versions.node.split('.')[0]) === 20) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (e) {
  if (e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist')) {
    process.stderr.write('lbgap: the compiled CLI (dist/cli/main.js) is missing; run `npm run build` first\n');
    process.exit(1);
  }
  throw e;
}
process.exitCode = await main(process.argv.slice(2));
