#!/usr/bin/env node
// The lbgap command. Node 20 ships relaxed SIMD behind a flag; setting it before any Wasm is
// compiled lets the kernel loader pick the faster FMA build (later Node versions have it on).
import v8 from 'node:v8';

if (Number(process.versions.node.split('.')[0]) === 20) v8.setFlagsFromString('--experimental-wasm-relaxed-simd');
const { main } = await import('../dist/cli/main.js');
process.exitCode = await main(process.argv.slice(2));
