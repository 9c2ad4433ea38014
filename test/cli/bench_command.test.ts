// `lbgap bench`: help, usage errors, argument pass-through and exit-code forwarding. No real
// benchmark runs: a fake package root holds tiny stand-in scripts, or the runner is injected.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BENCH_SUITES, BenchError, benchCommand, packageRoot, type ScriptRunner } from '../../src/cli/bench_command.js';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

/** A runner that records calls and answers with the given exit codes in turn. */
function recorder(codes: number[]): ScriptRunner & { calls: { script: string; args: readonly string[]; cwd: string }[] } {
  const calls: { script: string; args: readonly string[]; cwd: string }[] = [];
  const run = (async (script: string, args: readonly string[], cwd: string) => {
    calls.push({ script, args, cwd });
    return { code: codes[calls.length - 1] ?? 0, signal: null };
  }) as ScriptRunner & { calls: typeof calls };
  run.calls = calls;
  return run;
}

describe('lbgap bench', () => {
  let fake: string;
  beforeAll(() => {
    // Stand-ins for the suites' scripts: print their argv as JSON, exit with $FAKE_BENCH_EXIT.
    fake = mkdtempSync(join(tmpdir(), 'lbgap-bench-cli-'));
    mkdirSync(join(fake, 'bench'));
    for (const s of BENCH_SUITES) {
      for (const st of s.stages) {
        writeFileSync(join(fake, st.script), [
          '#!/usr/bin/env node',
          `// Stand-in for ${st.script}.`,
          '// Options: --fake N.',
          'import { writeFileSync } from "node:fs";',
          'writeFileSync(process.env.FAKE_BENCH_LOG, JSON.stringify({ cwd: process.cwd(), argv: process.argv.slice(2) }));',
          'process.exit(Number(process.env.FAKE_BENCH_EXIT));',
          '',
        ].join('\n'));
      }
    }
  });
  afterAll(() => { rmSync(fake, { recursive: true, force: true }); });

  it('--help lists every suite, exit 0; the top-level help lists the command', async () => {
    const io = capture();
    expect(await main(['bench', '--help'], io)).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^Usage: lbgap bench <suite>/);
    for (const name of ['gemm', 'step', 'conv', 'train', 'sharpness']) expect(text).toMatch(new RegExp(`^  ${name}\\s+\\S`, 'm'));
    const top = capture();
    expect(await main(['--help'], top)).toBe(0);
    expect(top.stdout.join('\n')).toMatch(/^ {2}bench\s+run a benchmark suite/m);
  });

  it('unknown suite and missing suite are usage errors (exit 2) naming the problem', async () => {
    const io = capture();
    expect(await main(['bench', 'gemmm'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/lbgap bench: unknown suite "gemmm" \(did you mean gemm\?\); expected one of gemm, step, conv, train, sharpness/);
    expect(io.stderr.join('\n')).toMatch(/Usage: lbgap bench <suite>/);
    expect(io.stdout).toEqual([]);
    const io2 = capture();
    expect(await main(['bench'], io2)).toBe(2);
    expect(io2.stderr.join('\n')).toMatch(/missing the suite to run/);
  });

  it('the real package root has every suite script', () => {
    const root = packageRoot();
    for (const s of BENCH_SUITES) for (const st of s.stages) expect(readFileSync(join(root, st.script), 'utf8')).toMatch(/^#!\/usr\/bin\/env node/);
  });

  it('the train suite runs what `npm run bench:train` runs', () => {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8'));
    const train = BENCH_SUITES.find((s) => s.name === 'train')!;
    expect(pkg.scripts['bench:train']).toBe(train.stages.map((st) => ['node', st.script, ...st.args].join(' ')).join(' && '));
    for (const name of ['gemm', 'step', 'conv', 'sharpness']) {
      const s = BENCH_SUITES.find((x) => x.name === name)!;
      expect(pkg.scripts[`bench:${name}`]).toBe(`node ${s.stages[0].script}`);
    }
  });

  it('runs the script in a child Node from the package root, passes args through, forwards the exit code', async () => {
    const log = join(fake, 'log.json');
    process.env.FAKE_BENCH_LOG = log;
    try {
      process.env.FAKE_BENCH_EXIT = '3';
      expect(await benchCommand(['gemm', '--only', 'square 64', '--quick'], capture(), { root: fake })).toBe(3);
      const j = JSON.parse(readFileSync(log, 'utf8'));
      expect(j.argv).toEqual(['--only', 'square 64', '--quick']);
      expect(j.cwd).toBe(fake.replace(/\/$/, ''));
      process.env.FAKE_BENCH_EXIT = '0';
      expect(await benchCommand(['conv'], capture(), { root: fake })).toBe(0);
      expect(JSON.parse(readFileSync(log, 'utf8')).argv).toEqual([]);
    } finally {
      delete process.env.FAKE_BENCH_LOG; delete process.env.FAKE_BENCH_EXIT;
    }
  });

  it('train runs its stages in order, stops at the first failure, and takes no arguments', async () => {
    const ok = recorder([0, 0]);
    expect(await benchCommand(['train'], capture(), { root: fake, run: ok })).toBe(0);
    expect(ok.calls.map((c) => c.script)).toEqual(['bench/step.bench.mjs', 'bench/conv.bench.mjs']);
    expect(ok.calls[0].args).toEqual(['--nets', 'F1', '--sizes', '256,6000', '--workers', '1', '--out', 'bench/results/train.json', '--svg', 'bench/results/train.svg']);
    expect(ok.calls.every((c) => c.cwd === fake)).toBe(true);
    const failing = recorder([5, 0]);
    expect(await benchCommand(['train'], capture(), { root: fake, run: failing })).toBe(5);
    expect(failing.calls).toHaveLength(1);
    const io = capture();
    expect(await main(['bench', 'train', '--quick'], io)).toBe(2);
    expect(io.stderr.join('\n')).toMatch(/suite 'train' takes no arguments \(got "--quick"\)/);
  });

  it('`<suite> --help` prints the script header instead of running it', async () => {
    const run = recorder([]);
    const io = capture();
    expect(await benchCommand(['step', '--help'], io, { root: fake, run })).toBe(0);
    expect(run.calls).toEqual([]);
    expect(io.stdout.join('\n')).toMatch(/Usage: lbgap bench step \[args…\]/);
    expect(io.stdout.join('\n')).toMatch(/Stand-in for bench\/step.bench.mjs.\nOptions: --fake N./);
  });

  it('a missing script or a killed child is a BenchError naming it', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'lbgap-bench-empty-'));
    try {
      await expect(benchCommand(['gemm'], capture(), { root: empty })).rejects.toThrow(BenchError);
      await expect(benchCommand(['gemm'], capture(), { root: empty })).rejects.toThrow(/bench\/gemm.bench.mjs not found under .*not with the npm package/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
    const killed: ScriptRunner = async () => ({ code: null, signal: 'SIGKILL' });
    await expect(benchCommand(['sharpness'], capture(), { root: fake, run: killed })).rejects.toThrow(/bench\/sharpness.bench.mjs was killed by SIGKILL/);
  });
});
