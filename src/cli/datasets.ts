// The data sets the commands can train on or measure with, and how each is loaded — one place,
// so `train`, `sharpness`/`interpolate`/`hessian` and `remedies` read data the same way.
import { loadCifar10, loadCifar100 } from '../data/cifar.js';
import type { Dataset } from '../data/dataset.js';
import { loadFashionMnist, loadMnist } from '../data/mnist.js';
import { syntheticClassification } from '../data/synthetic.js';
import { UsageError } from './args.js';

export const DATASETS = ['mnist', 'fashion-mnist', 'cifar10', 'cifar100', 'synthetic'] as const;
export type DatasetName = (typeof DATASETS)[number];

/** The paper's data set of a network: CIFAR-10 for C1/C2, CIFAR-100 for C3/C4, else MNIST. */
export function defaultData(net: string): DatasetName {
  if (net === 'C1' || net === 'C2') return 'cifar10';
  if (net === 'C3' || net === 'C4') return 'cifar100';
  return 'mnist';
}

export interface DataLimits {
  /** First N training samples (synthetic: N samples, default 6000). */
  limit?: number;
  /** First N test samples (synthetic: N samples, default 2000). */
  testLimit?: number;
}

/** Loads the train/test pair; `use` is the command's usage text for a missing --data-dir. */
export async function loadData(name: string, dir: string | undefined, { limit, testLimit }: DataLimits, use: string): Promise<{ train: Dataset; test: Dataset }> {
  switch (name) {
    case 'mnist': return { train: await loadMnist('train', { dir, limit }), test: await loadMnist('test', { dir, limit: testLimit }) };
    case 'fashion-mnist': return { train: await loadFashionMnist('train', { dir, limit }), test: await loadFashionMnist('test', { dir, limit: testLimit }) };
    case 'cifar10':
    case 'cifar100': {
      if (!dir) throw new UsageError(`--data-dir is required for ${name} (the directory of the CIFAR binary files)`, use);
      const load = name === 'cifar10' ? loadCifar10 : loadCifar100;
      return { train: await load('train', { dir, limit }), test: await load('test', { dir, limit: testLimit }) };
    }
    case 'synthetic': // a 784-feature, 10-class problem shaped like MNIST, for smoke runs without files
      return {
        train: syntheticClassification({ n: limit ?? 6000, shape: [28, 28, 1], classes: 10, seed: 1, name: 'synthetic/train' }),
        test: syntheticClassification({ n: testLimit ?? 2000, shape: [28, 28, 1], classes: 10, seed: 1, sampleSeed: 2, name: 'synthetic/test' }),
      };
    default:
      throw new UsageError(`unknown data set ${JSON.stringify(name)}; expected one of ${DATASETS.join(', ')}`, use);
  }
}
