// The house keeps its shape: no module imports across the layer table (DESIGN.md, README's
// architecture section). Known crossings are listed below and may only shrink.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { collectImports, importSpecifiers, layerViolations, type ImportEdge } from './layer_rules.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Front ends that still reach below experiments/ and workers/: issue 10 item 2 makes the CLI
 * commands and the page thin (flags → spec → runner). Remove an entry when its import goes;
 * the test fails on a stale entry so the list cannot outlive its reason.
 */
const KNOWN: readonly string[] = [
  'src/cli/datasets.ts -> data',
  'src/cli/landscape_commands.ts -> data',
  'src/cli/landscape_commands.ts -> kernels',
  'src/cli/landscape_commands.ts -> landscape',
  'src/cli/landscape_commands.ts -> nn',
  'src/cli/landscape_commands.ts -> train',
  'src/cli/reproduce_command.ts -> nn',
  'src/cli/serve_command.ts -> data',
  'src/cli/train_command.ts -> data',
  'src/cli/train_command.ts -> kernels',
  'src/cli/train_command.ts -> nn',
  'src/cli/train_command.ts -> train',
  'web/analysis_worker.ts -> kernels',
  'web/analysis_worker.ts -> nn',
  'web/analysis_worker.ts -> optim',
  'web/main.ts -> kernels',
  'web/page_data.ts -> data',
];

describe('the layer table', () => {
  it('no module imports across it (beyond the known front-end crossings, which may only shrink)', () => {
    const edges = collectImports(ROOT);
    expect(edges.length).toBeGreaterThan(300); // the walk found the tree
    const found = [...new Set(layerViolations(edges).map((v) => `${v.from} -> ${v.toLayer}`))].sort();
    const added = found.filter((v) => !KNOWN.includes(v));
    const gone = KNOWN.filter((v) => !found.includes(v));
    expect(added, 'imports across the layer table (see README, "Architecture")').toEqual([]);
    expect(gone, 'crossings that no longer exist: remove them from KNOWN').toEqual([]);
  });

  it('catches planted violations: upward imports, front ends reaching past experiments/workers, assembly importing src', () => {
    const edges: ImportEdge[] = [
      { from: 'src/nn/model.ts', to: 'src/train/loop.ts' }, // upward
      { from: 'src/kernels/kernels.ts', to: 'src/nn/model.ts' }, // upward
      { from: 'src/landscape/x.ts', to: 'src/data/mnist.ts' }, // sideways: landscape may not read data
      { from: 'src/cli/main.ts', to: 'src/nn/model.ts' }, // front end past experiments
      { from: 'src/cli/main.ts', to: 'src/kernels/index.ts' }, // kernels only for bench
      { from: 'web/main.ts', to: 'src/train/train.ts' },
      { from: 'assembly/gemm.ts', to: 'src/kernels/exports.ts' },
      { from: 'src/newlayer/a.ts', to: 'src/nn/model.ts' }, // a folder the table does not know
    ];
    expect(layerViolations(edges).map((v) => `${v.fromLayer}->${v.toLayer}`)).toEqual([
      'nn->train', 'kernels->nn', 'landscape->data', 'cli->nn', 'cli->kernels', 'web->train', 'assembly->kernels', 'newlayer->nn',
    ]);
  });

  it('lets allowed imports through: down the table (transitively), within a layer, bench → kernels, front ends → experiments/workers', () => {
    const edges: ImportEdge[] = [
      { from: 'src/optim/adam.ts', to: 'src/kernels/kernels.ts' }, // optim → nn → kernels
      { from: 'src/experiments/runner.ts', to: 'src/workers/pool.ts' },
      { from: 'src/nn/dense.ts', to: 'src/nn/layer.ts' },
      { from: 'src/cli/bench_command.ts', to: 'src/kernels/index.ts' },
      { from: 'src/cli/main.ts', to: 'src/experiments/runner.ts' },
      { from: 'web/main.ts', to: 'src/workers/index.ts' },
      { from: 'src/index.ts', to: 'src/experiments/plot.ts' },
      { from: 'test/nn/model.test.ts', to: 'src/cli/main.ts' }, // tests and benches import anything
    ];
    expect(layerViolations(edges)).toEqual([]);
  });

  it('reads multi-line, type-only, re-export, side-effect and dynamic imports', () => {
    const src = [
      "import {\n  a,\n  b,\n} from '../nn/model.js';",
      "import type { T } from \"../optim/base.js\";",
      "export { x } from './local.js';",
      "export * as k from '../kernels/index.js';",
      "import './side.js';",
      "const m = await import('../train/loop.js');",
      "// not an import: the word from 'here'",
    ].join('\n');
    expect(importSpecifiers(src).sort()).toEqual(['../kernels/index.js', '../nn/model.js', '../optim/base.js', '../train/loop.js', './local.js', './side.js']);
  });
});
