// TensorFlow.js reference for the benchmarks: the Wasm backend (XNNPACK) with its SIMD binary,
// no threads, one thread — the configuration lbgap's single-threaded kernels compare against.
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

/** Imports tfjs-core and the Wasm backend from `root`/node_modules, selects it; returns { tf, tfwasm }. */
export async function initTfjsWasm(root) {
  const tf = await import('@tensorflow/tfjs-core');
  const tfwasm = await import('@tensorflow/tfjs-backend-wasm');
  if (tf.getBackend() === 'wasm') return { tf, tfwasm };
  const tfDist = path.join(root, 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist') + path.sep;
  tfwasm.setWasmPaths({
    'tfjs-backend-wasm.wasm': tfDist + 'tfjs-backend-wasm.wasm',
    'tfjs-backend-wasm-simd.wasm': tfDist + 'tfjs-backend-wasm-simd.wasm',
    'tfjs-backend-wasm-threaded-simd.wasm': tfDist + 'tfjs-backend-wasm-threaded-simd.wasm',
  });
  tf.env().set('WASM_HAS_SIMD_SUPPORT', true);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  tfwasm.setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('TF.js wasm backend failed to initialize');
  await tf.ready();
  return { tf, tfwasm };
}

/**
 * tfjs-core's Node bundle registers no gradients, and its ESM files (which do, through
 * dist/register_all_gradients.js) use extensionless imports Node cannot resolve. Bundle that
 * one module with rolldown (installed with vitest); it registers into tfjs's global registry.
 */
let gradientsRegistered = null;
export function registerTfGradients(root) {
  gradientsRegistered ??= bundleAndRegisterGradients(root);
  return gradientsRegistered;
}

async function bundleAndRegisterGradients(root) {
  const { build } = await import('rolldown');
  const file = path.join(os.tmpdir(), `lbgap-tf-grads-${process.pid}.mjs`);
  await build({
    input: path.join(root, 'node_modules', '@tensorflow', 'tfjs-core', 'dist', 'register_all_gradients.js'),
    output: { file, format: 'esm', codeSplitting: false }, platform: 'node', logLevel: 'silent',
  });
  await import(pathToFileURL(file).href);
}
