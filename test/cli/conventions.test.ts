// End to end (spawned bin/lbgap.js), issue 12's conventions of every command: the output
// rule (--quiet, --json), one sample-size vocabulary with deprecated aliases that warn,
// --no-X for every boolean, warnings for questionable settings, progress on a terminal, and
// no raw errno text or stack trace for any bad input we could think of.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseFlags } from '../../src/cli/args.js';
import { HESSIAN_COMMAND, hessianCommand, INTERPOLATE_COMMAND, interpolateCommand, SHARPNESS_COMMAND, sharpnessCommand, StatusLine } from '../../src/cli/landscape_commands.js';
import { main, topUsage } from '../../src/cli/main.js';
import { BIN, expectOneLine, fingerprint, lbgap, RAW, ROOT, type Run } from './spawn_lbgap.js';

const TINY = ['--net', 'tiny', '--data', 'synthetic', '--limit', '200', '--build', 'simd'];
const SYNTH = ['--data', 'synthetic', '--limit', '200', '--build', 'simd'];

/** Command names as listed by `lbgap --help`. */
const commandNames = () => {
  const lines = topUsage().split('\n');
  return lines.slice(lines.indexOf('Commands:') + 1).filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
};

async function helpOf(name: string): Promise<string> {
  const out: string[] = [];
  expect(await main([name, '--help'], { out: (l) => out.push(l), err: () => {} }), name).toBe(0);
  return out.join('\n');
}

/** stdout is exactly one JSON document. */
const json = (r: Run) => { expect(r.code, r.err).toBe(0); return JSON.parse(r.out) as Record<string, unknown> & { command?: string }; };

describe('lbgap conventions (spawned bin/lbgap.js)', () => {
  let dir: string, ckpt: string, aFile: string;
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build:ts` first').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'lbgap-conventions-'));
    aFile = join(dir, 'a-file');
    writeFileSync(aFile, 'not a folder\n');
    ckpt = join(dir, 'base.ckpt');
    const [r] = await lbgap(['train', ...TINY, '--eval-samples', '50', '--batch', '20', '--epochs', '1', '--checkpoint', ckpt, '--quiet']);
    expect(r.code, r.err).toBe(0);
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('every command (but bench, which passes its arguments on) has --quiet and --json; every boolean has --no-X', async () => {
    const names = commandNames().filter((n) => n !== 'bench');
    expect(names.length).toBeGreaterThanOrEqual(12);
    for (const name of names) {
      const help = await helpOf(name);
      expect(help, name).toMatch(/^ {2}--quiet {2,}/m);
      expect(help, name).toMatch(/^ {2}--json {2,}print the result as one JSON document on stdout/m);
      const booleans = [...help.matchAll(/^ {2}--(?:\[no-\])?([a-z][a-z-]*) {2,}/gm)].map((m) => m[1]);
      expect(booleans.length, name).toBeGreaterThanOrEqual(2);
      for (const flag of booleans) {
        const err: string[] = [];
        expect(await main([name, `--no-${flag}`, '--help'], { out: () => {}, err: (l) => err.push(l) }), `${name} --no-${flag}: ${err.join('\n')}`).toBe(0);
      }
    }
  });

  it('--json: stdout is one JSON document (what --out writes), the human lines go to stderr; --quiet leaves only the result', async () => {
    const file = join(dir, 'interp.json');
    const [trainJson, trainQuiet, trainBoth, sharp, hess, interp] = await lbgap(
      ['train', ...TINY, '--batch', '50', '--epochs', '2', '--json'],
      ['train', ...TINY, '--batch', '50', '--epochs', '2', '--quiet'],
      ['train', ...TINY, '--batch', '50', '--epochs', '1', '--json', '--quiet', '--no-force'],
      ['sharpness', '--checkpoint', ckpt, ...SYNTH, '--samples', '50', '--max-iter', '1', '--eps', '1e-3', '--json'],
      ['hessian', '--checkpoint', ckpt, ...SYNTH, '--samples', '50', '--top', '1', '--max-iter', '2', '--json', '--quiet'],
      ['interpolate', '--a', ckpt, '--b', ckpt, ...SYNTH, '--points', '2', '--eval-samples', '50', '--test-limit', '50', '--json', '--quiet', '--out', file],
    );
    const t = json(trainJson);
    expect(t.command).toBe('train');
    expect(t.history).toHaveLength(2);
    expect(trainJson.err).toMatch(/^epoch 2\/2 .*$/m); // commentary and result lines moved to stderr
    expect(trainJson.err).toMatch(/^final: /m);
    expect(trainQuiet.code, trainQuiet.err).toBe(0);
    expect(trainQuiet.out).toMatch(/^final: train accuracy .* after 2 epochs \(8 steps\)\n$/); // no start line, no epoch lines
    expect(trainQuiet.err).toBe('');
    expect(json(trainBoth).command).toBe('train');
    expect(trainBoth.err).toBe(''); // --json --quiet: nothing on stderr but warnings and errors
    const s = json(sharp) as { command: string; results: { phi: number }[] };
    expect(s.command).toBe('sharpness');
    expect(s.results[0].phi).toBeGreaterThanOrEqual(0);
    expect(sharp.err).toMatch(/^full space +ε=0\.001 +φ = /m);
    expect((json(hess) as { eigen: { values: number[] } }).eigen.values).toHaveLength(1);
    expect(hess.err).toBe('');
    expect(json(interp)).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    expect(interp.err).toBe('');
  });

  it('--json for experiments, report, merge and serve', async () => {
    const [dump] = await lbgap(['sweep', '--dump-spec', '--net', 'tiny', '--data', 'synthetic', '--limit', '100', '--epochs', '1', '--seeds', '0', '--batch', '50', '--build', 'simd', '--json']);
    const spec = json(dump) as Record<string, Record<string, unknown>>; // --dump-spec prints the spec whatever --json says
    spec.data.testLimit = 50;
    (spec as Record<string, unknown>).trainEvalSamples = 50;
    spec.sharpness = { ...spec.sharpness, eps: [1e-3], subspace: 0, maxIter: 1, sample: 50, chunk: 50 };
    spec.hessian = { ...spec.hessian, maxIter: 1, sample: 50 };
    if (spec.track) spec.track.enabled = false;
    const specFile = join(dir, 'spec.json'), out = join(dir, 'sweep');
    writeFileSync(specFile, JSON.stringify(spec));
    const [sweep] = await lbgap(['sweep', '--spec', specFile, '--out', out, '--jobs', '1', '--json', '--quiet']);
    const results = json(sweep);
    expect(results).toEqual(JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')));
    expect(sweep.err).toBe('');
    const merged = join(dir, 'merged', 'all.json');
    const [report, merge] = await lbgap(['report', join(out, 'results.json'), '--json'], ['merge', join(out, 'results.json'), '--out', merged, '--no-report', '--json']);
    expect(json(report)).toMatchObject({ command: 'report', dir: out, written: expect.arrayContaining([expect.stringMatching(/REPORT\.md$/)]) });
    expect(report.err).toMatch(/^wrote /m);
    expect(json(merge)).toEqual(JSON.parse(readFileSync(merged, 'utf8')));

    const root = join(dir, 'page');
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), '<!doctype html>');
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--root', root, '--json'], { cwd: ROOT });
    let text = '', err = '';
    child.stderr.on('data', (d) => { err += d; });
    const doc = await new Promise<Record<string, unknown>>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        text += d;
        try { resolve(JSON.parse(text)); } catch { /* not complete yet */ }
      });
      child.on('close', () => reject(new Error(`serve exited: ${err}`)));
    });
    expect(doc).toMatchObject({ url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/$/), isolated: true });
    expect(err).toMatch(/^lbgap serve: http:\/\/127\.0\.0\.1:\d+\//m);
    const code = await new Promise<number | null>((resolve) => { child.on('close', (c) => resolve(c)); child.kill('SIGTERM'); });
    expect(code).toBe(0);
  });

  it('sample sizes: one vocabulary; the old spellings still work with a warning naming the new one', async () => {
    const legacy = join(dir, 'legacy.json');
    const [sharp, train, interp, remedies, twice] = await lbgap(
      ['sharpness', '--checkpoint', ckpt, ...SYNTH, '--sample', '50', '--max-iter', '1', '--eps', '1e-3', '--json', '--quiet'],
      ['train', ...TINY, '--batch', '50', '--epochs', '1', '--train-eval', '40', '--json', legacy, '--quiet'],
      ['interpolate', '--a', ckpt, '--b', ckpt, ...SYNTH, '--points', '2', '--train-limit', '50', '--test-limit', '50', '--quiet'],
      ['remedies', '--sharpness-sample', '70', '--dump-spec'],
      ['sharpness', '--checkpoint', ckpt, '--samples', '50', '--sample', '60'],
    );
    expect((json(sharp) as { loss: { sample: number } }).loss.sample).toBe(50);
    expect(sharp.err).toBe('lbgap sharpness: warning: --sample is deprecated; use --samples\n');
    expect(train.code, train.err).toBe(0);
    expect(train.err).toMatch(/^lbgap train: warning: --train-eval is deprecated; use --eval-samples$/m);
    expect(train.err).toMatch(/^lbgap train: warning: --json FILE is deprecated; use --out FILE \(--json alone: print the result as one JSON document on stdout/m);
    expect(JSON.parse(readFileSync(legacy, 'utf8')).options).toMatchObject({ trainEval: 40 });
    expect(train.out).toMatch(/^wrote .*legacy\.json$/m);
    expect(interp.code, interp.err).toBe(0);
    expect(interp.err).toBe('lbgap interpolate: warning: --train-limit is deprecated; use --eval-samples\n');
    expect((json(remedies) as { sharpness: { sample: number } }).sharpness.sample).toBe(70);
    expect(remedies.err).toBe('lbgap remedies: warning: --sharpness-sample is deprecated; use --sharpness-samples\n');
    // A deprecated spelling warns first; the usage error follows.
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/^lbgap sharpness: warning: --sample is deprecated; use --samples\nlbgap sharpness: --samples given twice\n/);
  });

  it('questionable settings: warnings (SB ≥ LB, more jobs than cores) before the run; a batch larger than the data refused before any work', async () => {
    const before = fingerprint(aFile);
    const newDir = join(dir, 'never-made');
    const [sbLb, defaultLb, tooBig] = await lbgap(
      ['reproduce', '--net', 'tiny', '--data', 'synthetic', '--limit', '2000', '--sb', '250', '--lb', '200', '--jobs', '99', '--out', aFile],
      ['warmstart', '--net', 'tiny', '--data', 'synthetic', '--limit', '1000', '--out', aFile],
      ['sweep', '--net', 'tiny', '--data', 'synthetic', '--limit', '200', '--batch', '64,300', '--out', newDir],
    );
    const lines = (r: Run) => r.err.trimEnd().split('\n');
    expect(sbLb.code).toBe(1);
    expect(lines(sbLb)).toEqual([
      'lbgap reproduce: warning: --sb 250 is not smaller than --lb 200: there is no large batch to compare (pass a smaller --sb or a larger --lb)',
      expect.stringMatching(/^lbgap reproduce: warning: --jobs 99 is more than the \d+ cores; jobs will share cores \(slower each, same results\)$/),
      expect.stringMatching(/^lbgap reproduce: --out: .*a-file is a file; give a folder$/),
    ]);
    expect(defaultLb.code).toBe(1);
    expect(lines(defaultLb)[0]).toBe('lbgap warmstart: warning: --sb 256 is not smaller than the large batch 100 (10% of the 1000 training samples): there is no large batch to compare (pass a smaller --sb or a larger --lb)');
    expect(fingerprint(aFile)).toEqual(before);
    // More workers than cores for one measurement: a warning, then the same refusal of the output.
    const [workers] = await lbgap(['hessian', '--checkpoint', ckpt, ...SYNTH, '--workers', '99', '--out', join(aFile, 'h.json')]);
    expect(workers.code).toBe(1);
    expect(lines(workers)).toEqual([
      expect.stringMatching(/^lbgap hessian: warning: --workers 99 is more than the \d+ cores; the workers will share cores \(slower, same results\)$/),
      expect.stringMatching(/^lbgap hessian: --out: cannot write .*a-file\/h\.json: .*a-file is a file, not a folder$/),
    ]);
    expectOneLine(tooBig, 1, /^lbgap sweep: --batch 300 is larger than the 200 training samples \(--limit 200\); give a batch of at most 200$/);
    expect(existsSync(newDir)).toBe(false);
    for (const r of [sbLb, defaultLb, tooBig]) { expect(r.out).toBe(''); expect(r.err).not.toMatch(RAW); }
  });

  it('no raw errno text or stack trace for bad inputs: one line naming the file or flag, files untouched', async () => {
    const folder = join(dir, 'folder'), junk = join(dir, 'junk.bin'), empty = join(dir, 'empty.ckpt'), badJson = join(dir, 'bad.json');
    mkdirSync(folder);
    writeFileSync(junk, 'garbage\n');
    writeFileSync(empty, '');
    writeFileSync(badJson, '{"kind":');
    const before = [junk, empty, badJson, ckpt].map(fingerprint);
    const cases: [string[], number, RegExp][] = [
      [['train', '--resume', folder, '--epochs', '2'], 1, /^lbgap train: checkpoint .*folder: cannot read: is a folder$/],
      [['train', '--resume', junk, '--epochs', '2'], 1, /^lbgap train: checkpoint .*junk\.bin: truncated/],
      [['sharpness', '--checkpoint', empty, ...SYNTH], 1, /^lbgap sharpness: checkpoint .*empty\.ckpt: truncated/],
      [['hessian', '--checkpoint', join(dir, 'missing.ckpt'), ...SYNTH], 1, /^lbgap hessian: checkpoint .*missing\.ckpt: cannot read: no such file or folder$/],
      [['interpolate', '--a', ckpt, '--b', junk, ...SYNTH], 1, /^lbgap interpolate: checkpoint .*junk\.bin: truncated/],
      [['report', folder], 1, /^lbgap report: results file .*folder: is a folder; give a file$/],
      [['report', junk], 1, /^lbgap report: .*junk\.bin: is not valid JSON/],
      [['merge', folder, '--out', join(dir, 'm.json')], 1, /^lbgap merge: results file .*folder: is a folder; give a file$/],
      [['reproduce', '--spec', folder], 1, /^lbgap reproduce: --spec .*folder: is a folder; give a file$/],
      [['reproduce', '--spec', join(dir, 'nope.json')], 1, /^lbgap reproduce: --spec .*nope\.json: no such file or folder$/],
      [['reproduce', '--spec', badJson], 1, /bad\.json is not valid JSON/],
      [['sweep', '--out', junk, ...TINY, '--batch', '50'], 1, /^lbgap sweep: --out: .*junk\.bin is a file; give a folder$/],
      [['train', '--net', 'tiny', '--data', 'mnist', '--data-dir', folder], 1, /^lbgap train: .*folder\/train-images-idx3-ubyte: file not found/],
      [['train', ...TINY, '--batch', '50', '--out', '/dev/full'], 1, /^lbgap train: --out: \/dev\/full exists and is not a regular file$/],
      [['train', ...TINY, '--batch', '50', '--checkpoint', '/proc/x.ckpt'], 1, /^lbgap train: --checkpoint: cannot write \/proc\/x\.ckpt/],
      [['serve', '--root', folder, '--port', '0'], 1, /^lbgap serve: .*folder\/index\.html not found: build the page first/],
      [['train', '--limit', '0'], 2, /^lbgap train: --limit: must be ≥ 1, got "0"$/],
      [['hessian', '--checkpoint', ckpt, '--compare', ','], 2, /^lbgap hessian: --compare: empty file name in ","$/],
    ];
    const runs = await lbgap(...cases.map(([argv]) => argv));
    cases.forEach(([argv, code, re], i) => {
      expectOneLine(runs[i], code, re);
      expect(runs[i].out, argv.join(' ')).toBe('');
    });
    expect([junk, empty, badJson, ckpt].map(fingerprint)).toEqual(before);
    expect(existsSync(join(dir, 'm.json'))).toBe(false);
    const [twice] = await lbgap(['train', '--out', 'x.json', '--json=maybe.json']);
    expect(twice.code).toBe(2);
    expect(twice.err).toMatch(/^lbgap train: warning: --json FILE is deprecated; .*\nlbgap train: --out given twice \(once as --json\)\n/);
  });

  it('progress: on a terminal sharpness, hessian and interpolate show iterations; in a pipe nothing is redrawn', async () => {
    let t = 0;
    const drawn: string[] = [];
    const status = () => new StatusLine({ isTTY: true, write: (s) => drawn.push(s) }, () => (t += 1000));
    const io = { out: () => {}, err: () => {} };
    expect(await sharpnessCommand(parseFlags(['--checkpoint', ckpt, ...SYNTH, '--samples', '50', '--max-iter', '2', '--eps', '1e-3'], SHARPNESS_COMMAND), io, '', status())).toBe(0);
    expect(drawn).toContainEqual(expect.stringMatching(/\[1\/1\] φ in the full space, ε = 0\.001: L-BFGS-B iteration 1\/2, φ so far \d/));
    expect(await hessianCommand(parseFlags(['--checkpoint', ckpt, ...SYNTH, '--samples', '50', '--top', '1', '--max-iter', '3', '--trace', '--trace-samples', '2', '--density', '--density-steps', '2'], HESSIAN_COMMAND), io, '', status())).toBe(0);
    expect(drawn).toContainEqual(expect.stringMatching(/Lanczos step 1\/3, largest Ritz value /));
    expect(drawn).toContainEqual(expect.stringMatching(/trace: Hutchinson sample 2\/2, estimate /));
    expect(drawn).toContainEqual(expect.stringMatching(/eigenvalue density: run 1\/1, Lanczos step 1\/2/));
    expect(await interpolateCommand(parseFlags(['--a', ckpt, '--b', ckpt, ...SYNTH, '--points', '3', '--eval-samples', '50', '--test-limit', '50'], INTERPOLATE_COMMAND), io, '', status())).toBe(0);
    expect(drawn).toContainEqual(expect.stringMatching(/\[2\/3\] evaluating the next α… \(ETA /));
    expect(drawn.at(-1)).toBe('\r\x1b[2K'); // erased at the end
    const [piped] = await lbgap(['hessian', '--checkpoint', ckpt, ...SYNTH, '--samples', '50', '--top', '1', '--max-iter', '3', '--trace', '--trace-samples', '2']);
    expect(piped.code, piped.err).toBe(0);
    expect(piped.err).toBe('');
    expect(piped.out.split('\n').filter((l) => l !== '')).toHaveLength(3); // start line, eigenvalues, trace: one line per event
  });
});
