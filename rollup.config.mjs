// Bundles the browser page into web/dist/ (ESM): the page (main.js), the experiment runner's
// job worker (job_worker.js, from src/experiments/job_worker.ts: the CLI's, run in module
// Workers), the objective/trainer worker (worker.js, from src/workers/worker.ts: the Comlink
// worker entry a job's ParallelObjective and ParallelTrainer start, nested in the job worker;
// its name is the pool's default `new URL('./worker.js', import.meta.url)`), the page's measuring worker (analysis.js: step cost and the kernel playground) and
// the playground's TensorFlow.js worker (tfjs.js, with TF.js's .wasm files in tfjs/) as separate
// entries sharing chunks, the four .wasm builds beside them, and the static files.
//
// TypeScript is transpiled per file with typescript.transpileModule (types are checked
// separately: `tsc -p web/tsconfig.json`, part of `npm run build:web`), so no extra plugin.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import nodeResolve from '@rollup/plugin-node-resolve';
import ts from 'typescript';

const root = dirname(fileURLToPath(import.meta.url));
const out = join(root, 'web', 'dist');

/** `./foo.js` imported from a .ts file means `./foo.ts` (NodeNext style specifiers). */
function typescriptSources() {
  return {
    name: 'lbgap-typescript',
    resolveId(source, importer) {
      if (!importer || !importer.endsWith('.ts') || !source.startsWith('.') || !source.endsWith('.js')) return null;
      const candidate = resolve(dirname(importer), source.slice(0, -3) + '.ts');
      return existsSync(candidate) ? candidate : null;
    },
    transform(code, id) {
      if (!id.endsWith('.ts') || id.endsWith('.d.ts')) return null;
      const r = ts.transpileModule(code, {
        fileName: id,
        compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, sourceMap: true, verbatimModuleSyntax: false },
      });
      return { code: r.outputText, map: JSON.parse(r.sourceMapText) };
    },
  };
}

/**
 * The kernel loader finds its modules at `new URL('../../build/<file>', import.meta.url)`
 * (package layout: src/kernels → build/). In the bundle every chunk sits in web/dist/, so the
 * prefix becomes './' and the .wasm files are emitted beside the chunks under their own names.
 */
function wasmBesideBundle() {
  const files = ['lbgap.simd.wasm', 'lbgap.relaxed.wasm', 'lbgap.simd-threads.wasm', 'lbgap.relaxed-threads.wasm'];
  const loader = join(root, 'src', 'kernels', 'load.ts');
  return {
    name: 'lbgap-wasm',
    transform(code, id) {
      if (id !== loader) return null;
      const needle = '`../../build/${';
      if (!code.includes(needle)) this.error(`src/kernels/load.ts no longer builds its .wasm URL as ${needle}…: update rollup.config.mjs`);
      return { code: code.split(needle).join('`./${'), map: null };
    },
    buildStart() {
      for (const f of files) {
        const p = join(root, 'build', f);
        if (!existsSync(p)) this.error(`${p} is missing: run \`npm run build:wasm\` first`);
        this.addWatchFile(p);
        this.emitFile({ type: 'asset', fileName: f, source: readFileSync(p) });
      }
    },
  };
}

/**
 * TensorFlow.js for the playground's comparison (web/tfjs_worker.ts, its own entry: the page
 * loads it only when the playground runs). Its packages' `module` builds are many files with
 * CommonJS dependencies; their flat ES builds (*.fesm.js) are self-contained, so resolve the two
 * package names to those (one copy of tfjs-core for both). The backend's SIMD and threaded-SIMD
 * .wasm files go to tfjs/ beside the bundle, where the worker points setWasmPaths.
 */
const NODE_BUILTINS = new Set(['fs', 'path', 'os', 'perf_hooks', 'worker_threads', 'crypto', 'util', 'node-fetch']);
const EMPTY = '\0lbgap-empty-module';
function tfjsForThePlayground() {
  const pkg = (name) => join(root, 'node_modules', '@tensorflow', name);
  const flat = { '@tensorflow/tfjs-core': join(pkg('tfjs-core'), 'dist', 'tf-core.fesm.js'), '@tensorflow/tfjs-backend-wasm': join(pkg('tfjs-backend-wasm'), 'dist', 'tf-backend-wasm.fesm.js') };
  const wasm = ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'];
  return {
    name: 'lbgap-tfjs',
    resolveId(source, importer) {
      if (flat[source]) return flat[source];
      // The backend's Node-only branch imports these (its package.json maps them to false for browsers).
      if (NODE_BUILTINS.has(source) && importer?.includes(`${join('node_modules', '@tensorflow')}`)) return EMPTY;
      return null;
    },
    load(id) {
      return id === EMPTY ? 'export default {};' : null;
    },
    buildStart() {
      for (const [name, p] of Object.entries(flat)) if (!existsSync(p)) this.error(`${p} is missing: install the devDependency ${name} (npm install)`);
      for (const f of wasm) {
        const p = join(pkg('tfjs-backend-wasm'), 'dist', f);
        if (!existsSync(p)) this.error(`${p} is missing: install the devDependency @tensorflow/tfjs-backend-wasm (npm install)`);
        this.emitFile({ type: 'asset', fileName: `tfjs/${f}`, source: readFileSync(p) });
      }
    },
  };
}

/** Chunk names carry content hashes: start from an empty web/dist so stale chunks do not pile up. */
function cleanOutput() {
  return { name: 'lbgap-clean', buildStart() { rmSync(out, { recursive: true, force: true }); } };
}

/** index.html, the stylesheet, the icon, and the Node benchmark figures (when present) for the playground. */
function staticFiles() {
  const copies = [
    [join(root, 'web', 'index.html'), 'index.html'],
    [join(root, 'web', 'style.css'), 'style.css'],
    [join(root, 'web', 'favicon.svg'), 'favicon.svg'],
  ];
  return {
    name: 'lbgap-static',
    buildStart() {
      for (const [src, fileName] of copies) {
        this.addWatchFile(src);
        this.emitFile({ type: 'asset', fileName, source: readFileSync(src) });
      }
      // The playground shows these beside its own figures; absent → it says how to produce them.
      const node = {};
      for (const name of ['gemm', 'step']) {
        const p = join(root, 'bench', 'results', `${name}.json`);
        if (existsSync(p)) node[name] = JSON.parse(readFileSync(p, 'utf8'));
      }
      this.emitFile({ type: 'asset', fileName: 'node-bench.json', source: JSON.stringify(node) });
    },
  };
}

export default {
  input: {
    main: join(root, 'web', 'main.ts'),
    analysis: join(root, 'web', 'analysis_worker.ts'),
    job_worker: join(root, 'src', 'experiments', 'job_worker.ts'),
    worker: join(root, 'src', 'workers', 'worker.ts'),
    tfjs: join(root, 'web', 'tfjs_worker.ts'),
  },
  // Node-only code paths import node: modules dynamically; they never run in the page.
  external: (id) => id.startsWith('node:'),
  output: {
    dir: out,
    format: 'es',
    entryFileNames: '[name].js',
    chunkFileNames: '[name]-[hash].js',
    sourcemap: true,
  },
  plugins: [
    cleanOutput(),
    typescriptSources(),
    wasmBesideBundle(),
    staticFiles(),
    tfjsForThePlayground(),
    nodeResolve({ browser: true, exportConditions: ['browser', 'import', 'default'] }),
  ],
  onwarn(w, warn) {
    // vega's d3 dependencies have benign circular imports.
    if (w.code === 'CIRCULAR_DEPENDENCY' && /node_modules/.test(w.message)) return;
    warn(w);
  },
};
