// The worker pool in headless Chromium: 2 module Workers train the tiny net through Comlink,
// with shared memory in a cross-origin-isolated page and with the transferable-buffer
// fallback in a page that is not. Needs `npm run build` (the page imports /dist/…).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStaticServer, type RunningServer } from '../../src/serve/static.js';
import { launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const WORKER = 'test-results/browser-workers/worker.js';

describe('worker pool in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => {
    // Browsers give module workers no import map: bundle the worker entry (and Comlink) into one file.
    const { build } = await import('rolldown');
    mkdirSync(`${root}test-results/browser-workers`, { recursive: true });
    await build({
      input: `${root}src/workers/worker.ts`,
      output: { file: `${root}${WORKER}`, format: 'esm', codeSplitting: false },
      platform: 'browser',
      logLevel: 'silent',
    });
    browser = await launchChromium();
  });
  afterAll(async () => { await browser?.close(); });

  it.each([
    ['shared memory (cross-origin isolated)', true, 'shared'],
    ['transfer fallback (not isolated)', false, 'transfer'],
  ] as const)('%s: 2 workers train, the loss falls, a worker failure rejects', async (_name, isolate, mode) => {
    let server: RunningServer | undefined;
    try {
      server = await startStaticServer({ root, isolate });
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`${server.url}test/browser/workers.html?worker=/${WORKER}`);
      await page.waitForFunction(() => (window as any).__lbgap, null, { timeout: 60_000 });
      const r = await page.evaluate(() => (window as any).__lbgap);
      expect(r.fatal, logs.join('\n')).toBeUndefined();
      expect(r.crossOriginIsolated).toBe(isolate);
      expect(r.sharedMemoryAvailable).toBe(isolate);
      expect(r.mode).toBe(mode);
      expect(r.workers).toBe(2);
      expect(r.steps).toBe(32);
      expect(r.stepEvents).toBe(32);
      expect(r.paramsFinite).toBe(true);
      expect(r.synced).toBe(true);
      expect(r.after.loss).toBeLessThan(r.before.loss * 0.8);
      expect(r.failure.rejected).toBe(true);
      expect(r.failure.typed).toBe(true);
      expect(r.failure.message).toMatch(/worker 1: InjectedFailureError: injected failure in worker 1 at step 2/);
      expect(r.failure.ms).toBeLessThan(1000);
      await page.close();
    } finally {
      await server?.close();
    }
  });
});
