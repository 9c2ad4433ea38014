// The `lbgap` CLI: argument parsing, usage errors, and `lbgap train` end to end on a small
// synthetic set (JSON result, checkpoint and resume).
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlags, UsageError, type CommandSpec } from '../../src/cli/args.js';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';

const CMD: CommandSpec = {
  name: 'demo', summary: 'demo command',
  flags: [
    { name: 'batch', type: 'int', min: 1, default: 256, help: 'batch' },
    { name: 'lr', type: 'number', min: 0, minExclusive: true, help: 'lr' },
    { name: 'net', type: 'choice', choices: ['F1', 'C1'], default: 'F1', help: 'net' },
    { name: 'out', type: 'string', help: 'file' },
    { name: 'verbose', type: 'boolean', help: 'chatty' },
  ],
};

function usageError(argv: string[]): UsageError {
  try { parseFlags(argv, CMD); } catch (e) { if (e instanceof UsageError) return e; throw e; }
  throw new Error('accepted');
}

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

describe('parseFlags', () => {
  it('parses --flag value, --flag=value, booleans and fills defaults', () => {
    expect(parseFlags(['--batch', '64', '--lr=1e-3', '--verbose', '--out', 'a.json'], CMD)).toEqual({ batch: 64, lr: 0.001, net: 'F1', out: 'a.json', verbose: true });
    expect(parseFlags([], CMD)).toEqual({ batch: 256, net: 'F1' });
    expect(parseFlags(['-h'], CMD).help).toBe(true);
    expect(parseFlags(['--verbose=false'], CMD).verbose).toBe(false);
  });

  it('rejects unknown flags, bad numbers, bad choices, missing values, duplicates and positionals, with usage', () => {
    const e = usageError(['--bogus', '1']);
    expect(e.message).toBe("unknown option --bogus for 'demo'");
    expect(e.usage).toMatch(/Usage: lbgap demo \[options\][\s\S]*--batch N/);
    expect(usageError(['--batch', '2.5']).message).toMatch(/--batch: must be a whole number, got "2.5"/);
    expect(usageError(['--batch', '0']).message).toMatch(/--batch: must be ≥ 1/);
    expect(usageError(['--batch', '12abc']).message).toMatch(/whole number/);
    expect(usageError(['--lr', '0']).message).toMatch(/--lr: must be > 0/);
    expect(usageError(['--lr', 'NaN']).message).toMatch(/--lr: must be a number/);
    expect(usageError(['--lr', '-1']).message).toMatch(/--lr: must be > 0/);
    expect(usageError(['--net', 'F9']).message).toMatch(/--net: must be one of F1, C1/);
    expect(usageError(['--batch']).message).toBe('--batch needs a value');
    expect(usageError(['--out', '--batch', '3']).message).toBe('--out needs a value');
    expect(usageError(['--batch', '1', '--batch', '2']).message).toBe('--batch given twice');
    expect(usageError(['train']).message).toMatch(/unexpected argument "train"/);
  });
});

describe('lbgap main', () => {
  let dir: string;
  beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'lbgap-cli-')); });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('prints help (exit 0), and usage errors exit 2 on stderr', async () => {
    let io = capture();
    expect(await main(['--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/Commands:[\s\S]*train/);
    io = capture();
    expect(await main(['train', '--help'], io)).toBe(0);
    expect(io.stdout.join('\n')).toMatch(/--optimizer adam\|sgd/);
    io = capture();
    expect(await main(['fly'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/unknown command "fly"/);
    io = capture();
    expect(await main(['train', '--epochs', 'two'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--epochs: must be a whole number, got "two"[\s\S]*Usage: lbgap train/);
    io = capture();
    expect(await main(['train', '--net', 'C1'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/--data-dir is required for cifar10/);
    io = capture();
    expect(await main(['train', '--resume', join(dir, 'nope.ckpt')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/^lbgap train: checkpoint .*nope.ckpt: cannot read: no such file or folder$/);
  });

  it('trains, prints one line per epoch and the final accuracy, writes JSON and checkpoints, and resumes', async () => {
    const json = join(dir, 'run.json'), ckpt = join(dir, 'run.ckpt');
    const base = ['train', '--net', 'tiny', '--data', 'synthetic', '--limit', '600', '--batch', '50', '--seed', '4', '--eval-samples', '200'];
    let io = capture();
    expect(await main([...base, '--epochs', '2', '--out', json, '--checkpoint', ckpt], io)).toBe(0);
    const out = io.stdout.join('\n');
    expect(io.stdout[0]).toMatch(/^lbgap train: tiny .* on synthetic\/train \(600\) \/ synthetic\/test \(2000\), batch 50, adam, seed 4/);
    expect(out).toMatch(/epoch 1\/2 {2}train loss \d\.\d{4} acc +\d+\.\d\d% {2}test loss \d\.\d{4} acc +\d+\.\d\d% {2}\d+\.\d s \(\+\d+\.\d s eval\) {2}\d+ samples\/s/);
    expect(out).toMatch(/epoch 2\/2/);
    expect(out).toMatch(/final: train accuracy \d+\.\d\d%, test accuracy \d+\.\d\d% after 2 epochs \(24 steps\)/);
    const r = JSON.parse(readFileSync(json, 'utf8'));
    expect(r.history).toHaveLength(2);
    expect(r.options).toMatchObject({ batchSize: 50, epochs: 2, optimizer: 'adam', seed: 4 });
    expect(r.final.testAccuracy).toBe(r.history[1].testAcc);
    expect((await loadCheckpoint(ckpt)).epoch).toBe(2);
    // Resume to 3 epochs: only epoch 3 runs; equal to a straight 3-epoch run.
    io = capture();
    expect(await main([...base, '--epochs', '3', '--resume', ckpt, '--out', join(dir, 'resumed.json')], io)).toBe(0);
    expect(io.stdout.filter((l) => l.startsWith('epoch'))).toHaveLength(1);
    expect(io.stdout[0]).toMatch(/resuming .*run\.ckpt after epoch 2/);
    io = capture();
    expect(await main([...base, '--epochs', '3', '--out', join(dir, 'straight.json')], io)).toBe(0);
    const strip = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).history.map((h: Record<string, number>) => [h.trainLoss, h.testLoss, h.testAcc, h.steps]);
    expect(strip('resumed.json')).toEqual(strip('straight.json'));
    expect(existsSync(json)).toBe(true);
  });
});
