// `lbgap serve` as a user runs it (the built CLI in a child process): prints its URL, serves the
// page, the .wasm and MNIST with (or, with --no-isolation, without) COOP/COEP, stops on Ctrl-C;
// bad flags and a busy port are clear errors.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/lbgap.js', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => { for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL'); });

interface Run { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number | null> }

function run(args: string[]): Run {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '', err = '';
  child.stdout!.on('data', (d) => { out += d; });
  child.stderr!.on('data', (d) => { err += d; });
  const exit = new Promise<number | null>((ok) => child.on('exit', (code) => ok(code)));
  return { child, out: () => out, err: () => err, exit };
}

async function servedUrl(r: Run): Promise<string> {
  for (let i = 0; i < 200; i++) {
    const m = /lbgap serve: (http:\/\/[^\s]+\/)/.exec(r.out());
    if (m) return m[1];
    if (r.child.exitCode !== null) throw new Error(`serve exited ${r.child.exitCode}: ${r.err()}`);
    await new Promise((ok) => setTimeout(ok, 50));
  }
  throw new Error(`serve printed no URL: ${r.out()} ${r.err()}`);
}

describe('lbgap serve', () => {
  it('serves the page, wasm and MNIST cross-origin isolated, and stops on SIGINT', async () => {
    const r = run(['serve', '--port', '0']);
    const url = await servedUrl(r);
    expect(r.out()).toContain('cross-origin isolated');
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(page.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(page.headers.get('cross-origin-embedder-policy')).toBe('require-corp');
    expect(await page.text()).toContain('<script type="module" src="./main.js">');
    for (const [path, type] of [['main.js', 'text/javascript'], ['job_worker.js', 'text/javascript'], ['analysis.js', 'text/javascript'], ['lbgap.simd.wasm', 'application/wasm'], ['lbgap.relaxed-threads.wasm', 'application/wasm']]) {
      const res = await fetch(url + path);
      expect(res.status, path).toBe(200);
      expect(res.headers.get('content-type'), path).toContain(type);
      await res.arrayBuffer();
    }
    const wasm = new Uint8Array(await (await fetch(url + 'lbgap.simd.wasm')).arrayBuffer());
    expect([...wasm.subarray(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
    const labels = new Uint8Array(await (await fetch(url + 'data/mnist/t10k-labels-idx1-ubyte')).arrayBuffer());
    expect(labels.length).toBe(8 + 10000);
    expect(new DataView(labels.buffer).getUint32(0)).toBe(0x801);
    expect((await fetch(url + 'data/mnist/nope')).status).toBe(404);
    expect((await fetch(url + 'data/mnist/..%2F..%2Fpackage.json')).status).not.toBe(200);
    r.child.kill('SIGINT');
    expect(await r.exit).toBe(0);
    expect(r.out()).toContain('lbgap serve: stopped');
  });

  it('--no-isolation omits COOP/COEP', async () => {
    const r = run(['serve', '--port', '0', '--no-isolation']);
    const url = await servedUrl(r);
    expect(r.out()).toContain('transfer fallback');
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('cross-origin-opener-policy')).toBeNull();
    expect(res.headers.get('cross-origin-embedder-policy')).toBeNull();
    r.child.kill('SIGTERM');
    expect(await r.exit).toBe(0);
  });

  it('--help, a bad port, a busy port and a missing page are clear errors', async () => {
    const help = run(['serve', '--help']);
    expect(await help.exit).toBe(0);
    expect(help.out()).toContain('Usage: lbgap serve');
    expect(help.out()).toContain('--no-isolation');

    const bad = run(['serve', '--port', '70000']);
    expect(await bad.exit).toBe(2);
    expect(bad.err()).toContain('--port: must be ≤ 65535');

    const blocker = createServer();
    await new Promise<void>((ok) => blocker.listen(0, '127.0.0.1', () => ok()));
    const port = (blocker.address() as { port: number }).port;
    try {
      const busy = run(['serve', '--port', String(port)]);
      expect(await busy.exit).toBe(1);
      expect(busy.err()).toContain(`port ${port} is in use`);
    } finally {
      await new Promise((ok) => blocker.close(ok));
    }

    const missing = run(['serve', '--port', '0', '--root', '/nonexistent-lbgap-page']);
    expect(await missing.exit).toBe(1);
    expect(missing.err()).toMatch(/^lbgap serve: \/nonexistent-lbgap-page\/index\.html not found/);
    expect(missing.err()).not.toContain('Error'); // one line for people, no class name
    expect(missing.err()).toContain('npm run build:web');
  });
});
