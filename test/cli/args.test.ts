// The typed flag tables (defineCommand): --no-X for booleans, required flags, "did you mean",
// the usage text, and the one-line error messages of the top-level handler.
import { describe, expect, expectTypeOf, it } from 'vitest';
import { defineCommand, parseFlags, usage, UsageError } from '../../src/cli/args.js';
import { plainErrno, userMessage } from '../../src/cli/errors.js';
import { closest, editDistance } from '../../src/cli/suggest.js';
import { plural } from '../../src/cli/plural.js';
import { CheckpointError } from '../../src/train/errors.js';

const CMD = defineCommand({
  name: 'demo', summary: 'demo',
  flags: [
    { name: 'in', type: 'string', required: true, help: 'input' },
    { name: 'full', type: 'boolean', default: true, help: 'full space' },
    { name: 'trace', type: 'boolean', help: 'trace' },
    { name: 'top', type: 'int', min: 1, default: 5, help: 'top' },
    { name: 'bn', type: 'choice', choices: ['batch', 'running'], help: 'bn' },
  ],
});

const fails = (argv: string[]) => {
  try { parseFlags(argv, CMD); } catch (e) { if (e instanceof UsageError) return e.message; throw e; }
  throw new Error('accepted');
};

describe('typed flag tables', () => {
  it('types follow the table: defaults and required flags are always present', () => {
    const f = parseFlags(['--in', 'x'], CMD);
    expectTypeOf(f.in).toEqualTypeOf<string>();
    expectTypeOf(f.top).toEqualTypeOf<number>();
    expectTypeOf(f.full).toEqualTypeOf<boolean>();
    expectTypeOf(f.trace).toEqualTypeOf<boolean | undefined>();
    expectTypeOf(f.bn).toEqualTypeOf<'batch' | 'running' | undefined>();
    expect(f).toEqual({ in: 'x', full: true, top: 5 });
  });

  it('--no-X for every boolean, --X=false still works; --no-X takes no value', () => {
    expect(parseFlags(['--in', 'x', '--no-full', '--no-trace'], CMD)).toMatchObject({ full: false, trace: false });
    expect(parseFlags(['--in', 'x', '--full=false'], CMD).full).toBe(false);
    expect(fails(['--in', 'x', '--no-full=true'])).toBe('--no-full takes no value, got "true"');
    expect(fails(['--in', 'x', '--full', '--no-full'])).toBe('--full given twice');
    expect(fails(['--in', 'x', '--no-top'])).toMatch(/^unknown option --no-top for 'demo'/);
  });

  it('required flags, did you mean, and --help skips the required check', () => {
    expect(fails([])).toBe('--in is required');
    expect(fails(['--in', 'x', '--tpo', '3'])).toBe("unknown option --tpo for 'demo' (did you mean --top?)");
    expect(fails(['--in', 'x', '--no-ful'])).toMatch(/did you mean --no-full\?/);
    expect(fails(['--in', 'x', '--zzzzzz'])).toBe("unknown option --zzzzzz for 'demo'");
    expect(parseFlags(['--help'], CMD).help).toBe(true);
  });

  it('deprecated aliases: accepted with a warning naming the new flag; a boolean that once took a file', () => {
    const OLD = defineCommand({
      name: 'old', summary: 'old',
      flags: [
        { name: 'samples', aliases: ['sample'], type: 'int', min: 1, help: 'samples' },
        { name: 'out', type: 'string', metavar: 'FILE', help: 'file' },
        { name: 'json', type: 'boolean', valueAlias: 'out', help: 'print JSON' },
      ],
    });
    const warnings: string[] = [];
    const parse = (argv: string[]) => parseFlags(argv, OLD, 'lbgap', (w) => warnings.push(w));
    expect(parse(['--sample', '5'])).toEqual({ samples: 5 });
    expect(parse(['--sample=6'])).toEqual({ samples: 6 });
    expect(parse(['--json', 'r.json'])).toEqual({ out: 'r.json' });
    expect(parse(['--json=r.json'])).toEqual({ out: 'r.json' });
    expect(warnings).toEqual([
      '--sample is deprecated; use --samples', '--sample is deprecated; use --samples',
      '--json FILE is deprecated; use --out FILE (--json alone: print JSON)', '--json FILE is deprecated; use --out FILE (--json alone: print JSON)',
    ]);
    warnings.length = 0;
    expect(parse(['--json', '--samples', '2'])).toEqual({ json: true, samples: 2 });
    expect(parse(['--json=false'])).toEqual({ json: false });
    expect(warnings).toEqual([]);
    expect(() => parse(['--samples', '1', '--sample', '2'])).toThrow('--samples given twice');
    expect(() => parse(['--sample', 'x'])).toThrow('--samples: must be a whole number, got "x"');
  });

  it('usage shows [no-] for default-true booleans and marks required flags', () => {
    const u = usage('lbgap', { ...CMD, args: 'FILE' });
    expect(u).toMatch(/^Usage: lbgap demo FILE \[options\]/);
    expect(u).toMatch(/--\[no-\]full +full space \(default true\)/);
    expect(u).toMatch(/--in VALUE +input \(required\)/);
    expect(u).toMatch(/--trace +trace$/m);
  });
});

describe('suggestions, plurals and messages', () => {
  it('edit distance counts a swap of neighbours as one; closest needs a plausible typo', () => {
    expect(editDistance('trian', 'train')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closest('epoch', ['epochs', 'batch'])).toBe('epochs');
    expect(closest('sharpnes', ['sharpness', 'hessian'])).toBe('sharpness');
    expect(closest('xyz', ['train', 'serve'])).toBeUndefined();
  });

  it('plural', () => {
    expect(plural(1, 'epoch')).toBe('1 epoch');
    expect(plural(0, 'epoch')).toBe('0 epochs');
    expect(plural(12345, 'sample')).toBe('12,345 samples');
  });

  it('userMessage: own errors by message, file-system errors in words, anything else is internal', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, open 'a/b.json'"), { code: 'ENOENT', syscall: 'open', path: 'a/b.json' });
    expect(userMessage(enoent)).toEqual({ message: 'a/b.json: no such file or folder', internal: false });
    const ck = new CheckpointError('x.ckpt', "cannot read: EACCES: permission denied, open 'x.ckpt'");
    expect(userMessage(ck)).toEqual({ message: 'checkpoint x.ckpt: cannot read: permission denied', internal: false });
    expect(userMessage(new TypeError('boom'))).toEqual({ message: 'internal error: boom', internal: true });
    expect(plainErrno("reading EROFS: read-only file system, open '/ro/x'")).toBe('reading /ro/x: read-only file system');
  });
});
