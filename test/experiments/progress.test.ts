// Progress output: plain lines with percentage and ETA when stderr is not a terminal, a
// redrawn bar (carriage return, line clear) when it is.
import { describe, expect, it } from 'vitest';
import { formatDuration, Progress } from '../../src/experiments/progress.js';

function sink(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, write: (t: string) => { chunks.push(t); } };
}

describe('Progress', () => {
  it('plain lines: one per event with percent done and ETA from the elapsed time', () => {
    let now = 0;
    const s = sink(false);
    const p = new Progress(100, s, () => now);
    now = 10_000;
    p.advance(20);            // no line for plain advances
    expect(s.chunks).toEqual([]);
    p.event(5, 'epoch 1/4 done');
    // 25 units in 10 s → 75 left ≈ 30 s.
    expect(s.chunks).toEqual(['epoch 1/4 done  [25%, ETA 30s]\n']);
    p.event(75, 'all done');
    expect(s.chunks[1]).toBe('all done  [100%, ETA 0s]\n');
  });

  it('TTY: a bar redrawn in place, event lines above it', () => {
    let now = 0;
    const s = sink(true);
    const p = new Progress(10, s, () => now);
    now = 1000;
    p.advance(5, 'SB epoch 1');
    expect(s.chunks.at(-1)).toMatch(/^\r\x1b\[K\[#{15}-{15}\] 50\.0% {2}ETA 1s {2}SB epoch 1$/);
    p.event(0, 'measured φ');
    expect(s.chunks.some((c) => c.startsWith('\r\x1b[Kmeasured φ  [50%, ETA 1s]\n'))).toBe(true);
    p.finish();
    expect(s.chunks.at(-1)).toBe('\r\x1b[K');
  });

  it('TTY with concurrent jobs: the bar and one line per running job, redrawn in place', () => {
    let now = 0;
    const s = sink(true);
    const p = new Progress(100, s, () => now);
    now = 1000;
    p.advance(10, 'job 0: SB epoch 1', 0);
    expect(s.chunks.at(-1)).toMatch(/^\r\x1b\[K\[#{3}-{27}\] 10\.0% {2}ETA 9s\n {2}job 0: SB epoch 1$/);
    now = 2000;
    p.advance(10, 'job 1: LB epoch 1', 1);
    // Two lines were drawn: up one, clear to the end, then the bar and both jobs.
    expect(s.chunks.at(-1)).toMatch(/^\x1b\[1A\r\x1b\[J\[#{6}-{24}\] 20\.0% .*\n {2}job 0: SB epoch 1\n {2}job 1: LB epoch 1$/);
    p.event(0, 'job 0: done');
    expect(s.chunks.at(-2)).toBe('\x1b[2A\r\x1b[Jjob 0: done  [20%, ETA 8s]\n');
    p.endSlot(0);
    now = 3000;
    p.advance(0, 'job 1: LB epoch 2', 1);
    expect(s.chunks.at(-1)).toMatch(/^\x1b\[2A\r\x1b\[J\[.*\n {2}job 1: LB epoch 2$/);
    p.finish();
    expect(s.chunks.at(-1)).toBe('\x1b[1A\r\x1b[J');
  });

  it('formats durations', () => {
    expect(formatDuration(59.4)).toBe('59s');
    expect(formatDuration(61)).toBe('1m01s');
    expect(formatDuration(3 * 3600 + 120)).toBe('3h02m');
    expect(formatDuration(NaN)).toBe('?');
  });
});
