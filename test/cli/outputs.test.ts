// Output checks done before any work (src/cli/outputs.ts): folders created, a file in the
// way or a folder where a file goes named, overwrites refused without force.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutputError, prepareOutputDir, prepareOutputFile, writeOutputFile } from '../../src/cli/outputs.js';

describe('output checks', () => {
  let dir: string, file: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lbgap-out-'));
    file = join(dir, 'f.txt');
    writeFileSync(file, 'keep');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const msg = async (p: Promise<unknown>) => {
    try { await p; } catch (e) { expect(e).toBeInstanceOf(OutputError); return (e as Error).message; }
    throw new Error('accepted');
  };

  it('files: parents created, folder refused, file in the path named, existing refused unless force or mayExist', async () => {
    await prepareOutputFile(join(dir, 'a', 'b', 'c.json'), { label: '--out' });
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
    expect(await msg(prepareOutputFile(dir, { label: '--out' }))).toBe(`--out: ${dir} is a folder; give a file name`);
    expect(await msg(prepareOutputFile(join(file, 'x', 'y.json'), { label: '--json' }))).toBe(`--json: cannot write ${join(file, 'x', 'y.json')}: ${file} is a file, not a folder`);
    expect(await msg(prepareOutputFile(file, { label: '--out' }))).toBe(`--out: ${file} already exists; pass --force to replace it`);
    await prepareOutputFile(file, { label: '--out', force: true });
    await prepareOutputFile(file, { label: '--out', mayExist: true });
    expect(readFileSync(file, 'utf8')).toBe('keep'); // checks never write the output itself
    expect(await msg(prepareOutputFile('/sys/lbgap-test/x.json', { label: '--out' }))).toMatch(/^--out: cannot (create the folder|write) .*: (permission denied|read-only file system|no such file or folder)$/);
  });

  it('folders: created, a file refused, listed files refused unless force', async () => {
    const out = join(dir, 'report');
    await prepareOutputDir(out, { label: '--out', files: ['REPORT.md'] });
    writeFileSync(join(out, 'REPORT.md'), 'old');
    writeFileSync(join(out, 'a.svg'), 'old');
    expect(await msg(prepareOutputDir(out, { label: '--out', files: ['REPORT.md', 'a.svg', 'b.svg'] }))).toBe(`--out: ${out} already holds REPORT.md, a.svg; pass --force to replace them`);
    await prepareOutputDir(out, { label: '--out', files: ['REPORT.md'], force: true });
    expect(await msg(prepareOutputDir(file, { label: '--out' }))).toBe(`--out: ${file} is a file; give a folder`);
    expect(await msg(prepareOutputDir(join(file, 'sub'), { label: '--out' }))).toBe(`--out: cannot create the folder ${join(file, 'sub')} for the outputs: ${file} is a file`);
    mkdirSync(join(dir, 'empty'));
    await prepareOutputDir(join(dir, 'empty'), { label: '--out', files: ['REPORT.md'] });
  });

  it('writeOutputFile turns a late failure into one line', async () => {
    expect(await msg(writeOutputFile(join(dir, 'nope', 'x.json'), 'x', '--out'))).toBe(`--out: cannot write ${join(dir, 'nope', 'x.json')}: no such file or folder`);
  });
});
