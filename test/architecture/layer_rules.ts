// The layer table of DESIGN.md (and the README's architecture section) as data, and the rule
// that checks a list of imports against it. Data flows down: a layer may import the layers it
// lists and, except cli/ and web/ (which stay thin), whatever those may import in turn.
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';

/** What each layer lists in the table ('util' and 'serve' are leaves the table leaves out). */
export const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  assembly: [],
  kernels: [],
  util: [],
  nn: ['kernels', 'util'],
  optim: ['nn'],
  data: ['kernels', 'util'],
  landscape: ['nn', 'optim'],
  train: ['nn', 'optim', 'data'],
  workers: ['kernels', 'nn', 'optim', 'data', 'landscape', 'train'],
  experiments: ['kernels', 'nn', 'optim', 'data', 'landscape', 'train', 'workers'],
  serve: [],
  cli: ['experiments', 'workers', 'serve'],
  web: ['experiments', 'workers'],
  // src/index.ts: the package's public API re-exports every layer.
  api: ['kernels', 'util', 'nn', 'optim', 'data', 'landscape', 'train', 'workers', 'experiments'],
};

/** Layers whose list is exact (no "and what those import"): the thin front ends. */
const EXACT = new Set(['cli', 'web']);

/** cli/ and web/ may also import kernels/ where they time kernels (the bench command, the page's GEMM timing). */
const BENCH_FILE = /^(src\/cli\/bench[^/]*|web\/gemm_timing)\.ts$/;

export interface ImportEdge { from: string; to: string }
export interface Violation extends ImportEdge { fromLayer: string; toLayer: string }

/** The layer of a repository path: src/<dir>/… → dir, src/index.ts → api, web/… → web, assembly/… → assembly; null outside them. */
export function layerOf(path: string): string | null {
  const p = path.split(sep).join('/');
  if (p.startsWith('web/')) return 'web';
  if (p.startsWith('assembly/')) return 'assembly';
  const m = /^src\/([^/]+)\//.exec(p);
  if (m) return m[1];
  if (p === 'src/index.ts') return 'api';
  return null;
}

function allowed(layer: string): Set<string> {
  const out = new Set<string>([layer]);
  const todo = [...(MAY_IMPORT[layer] ?? [])];
  while (todo.length) {
    const l = todo.pop()!;
    if (out.has(l)) continue;
    out.add(l);
    if (!EXACT.has(layer)) todo.push(...(MAY_IMPORT[l] ?? []));
  }
  return out;
}

/** The imports (repository paths, '/'-separated) that cross the layer table. */
export function layerViolations(edges: readonly ImportEdge[]): Violation[] {
  const out: Violation[] = [];
  for (const e of edges) {
    const fromLayer = layerOf(e.from), toLayer = layerOf(e.to);
    if (fromLayer === null || toLayer === null) continue;
    if (!(fromLayer in MAY_IMPORT)) { out.push({ ...e, fromLayer, toLayer }); continue; } // a folder the table does not know
    if (allowed(fromLayer).has(toLayer)) continue;
    if (EXACT.has(fromLayer) && toLayer === 'kernels' && BENCH_FILE.test(e.from)) continue;
    out.push({ ...e, fromLayer, toLayer });
  }
  return out;
}

/** Module specifiers in TypeScript source: static imports/exports (also multi-line and type-only), side-effect and dynamic imports. */
export function importSpecifiers(source: string): string[] {
  const out: string[] = [];
  for (const re of [/\b(?:import|export)\s[^'";]*?\bfrom\s*['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm]) {
    for (const m of source.matchAll(re)) out.push(m[1]);
  }
  return out;
}

function tsFiles(dir: string, skip: RegExp): string[] {
  const out: string[] = [];
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, d.name);
    if (skip.test(d.name)) continue;
    if (d.isDirectory()) out.push(...tsFiles(p, skip));
    else if (d.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** Every relative import of the .ts files under src/, web/ and assembly/ of `root`, as repository paths (.js resolved to .ts). */
export function collectImports(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const top of ['src', 'web', 'assembly']) {
    for (const file of tsFiles(join(root, top), /^(dist|node_modules)$/)) {
      const from = relative(root, file).split(sep).join('/');
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue; // packages and node: built-ins
        const to = posix.normalize(posix.join(posix.dirname(from), spec)).replace(/\.js$/, '.ts');
        edges.push({ from, to });
      }
    }
  }
  return edges;
}
