// End to end: the `lbgap` command as a user runs it (a spawned `node bin/lbgap.js`, which runs
// the compiled dist/ — `npm test` builds it first): exit codes, the one-line messages, and
// that refused or failed commands leave files untouched and do their checks before any work.
// Issue 12: resume (bug 1), output checks (bug 2), no silent overwrite (bug 3), and the CLI
// polish (did you mean, --no-X, --version, messages without class names or errno text).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { loadCheckpoint } from '../../src/train/checkpoint.js';
import { BIN, expectOneLine, fingerprint, lbgap, ROOT } from './spawn_lbgap.js';

const TINY = ['--net', 'tiny', '--data', 'synthetic', '--limit', '200', '--build', 'simd'];
const SYNTH = ['--data', 'synthetic', '--limit', '200', '--build', 'simd'];

describe('lbgap end to end (spawned bin/lbgap.js)', () => {
  let dir: string;
  let ckpt: string;
  let aFile: string; // a regular file, used where a folder is expected
  beforeAll(async () => {
    expect(existsSync(join(ROOT, 'dist/cli/main.js')), 'run `npm run build:ts` first').toBe(true);
    dir = mkdtempSync(join(tmpdir(), 'lbgap-e2e-'));
    aFile = join(dir, 'a-file');
    writeFileSync(aFile, 'not a folder\n');
    ckpt = join(dir, 'base.ckpt');
    const [r] = await lbgap(['train', ...TINY, '--eval-samples', '50', '--batch', '20', '--seed', '3', '--epochs', '1', '--checkpoint', ckpt]);
    expect(r.code, r.err).toBe(0);
  });
  afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

  it('--version, did you mean (commands and flags), usage line only for usage errors', async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const [v1, v2, cmd, flag, neg, bad, none] = await lbgap(['--version'], ['-V'], ['trian'], ['train', '--epoch', '3'], ['sharpness', '--no-ful'], ['train', '--batch', 'x'], []);
    expect(none.code).toBe(2); // no command: a usage error, the usage on stderr
    expect(none.out).toBe('');
    expect(none.err).toMatch(/^Usage: lbgap <command> \[options\]/);
    for (const v of [v1, v2]) expect(v.out.trim()).toBe(`lbgap ${pkg.version}`);
    expectOneLine(cmd, 2, /^lbgap: unknown command "trian" \(did you mean train\?\)$/);
    expectOneLine(flag, 2, /^lbgap train: unknown option --epoch for 'train' \(did you mean --epochs\?\)$/);
    expectOneLine(neg, 2, /did you mean --no-full\?/);
    expectOneLine(bad, 2, /^lbgap train: --batch: must be a whole number, got "x"$/);
    expect(bad.err).toMatch(/^Usage: lbgap train \[options\]$/m);
    expect(bad.err).toMatch(/Run 'lbgap train --help' for its options\./);
    expect(bad.err).not.toMatch(/--checkpoint-every/); // not the whole option list
  });

  it('runtime errors are one line without class names or raw errno text', async () => {
    const [r, rep] = await lbgap(['train', '--resume', join(dir, 'nope.ckpt'), '--epochs', '2'], ['report', join(dir, 'missing.json')]);
    expectOneLine(r, 1, /^lbgap train: checkpoint .*nope\.ckpt: cannot read: no such file or folder$/);
    expectOneLine(rep, 1, /^lbgap report: .*missing\.json: no such file or folder$/);
  });

  describe('bug 1: --resume takes the run from the checkpoint', () => {
    it('continues with the stored settings into the same checkpoint, bit-identical to a straight run', async () => {
      const resumed = join(dir, 'resumed.ckpt'), straight = join(dir, 'straight.json'), rj = join(dir, 'resumed.json');
      writeFileSync(resumed, readFileSync(ckpt));
      const [r, s] = await lbgap(
        ['train', '--resume', resumed, '--epochs', '2', '--out', rj],
        ['train', ...TINY, '--eval-samples', '50', '--batch', '20', '--seed', '3', '--epochs', '2', '--out', straight],
      );
      expect(r.code, r.err).toBe(0);
      expect(s.code, s.err).toBe(0);
      expect(r.out).toMatch(/^lbgap train: tiny .* on synthetic\/train \(200\) .* batch 20, adam lr 0\.001, seed 3, kernels simd, resuming .*resumed\.ckpt after epoch 1/);
      expect(r.out).toMatch(/^checkpoint: epoch 2 in .*resumed\.ckpt/m);
      expect((await loadCheckpoint(resumed)).epoch).toBe(2); // kept writing the same checkpoint
      const hist = (f: string) => JSON.parse(readFileSync(f, 'utf8')).history.map((h: Record<string, number>) => [h.trainLoss, h.testLoss, h.testAcc, h.steps]);
      expect(hist(rj)).toEqual(hist(straight));
      expect(JSON.parse(readFileSync(rj, 'utf8')).options).toMatchObject({ batchSize: 20, seed: 3, limit: 200, optimizer: 'adam', trainEval: 50 });
    });

    it('refuses conflicting flags (field and both values), epochs not beyond, another network — checkpoint untouched', async () => {
      const before = fingerprint(ckpt);
      const other = join(dir, 'other.ckpt');
      const cases: [string[], RegExp][] = [
        [['--batch', '50', '--epochs', '3'], /^lbgap train: --batch 50 conflicts with the run in .*base\.ckpt, whose batch size is 20: a resumed run keeps its settings \(drop --batch, or start a new run without --resume\)$/],
        [['--net', 'F1', '--epochs', '3'], /--net F1 conflicts with the run in .*base\.ckpt, whose network is tiny/],
        [['--epochs', '1'], /--epochs 1 is not beyond the 1 epoch already in .*base\.ckpt: nothing to train \(pass --epochs 2 or more\)/],
        [[], /--resume needs --epochs N, the total to train to \(the run in .*base\.ckpt has 1 epoch\)/],
      ];
      const runs = await lbgap(
        ...cases.map(([extra]) => ['train', '--resume', ckpt, ...extra]),
        ['train', '--resume', ckpt, '--batch', '20', '--net', 'tiny', '--epochs', '2', '--checkpoint', other], // agreeing flags are fine
      );
      cases.forEach(([extra, re], i) => {
        expectOneLine(runs[i], 2, re);
        expect(runs[i].out, extra.join(' ')).toBe('');
      });
      expect(runs[cases.length].code, runs[cases.length].err).toBe(0);
      expect((await loadCheckpoint(other)).epoch).toBe(2);
      // The other settings, in-process (the same code path; spawning each would only add Node start-ups).
      const more: [string[], RegExp][] = [
        [['--limit', '100'], /--limit 100 conflicts with the run in .*base\.ckpt, whose training sample limit is 200/],
        [['--seed', '4'], /--seed 4 conflicts with the run in .*base\.ckpt, whose seed is 3/],
        [['--optimizer', 'sgd'], /--optimizer sgd conflicts .* whose optimizer is adam/],
        [['--data', 'mnist'], /--data mnist conflicts .* whose data set is synthetic/],
        [['--lr', '0.01'], /--lr 0.01 conflicts .* whose learning rate is 0.001/],
        [['--eval-samples', '60'], /--eval-samples 60 conflicts .* whose training-evaluation sample count is 50/],
        [['--build', 'relaxed-simd'], /--build relaxed-simd conflicts .* whose kernel build is simd/],
      ];
      for (const [extra, re] of more) {
        const err: string[] = [];
        expect(await main(['train', '--resume', ckpt, '--epochs', '3', ...extra], { out: () => {}, err: (l) => err.push(l) })).toBe(2);
        expect(err.join('\n')).toMatch(re);
      }
      expect(fingerprint(ckpt)).toEqual(before);
    });

    it('Ctrl-C stops after a saved epoch and says how to resume', async () => {
      const file = join(dir, 'sigint.ckpt');
      const child = spawn(process.execPath, [BIN, 'train', '--net', 'tiny', '--data', 'synthetic', '--limit', '1000', '--eval-samples', '50', '--build', 'simd', '--batch', '20', '--epochs', '500', '--checkpoint', file], { cwd: ROOT });
      let out = '', err = '';
      child.stderr.on('data', (d) => { err += d; });
      const code = await new Promise<number | null>((resolve) => {
        child.stdout.on('data', (d) => {
          out += d;
          if (/^epoch +1\/500/m.test(out) && !child.killed) child.kill('SIGINT');
        });
        child.on('close', (c) => resolve(c));
      });
      expect(code, err).toBe(130);
      const m = /^lbgap train: stopped by Ctrl-C: (\d+) epochs? saved in (.*sigint\.ckpt); continue with: lbgap train --resume .*sigint\.ckpt --epochs 500$/m.exec(err);
      expect(m, err).not.toBeNull();
      expect((await loadCheckpoint(file)).epoch).toBe(Number(m![1]));
    });
  });

  describe('bug 2: outputs are checked before any work', () => {
    it('train --json/--checkpoint: a file in the path, a folder as the file, an unwritable place; parent folders created', async () => {
      const deep = join(dir, 'new', 'deeper', 'run.json');
      const [inFile, folder, readOnly, ok] = await lbgap(
        ['train', ...TINY, '--epochs', '1', '--out', join(aFile, 'run.json')],
        ['train', ...TINY, '--epochs', '1', '--checkpoint', dir],
        ['train', ...TINY, '--epochs', '1', '--checkpoint', '/sys/lbgap-e2e/x.ckpt'],
        ['train', ...TINY, '--epochs', '1', '--batch', '100', '--out', deep],
      );
      expectOneLine(inFile, 1, /^lbgap train: --out: cannot write .*a-file\/run\.json: .*a-file is a file, not a folder$/);
      expect(inFile.out).toBe(''); // refused before loading data or training
      expectOneLine(folder, 1, /^lbgap train: --checkpoint: .* is a folder; give a file name$/);
      expectOneLine(readOnly, 1, /^lbgap train: --checkpoint: cannot (create the folder|write).*\/sys\/lbgap-e2e.*: (permission denied|read-only file system|no such file or folder)$/);
      expect(readOnly.out).toBe('');
      expect(ok.code, ok.err).toBe(0);
      expect(JSON.parse(readFileSync(deep, 'utf8')).history).toHaveLength(1);
    });

    it('sharpness, hessian and interpolate --out (and --svg) fail before measuring', async () => {
      const bad = join(aFile, 'x.json');
      const cmds: [string, string[]][] = [
        ['sharpness', ['--checkpoint', ckpt]],
        ['hessian', ['--checkpoint', ckpt]],
        ['interpolate', ['--a', ckpt, '--b', ckpt]],
      ];
      const runs = await lbgap(
        ...cmds.map(([cmd, args]) => [cmd, ...args, ...SYNTH, '--out', bad]),
        ['interpolate', '--a', ckpt, '--b', ckpt, ...SYNTH, '--svg', dir],
      );
      cmds.forEach(([cmd], i) => {
        expectOneLine(runs[i], 1, new RegExp(`^lbgap ${cmd}: --out: cannot write .*a-file/x\\.json: .*a-file is a file, not a folder$`));
        expect(runs[i].out, cmd).toBe('');
      });
      expectOneLine(runs[3], 1, /^lbgap interpolate: --svg: .* is a folder; give a file name$/);
    });
  });

  describe('bug 3: no silent overwrite without --force', () => {
    it('train --json, sharpness/hessian/interpolate --out refuse an existing file; --force replaces it; iterations shown', async () => {
      const cmds: [string, string[]][] = [
        ['train', [...TINY, '--epochs', '1', '--batch', '100', '--out']],
        ['sharpness', ['--checkpoint', ckpt, ...SYNTH, '--max-iter', '1', '--eps', '1e-3', '--samples', '50', '--out']],
        ['hessian', ['--checkpoint', ckpt, ...SYNTH, '--top', '1', '--max-iter', '2', '--samples', '50', '--out']],
        ['interpolate', ['--a', ckpt, '--b', ckpt, ...SYNTH, '--points', '2', '--eval-samples', '50', '--test-limit', '50', '--out']],
      ];
      const existing = join(dir, 'existing.json');
      writeFileSync(existing, '{"keep": true}\n');
      const before = fingerprint(existing);
      const files = cmds.map(([cmd]) => join(dir, `forced-${cmd}.json`));
      for (const f of files) writeFileSync(f, '{"keep": true}\n');
      const runs = await lbgap(
        ...cmds.map(([cmd, args]) => [cmd, ...args, existing]),
        ...cmds.map(([cmd, args], i) => [cmd, ...args, files[i], '--force']),
      );
      const n = cmds.length;
      cmds.forEach(([cmd], i) => {
        expectOneLine(runs[i], 1, new RegExp(`^lbgap ${cmd}: --(json|out): .*existing\\.json already exists; pass --force to replace it$`));
        expect(runs[i].out, cmd).toBe('');
        expect(runs[n + i].code, `${cmd}: ${runs[n + i].err}`).toBe(0);
        expect(JSON.parse(readFileSync(files[i], 'utf8')).keep, cmd).toBeUndefined();
      });
      expect(fingerprint(existing)).toEqual(before);
      // Iterations are shown (and counted with their noun).
      expect(runs[n + 1].out).toMatch(/φ = .*; 1 iteration, \d+ evaluations?, /);
      expect(runs[n + 2].out).toMatch(/top 1 eigenvalue\b.*Lanczos [12] steps?\b/);
      expect(runs[n + 3].out).toMatch(/^\[1\/2\] α/m);
    });

    it('sharpness and hessian: the loss over 2 workers gives the in-thread numbers bit for bit', async () => {
      const loss = ['--checkpoint', ckpt, ...SYNTH, '--samples', '100', '--chunk', '25', '--json', '--quiet'];
      const phi = [...loss, '--max-iter', '2', '--eps', '1e-3'], eig = [...loss, '--top', '1', '--max-iter', '3'];
      const [p1, p2, h1, h2] = await lbgap(['sharpness', ...phi, '--workers', '1'], ['sharpness', ...phi, '--workers', '2'], ['hessian', ...eig, '--workers', '1'], ['hessian', ...eig, '--workers', '2']);
      for (const r of [p1, p2, h1, h2]) expect(r.code, r.err).toBe(0);
      const [a, b] = [p1, p2].map((r) => JSON.parse(r.out).results[0]);
      expect(b.phi).toBe(a.phi);
      expect(b.fmax).toBe(a.fmax);
      expect(JSON.parse(h2.out).eigen.values).toEqual(JSON.parse(h1.out).eigen.values);
    });

    it('train --checkpoint refuses to replace another run\'s checkpoint', async () => {
      const before = fingerprint(ckpt);
      const [r] = await lbgap(['train', ...TINY, '--epochs', '1', '--checkpoint', ckpt]);
      expectOneLine(r, 1, /^lbgap train: --checkpoint: .*base\.ckpt already exists; pass --force to replace it$/);
      expect(fingerprint(ckpt)).toEqual(before);
    });
  });

  describe('report and merge', () => {
    let results: string;
    beforeAll(async () => {
      // A one-job sweep: the smallest real results.json.
      const out = join(dir, 'sweep');
      const [dump] = await lbgap(['sweep', '--dump-spec', '--net', 'tiny', '--data', 'synthetic', '--limit', '100', '--epochs', '1', '--seeds', '0', '--batch', '50', '--build', 'simd']);
      const spec = JSON.parse(dump.out);
      spec.data.testLimit = 50;
      spec.trainEvalSamples = 50;
      spec.sharpness = { ...spec.sharpness, eps: [1e-3], subspace: 0, maxIter: 1, sample: 50, chunk: 50 };
      spec.hessian = { ...spec.hessian, maxIter: 1, sample: 50 };
      if (spec.track) spec.track.enabled = false;
      const specFile = join(dir, 'spec.json');
      writeFileSync(specFile, JSON.stringify(spec));
      const [r] = await lbgap(['sweep', '--spec', specFile, '--out', out, '--jobs', '1', '--quiet']);
      expect(r.code, r.err).toBe(0);
      results = join(out, 'results.json');
    });

    it('report: re-renders beside its own results.json; refuses another folder\'s report without --force; a file as --out', async () => {
      const other = join(dir, 'other-run');
      mkdirSync(other);
      writeFileSync(join(other, 'REPORT.md'), '# another run\n');
      const before = fingerprint(join(other, 'REPORT.md'));
      const [own, refused, asFile] = await lbgap(['report', results], ['report', results, '--out', other], ['report', results, '--out', aFile]);
      expect(own.code, own.err).toBe(0);
      expectOneLine(refused, 1, /^lbgap report: --out: .*other-run already holds REPORT\.md; pass --force to replace it$/);
      expect(fingerprint(join(other, 'REPORT.md'))).toEqual(before);
      expectOneLine(asFile, 1, /^lbgap report: --out: .*a-file is a file; give a folder$/);
      const [forced] = await lbgap(['report', results, '--out', other, '--force']);
      expect(forced.code, forced.err).toBe(0);
      expect(readFileSync(join(other, 'REPORT.md'), 'utf8')).not.toBe('# another run\n');
    });

    it('merge: creates the --out folder, refuses an existing merged file, --no-report writes only the JSON', async () => {
      const merged = join(dir, 'merged', 'deep', 'all.json'), only = join(dir, 'merged-only', 'all.json');
      const [r, noReport, bad] = await lbgap(['merge', results, '--out', merged], ['merge', results, '--out', only, '--no-report'], ['merge', results, '--out', join(aFile, 'x.json')]);
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^merged 1 file \(1 job\) into /);
      expect(existsSync(join(dir, 'merged', 'deep', 'REPORT.md'))).toBe(true);
      expect(noReport.code, noReport.err).toBe(0);
      expect(existsSync(only)).toBe(true);
      expect(existsSync(join(dir, 'merged-only', 'REPORT.md'))).toBe(false);
      expectOneLine(bad, 1, /^lbgap merge: --out: cannot write .*a-file is a file, not a folder$/);
      const before = fingerprint(merged);
      const [again] = await lbgap(['merge', results, '--out', merged]);
      expectOneLine(again, 1, /^lbgap merge: --out: .*all\.json already exists; pass --force to replace it$/);
      expect(fingerprint(merged)).toEqual(before);
    });
  });

  it('warnings for questionable settings; plurals; where the checkpoint went', async () => {
    const file = join(dir, 'full-batch.ckpt');
    const [r, big] = await lbgap(
      ['train', ...TINY, '--batch', '200', '--epochs', '1', '--checkpoint', file, '--eval-samples', '999', '--checkpoint-every', '3'],
      ['train', ...TINY, '--batch', '201', '--epochs', '1'],
    );
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/^lbgap train: warning: --batch 200 is the whole training set: full-batch training, one step per epoch$/m);
    expect(r.err).toMatch(/^lbgap train: warning: --eval-samples 999 is more than the 200 training samples; evaluating on all$/m);
    expect(r.err).toMatch(/^lbgap train: warning: --checkpoint-every 3 is more than --epochs 1: only the last epoch is saved$/m);
    expect(r.out).toMatch(/^final: .* after 1 epoch \(1 step\)$/m);
    expect(r.out).toMatch(/^checkpoint: epoch 1 in .*full-batch\.ckpt/m);
    expectOneLine(big, 2, /^lbgap train: --batch 201 is larger than the 200 training samples of synthetic\/train \(--limit 200\)$/);
  });
});
