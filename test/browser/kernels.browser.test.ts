// The kernel correctness checks, run in real headless Chromium, so Node and the browser
// (fetch + compileStreaming loading path, both Wasm builds) are both covered.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startStaticServer, type RunningServer } from '../../src/serve/static.js';
import { launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

describe('kernels in headless Chromium', () => {
  let server: RunningServer, browser: Browser;
  beforeAll(async () => {
    server = await startStaticServer({ root, isolate: true });
    browser = await launchChromium();
  });
  afterAll(async () => { await browser?.close(); await server?.close(); });

  it('sgemm matches the f64 reference for both builds, typed errors work, page is cross-origin isolated', async () => {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    await page.goto(server.url + 'test/browser/kernels.html');
    await page.waitForFunction(() => (window as any).__lbgap, null, { timeout: 60_000 });
    const r = await page.evaluate(() => (window as any).__lbgap);
    expect(r.fatal, logs.join('\n')).toBeUndefined();
    expect(r.crossOriginIsolated).toBe(true);
    for (const build of ['simd', 'relaxed-simd']) {
      expect(r.builds[build].loaded, `${build}: ${r.builds[build].error}`).toBe(true);
      expect(r.builds[build].info.build).toBe(build);
      expect(r.builds[build].cases).toBe(48);
      expect(r.builds[build].failures).toEqual([]);
    }
    expect(r.errors).toEqual([{ name: 'lda', ok: true }, { name: 'M', ok: true }]);
  });
});
