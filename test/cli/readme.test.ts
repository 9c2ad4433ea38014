// README examples stay true: every `lbgap …` command line in the README's shell blocks is run
// with --help appended, which parses and validates every flag and value of the example (an
// unknown flag, a bad value or a removed command fails) without doing the work.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';

function readmeCommands(): string[][] {
  const md = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const blocks = [...md.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const commands: string[][] = [];
  for (const line of blocks.join('\n').split('\n')) {
    const m = /^\s*(?:lbgap|node bin\/lbgap\.js)\s+(.*)$/.exec(line);
    if (!m) continue;
    // Drop the comment and any redirection; optional parts in [brackets] are given.
    const cmd = m[1].replace(/\s+#.*$/, '').split(/\s+[>|]\s+/)[0].replace(/[[\]]/g, '').trim();
    if (/[$<…]/.test(cmd)) continue;
    commands.push(cmd.split(/\s+/));
  }
  return commands;
}

describe('README examples', () => {
  const commands = readmeCommands();
  it('finds the examples', () => {
    expect(commands.length).toBeGreaterThan(15);
    expect(commands.map((c) => c[0])).toEqual(expect.arrayContaining(['train', 'sharpness', 'interpolate', 'hessian', 'reproduce', 'sweep', 'merge', 'report', 'serve', 'bench']));
  });
  for (const argv of commands) {
    it(`lbgap ${argv.join(' ')}`, async () => {
      const err: string[] = [];
      const code = await main([...argv, '--help'], { out: () => {}, err: (l) => err.push(l) });
      expect(code, err.join('\n')).toBe(0);
    });
  }
});
