// Running `node bin/lbgap.js` as a user does (the compiled dist/: `npm run build:ts` first),
// and the checks every end-to-end case shares: one-line failures, files untouched.
import { spawn } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'lbgap.js');

export interface Run { code: number | null; out: string; err: string }

/** Runs invocations of `node bin/lbgap.js` concurrently (each process mostly waits on Node's startup). */
export function lbgap(...argvs: string[][]): Promise<Run[]> {
  return Promise.all(argvs.map((args) => new Promise<Run>((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT });
    let out = '', err = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { err += d; });
    child.on('close', (code) => resolve({ code, out, err }));
  })));
}

/** No class names, errno codes or stack frames. */
export const RAW = /\b[A-Z][A-Za-z]*Error\b|\bE[A-Z]{3,}\b|^\s+at /m;

/** A failure is one line on stderr, without class names, errno codes or stack frames. */
export function expectOneLine(r: Run, code: number, re: RegExp): void {
  expect(r.code, r.err).toBe(code);
  const lines = r.err.trimEnd().split('\n');
  expect(lines[0]).toMatch(re);
  if (code === 1) expect(lines, r.err).toHaveLength(1);
  expect(r.err).not.toMatch(RAW);
}

/** Bytes and modification time, to prove a file untouched. */
export const fingerprint = (file: string) => ({ bytes: readFileSync(file).toString('base64'), mtime: statSync(file).mtimeMs });
