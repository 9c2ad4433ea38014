// The page's store (OPFS, src/train/store.ts) in headless Chromium, cross-origin isolated and
// not: the contract, a module worker reaching the same files by the store's ref (as the job
// workers do), concurrent writes staying whole, a worker ended mid-write leaving no empty or
// partial file (the page's Stop without shared memory ends its workers), a reopened store finding its files, and the
// named error where OPFS is missing. Needs `npm run build` (the page imports /dist/…).
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStaticServer } from '../../src/serve/static.js';
import { launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('the OPFS store in headless Chromium', () => {
  let browser: Browser;
  beforeAll(async () => { browser = await launchChromium(); });
  afterAll(async () => { await browser?.close(); });

  it.each([['cross-origin isolated', true], ['not isolated', false]] as const)('%s: the store contract, shared with a worker', async (_name, isolate) => {
    const server = await startStaticServer({ root, isolate });
    try {
      const page = await browser.newPage();
      const logs: string[] = [];
      page.on('pageerror', (e) => logs.push(String(e)));
      await page.goto(`${server.url}test/browser/store.html`);
      await page.waitForFunction(() => (window as unknown as { __lbgap?: unknown }).__lbgap, null, { timeout: 60_000 });
      const r = await page.evaluate(() => (window as unknown as { __lbgap: Record<string, unknown> }).__lbgap);
      expect(r.fatal, logs.join('\n')).toBeUndefined();
      expect(r.crossOriginIsolated).toBe(isolate);
      expect(r.ref).toMatchObject({ kind: 'opfs' });
      expect(r.missing).toEqual([null, false]);
      expect(r.read).toEqual(['{"a":1}\n', 'three!', true]);
      expect(r.bigWhole).toBe(true);
      expect(r.worker).toMatchObject({ got: 'hello worker' });
      expect((r.worker as { where: string }).where).toMatch(/^opfs:lbgap-test\/.+\/x$/);
      expect(r.fromWorker).toEqual([1, 2, 3, 250]);
      for (const x of r.endedMidWrite as { whole: number; partial: number }[]) expect(x.partial).toBe(0);
      expect(r.afterClear).toEqual([false, false, true]);
      expect(r.badName).toBe('StoreError');
      expect(r.reopened).toBe('{"a":1}\n');
      expect(r.removed).toBe(false);
      expect(r.unavailable).toMatch(/^StorageUnavailableError: opfs:x: this browser offers no origin private file system/);
      expect(r.files).toBe('StorageUnavailableError');
      await page.close();
    } finally {
      await server.close();
    }
  }, 60_000);
});
