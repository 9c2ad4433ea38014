#!/usr/bin/env node
// The lbgap command. Node 20 ships relaxed SIMD behind a flag; setting it before any Wasm is
// compiled lets the kernel loader pick the faster FMA build (later Node versions have it on).
import v8 from 'node:v8';

if (Number(process.versions.node.split('.')[0]) === 20) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
let main;
try {
  ({ main } = await import('../dist/cli/main.js'));
} catch (e) {
  // One line, as for every other failure (LBGAP_DEBUG=1 shows the stack).
  const missing = e?.code === 'ERR_MODULE_NOT_FOUND' && String(e.message).includes('dist');
  process.stderr.write(missing
    ? 'lbgap: the compiled CLI (dist/cli/main.js) is missing; run `npm run build` first\n'
    : `lbgap: the compiled CLI in dist/ does not load (${String(e?.message ?? e).split('\n')[0]}); rebuild it with \`npm run build\`\n`);
  if (process.env.LBGAP_DEBUG) process.stderr.write(`${e?.stack ?? e}\n`);
  process.exit(1);
}
process.exitCode = await main(process.argv.slice(2));
