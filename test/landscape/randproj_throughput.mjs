// Quick throughput measurement of the random-subspace kernels (not part of the suite):
//   node --experimental-wasm-relaxed-simd test/landscape/randproj_throughput.mjs [n] [p]
// Reports generated matrix entries per second (each call generates n·p entries).
import { readFile } from 'node:fs/promises';

const n = Number(process.argv[2] ?? 1 << 20), p = Number(process.argv[3] ?? 100);
for (const [name, file] of [['simd', 'lbgap.simd.wasm'], ['relaxed-simd', 'lbgap.relaxed.wasm']]) {
  const bytes = await readFile(new URL(`../../build/${file}`, import.meta.url));
  if (!WebAssembly.validate(bytes)) { console.log(`${name}: not supported by this engine`); continue; }
  const need = (n * 4 * 2 + p * p * 8 + 1e6) / 65536;
  const memory = new WebAssembly.Memory({ initial: Math.ceil(need) + 4 });
  const { instance } = await WebAssembly.instantiate(bytes, { env: { memory, kernel_abort_host() { throw new Error('abort'); } } });
  const e = instance.exports;
  const base = Math.ceil(e.heap_base() / 64) * 64;
  const y = base, out = y + Math.ceil(p * 4 / 64) * 64, g = out + n * 4, G = g + n * 4, work = G + p * p * 8;
  const f = new Float32Array(memory.buffer);
  for (let i = 0; i < n; i++) f[(g >> 2) + i] = Math.sin(i);
  for (let i = 0; i < p; i++) f[(y >> 2) + i] = Math.cos(i);
  const time = (fn, reps) => { fn(); const t0 = performance.now(); for (let r = 0; r < reps; r++) fn(); return (performance.now() - t0) / reps / 1000; };
  const ta = time(() => e.randproj_apply_f32(7, n, p, y, out, 0), 3);
  const tt = time(() => e.randproj_apply_t_f32(7, n, p, g, out), 3);
  const tg = time(() => e.randproj_gram_f64(7, n, p, G, work), 1);
  const fmt = (t) => `${(t * 1e3).toFixed(1)} ms, ${(n * p / t / 1e9).toFixed(2)} G entries/s`;
  console.log(`${name} n=${n} p=${p}: apply ${fmt(ta)} | apply_t ${fmt(tt)} | gram ${fmt(tg)} (${(n * p * p / tg / 1e9).toFixed(2)} G f64 multiply-adds/s)`);
}
