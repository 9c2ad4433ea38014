// loadKernels({ threads: 2 }) in headless Chromium: a cross-origin-isolated page runs the kernels
// on 2 threads (the page and a Worker over one shared memory) with the one-thread bits; a page
// that is not isolated falls back to 1 thread and says why in k.info. Needs `npm run build`
// (the page imports /dist/kernels/…).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStaticServer, type RunningServer } from '../../src/serve/static.js';
import { launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('threaded kernels in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchChromium(); });
  afterAll(async () => { await browser?.close(); });

  it.each([
    ['cross-origin isolated: 2 threads', true],
    ['not isolated: falls back to 1 thread and says so', false],
  ] as const)('%s; sgemm and conv2d* (im2col, Winograd, strided) give the one-thread bits, both builds', async (_name, isolate) => {
    let server: RunningServer | undefined;
    try {
      server = await startStaticServer({ root, isolate });
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(server.url + 'test/browser/kernels-threads.html');
      await page.waitForFunction(() => (window as any).__lbgap, null, { timeout: 120_000 });
      const r = await page.evaluate(() => (window as any).__lbgap);
      expect(r.fatal, logs.join('\n')).toBeUndefined();
      expect(r.crossOriginIsolated).toBe(isolate);
      expect(r.sharedArrayBuffer).toBe(isolate);
      for (const build of ['simd', 'relaxed-simd']) {
        const b = r.builds[build];
        expect(b.info.build).toBe(build);
        if (isolate) {
          expect(b.threads).toBe(2);
          expect(b.info).toMatchObject({ threads: 2, threadsReason: 'threads: 2', sharedMemorySupported: true });
        } else {
          expect(b.threads).toBe(1);
          expect(b.info.threads).toBe(1);
          expect(b.info.sharedMemorySupported).toBe(false);
          expect(b.info.threadsReason).toMatch(/^threads: 2 requested, running on 1: SharedArrayBuffer is unavailable \(a page must be cross-origin isolated/);
        }
        expect(b.winograd).toBe(true);
        expect(b.sameBits).toEqual({ sgemm: true, im2col: true, winograd: true, strided: true });
        expect(b.sgemmWorst).toBeLessThanOrEqual(1);
      }
      await page.close();
    } finally {
      await server?.close();
    }
  });
});
