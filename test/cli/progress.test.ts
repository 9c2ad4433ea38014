// `lbgap train` progress: within an epoch on a terminal (step, samples/s, ETA, erased before
// the epoch's line), nothing extra on a pipe — one line per epoch.
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { StepProgress } from '../../src/cli/step_progress.js';
import { trainCommand, TRAIN_COMMAND } from '../../src/cli/train_command.js';
import { parseFlags } from '../../src/cli/args.js';

describe('train progress', () => {
  it('StepProgress draws on a TTY (throttled), erases, and draws nothing on a pipe', () => {
    let t = 0;
    const tty: string[] = [], pipe: string[] = [];
    const p = new StepProgress({ isTTY: true, write: (s) => tty.push(s) }, () => t);
    const q = new StepProgress({ isTTY: false, write: (s) => pipe.push(s) }, () => t);
    for (let step = 1; step <= 10; step++) { t += 100; p.step(2, 5, step, 10, 32); q.step(2, 5, step, 10, 32); }
    p.clear();
    expect(pipe).toEqual([]);
    expect(tty.length).toBeGreaterThan(2);
    expect(tty.length).toBeLessThan(10); // throttled to ~every 200 ms
    expect(tty.at(-2)).toMatch(/^\r\x1b\[2Kepoch 2\/5 {2}step 10\/10 {2}320 samples\/s {2}ETA 0s$/);
    expect(tty.at(-1)).toBe('\r\x1b[2K');
  });

  it('lbgap train on a terminal: status lines between the epoch lines; on a pipe: one line per epoch', async () => {
    const argv = ['--net', 'tiny', '--data', 'synthetic', '--limit', '300', '--batch', '10', '--epochs', '2', '--build', 'simd', '--eval-samples', '50'];
    const drawn: string[] = [], out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => {} };
    expect(await trainCommand(parseFlags(argv, TRAIN_COMMAND), io, '', { progress: { isTTY: true, write: (s) => drawn.push(s) } })).toBe(0);
    expect(drawn.some((s) => /epoch 1\/2 {2}step \d+\/30 {2}[\d,]+ samples\/s {2}ETA /.test(s))).toBe(true);
    expect(drawn.at(-1)).toBe('\r\x1b[2K');
    expect(out.filter((l) => l.startsWith('epoch'))).toHaveLength(2);
    const quiet: string[] = [];
    expect(await main(['train', ...argv, '--quiet'], { out: (l) => quiet.push(l), err: () => {} })).toBe(0);
    expect(quiet.filter((l) => l.startsWith('epoch'))).toHaveLength(0);
    expect(quiet.at(-1)).toMatch(/^final: .* after 2 epochs \(60 steps\)$/);
  });
});
