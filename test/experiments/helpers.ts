// Shared pieces of the experiment tests: a tiny spec on a small synthetic problem, the
// data it runs on, and a view of a results file without its wall-clock fields.
import { syntheticClassification } from '../../src/data/synthetic.js';
import { resolveSpec, type ExperimentSpec } from '../../src/experiments/spec.js';
import type { ResultsFile } from '../../src/experiments/results.js';

export function tinySpec(over: Record<string, unknown> = {}): ExperimentSpec {
  return resolveSpec({
    kind: 'reproduce', net: 'tiny', data: { name: 'synthetic', trainLimit: 400, testLimit: 200 }, seeds: [0, 1], epochs: 2, sb: 16, lb: 80,
    batches: [16, 80], warmstartK: [0, 1], build: 'simd',
    sharpness: { sample: 100, chunk: 50, subspace: 5, maxIter: 4 }, hessian: { top: 1, maxIter: 4, sample: 100 },
    interpolation: { points: 4, trainSample: 100, testSample: 100, chunk: 50 }, track: { enabled: true, sample: 100, seeds: null },
    ...over,
  });
}

/** A 12-feature, 4-class problem (the tiny MLP adapts to it). */
export function tinyData() {
  return {
    train: syntheticClassification({ n: 400, dim: 12, classes: 4, seed: 3, name: 'tiny/train' }),
    test: syntheticClassification({ n: 200, dim: 12, classes: 4, seed: 3, sampleSeed: 9, name: 'tiny/test' }),
  };
}

export { jobWorkerBundle } from './cli_bundle.js';

const CLOCK_FIELDS = new Set(['seconds', 'evalSeconds', 'samplesPerSecond', 'timings', 'started', 'finished', 'environment']);

/** The results without wall-clock fields: everything else must match bit for bit. */
export function metricsOnly(r: ResultsFile): unknown {
  return JSON.parse(JSON.stringify(r, (key, value) => (CLOCK_FIELDS.has(key) ? undefined : value)));
}
