// The experiment commands' CLI surface: --help for every command, --dump-spec, usage errors.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Io } from '../../src/cli/io.js';
import { main, topUsage } from '../../src/cli/main.js';
import { presetSpec, resolveSpec } from '../../src/experiments/spec.js';

function capture(): Io & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [], stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}
const root = mkdtempSync(join(tmpdir(), 'lbgap-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Command names as listed by `lbgap --help`. */
function commandNames(): string[] {
  const lines = topUsage().split('\n');
  const start = lines.indexOf('Commands:');
  return lines.slice(start + 1).filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
}

describe('lbgap experiment commands', () => {
  it('--help works for every command', async () => {
    const names = commandNames();
    for (const c of ['train', 'reproduce', 'sweep', 'warmstart', 'report', 'merge']) expect(names).toContain(c);
    for (const name of names) {
      const io = capture();
      expect(await main([name, '--help'], io), name).toBe(0);
      const text = io.stdout.join('\n');
      expect(text, name).toMatch(new RegExp(`^Usage: lbgap ${name} `));
      expect(text, name).toMatch(/-h, --help/);
    }
  });

  it('--dump-spec prints the resolved spec; flags override the preset', async () => {
    const io = capture();
    expect(await main(['sweep', '--dump-spec', '--batch', '32,64', '--seeds', '4,5', '--epochs', '3'], io)).toBe(0);
    const spec = JSON.parse(io.stdout.join('\n'));
    expect(spec).toEqual({ ...presetSpec('quick', 'sweep'), batches: [32, 64], seeds: [4, 5], epochs: 3 });
    const io2 = capture();
    expect(await main(['reproduce', '--dump-spec', '--preset', 'paper'], io2)).toBe(0);
    expect(resolveSpec(JSON.parse(io2.stdout.join('\n')))).toEqual(presetSpec('paper'));
  });

  it('--spec reads a file; a bad field is named; a spec of another kind is refused', async () => {
    const good = join(root, 'w.json');
    writeFileSync(good, JSON.stringify({ kind: 'warmstart', warmstartK: [0, 3], seeds: [1] }));
    const io = capture();
    expect(await main(['warmstart', '--spec', good, '--dump-spec'], io)).toBe(0);
    expect(JSON.parse(io.stdout.join('\n'))).toMatchObject({ kind: 'warmstart', warmstartK: [0, 3], seeds: [1] });
    const bad = join(root, 'bad.json');
    writeFileSync(bad, JSON.stringify({ kind: 'sweep', batches: [64, -1] }));
    const io2 = capture();
    expect(await main(['sweep', '--spec', bad], io2)).toBe(1);
    expect(io2.stderr.join('\n')).toMatch(/batches\[1\]: must be an integer ≥ 1, got -1/);
    const io3 = capture();
    expect(await main(['reproduce', '--spec', good, '--dump-spec'], io3)).toBe(1);
    expect(io3.stderr.join('\n')).toMatch(/'warmstart' spec; run it with 'lbgap warmstart'/);
  });

  it('usage errors: bad lists, bad shard, report/merge arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['sweep', '--batch', '64,x'], /--batch: must be comma-separated whole numbers ≥ 1/],
      [['reproduce', '--seeds', '1,,2'], /--seeds: must be comma-separated/],
      [['reproduce', '--shard', '3/2'], /--shard: the index i must be in \[0, 1\], got 3/],
      [['report'], /expects exactly one results file, got 0/],
      [['merge', 'a.json'], /--out FILE is required/],
      [['reproduce', '--bogus'], /unknown option --bogus/],
    ];
    for (const [argv, re] of cases) {
      const io = capture();
      expect(await main(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderr.join('\n'), argv.join(' ')).toMatch(re);
    }
    const io = capture();
    expect(await main(['report', join(root, 'missing.json')], io)).toBe(1);
    expect(io.stderr.join('\n')).toMatch(/ENOENT|no such file/);
  });
});
