// The kernel playground in headless Chromium (issue 14 item 5): in a cross-origin isolated page
// (`lbgap serve`) its threads table times lbgap on 1 and N threads and TensorFlow.js's Wasm
// backend on 1 thread (SIMD binary) and N threads (threaded-SIMD binary), each with a finite,
// positive GFLOP/s and a result checked against an f64 product before it was timed; in a page
// that is not isolated the threaded rows say why they are absent. No timing thresholds: the
// machines that run this are shared and noisy. Needs `npm run build:web`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ServeHandle } from '../../src/cli/serve_command.js';
import { launchChromium } from './chromium.js';
import { servePage, waitStatus } from './page_helpers.js';

interface Figure { gflops: number; medianMs: number; calls: number; threads: number; check: number; build: string }
interface Row { shape: string; impl: 'lbgap' | 'tfjs'; label: string; threads: number; figure: Figure | null; absent: string | null; vsOne: number | null; vsTfjs: number | null }
interface Threads { n: number; isolated: boolean; tfjsVersion: string | null; rows: Row[] }

const SHAPES = ['square 128', 'square 256', 'square 512', 'dense fwd X·Wᵀ B=256'];

/** Presses "Run benchmarks" and waits for the playground's figures (lbgap 1 and N threads, TF.js, steps). */
async function runPlayground(page: Page, url: string, logs: string[]): Promise<{ threads: Threads; cells: { impl: string; threads: string; cells: string[] }[] }> {
  await page.goto(url);
  await waitStatus(page, ['idle']);
  await page.click('#bench');
  await page.waitForFunction(() => {
    const s = (window as unknown as { __lbgapPage: { bench: unknown; status: string } }).__lbgapPage;
    return s.bench !== null || s.status === 'error';
  }, null, { timeout: 200_000, polling: 200 }).catch((e) => { throw new Error(`${e.message}\n${logs.join('\n')}`); });
  const s = await page.evaluate(() => (window as unknown as { __lbgapPage: { error: string | null; bench: { threads: Threads } } }).__lbgapPage);
  expect(s.error, logs.join('\n')).toBeNull();
  const cells = await page.$$eval('#gemm-threads tbody tr', (trs) => trs.map((tr) => ({
    impl: (tr as HTMLElement).dataset.impl ?? '', threads: (tr as HTMLElement).dataset.threads ?? '', cells: [...tr.querySelectorAll('td')].map((td) => td.textContent ?? ''),
  })));
  return { threads: s.bench.threads, cells };
}

describe('the kernel playground: threads and TF.js in the page', () => {
  let isolated: ServeHandle, open: ServeHandle, browser: Browser;
  beforeAll(async () => {
    isolated = await servePage();
    open = await servePage(false);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await isolated?.stop();
    await open?.stop();
  }, 30_000);

  it('isolated: lbgap on 1 and N threads and TF.js Wasm on 1 and N threads, every figure finite and verified', async () => {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    const { threads: t, cells } = await runPlayground(page, isolated.server.url, logs);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    expect(t.isolated).toBe(true);
    expect(t.n).toBe(Math.min(cores, 8));
    expect(t.n, 'the playground needs ≥ 2 cores to time threads').toBeGreaterThanOrEqual(2);
    expect(t.tfjsVersion).toMatch(/^4\.22\./);
    // Per shape: lbgap 1, lbgap N, TF.js 1, TF.js N — all measured.
    expect(t.rows.map((r) => [r.shape, r.impl, r.threads])).toEqual(SHAPES.flatMap((s) => [[s, 'lbgap', 1], [s, 'lbgap', t.n], [s, 'tfjs', 1], [s, 'tfjs', t.n]]));
    for (const r of t.rows) {
      const what = `${r.shape} ${r.label} ${r.threads}`;
      expect(r.absent, what).toBeNull();
      expect(r.figure, what).not.toBeNull();
      expect(Number.isFinite(r.figure!.gflops) && r.figure!.gflops > 0, `${what}: ${r.figure!.gflops} GFLOP/s`).toBe(true);
      expect(r.figure!.threads, what).toBe(r.threads);
      expect(r.figure!.check, `${what}: checked against the f64 product`).toBeLessThanOrEqual(1);
      expect(r.figure!.calls, what).toBeGreaterThanOrEqual(3);
      expect(Number.isFinite(r.vsOne!) && r.vsOne! > 0, what).toBe(true);
      if (r.impl === 'lbgap') expect(Number.isFinite(r.vsTfjs!) && r.vsTfjs! > 0, what).toBe(true);
    }
    expect(t.rows.filter((r) => r.impl === 'tfjs').map((r) => r.figure!.build)).toEqual(SHAPES.flatMap(() => ['tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm']));
    // The table shows the same: 16 rows, numbers in every measured cell.
    expect(cells.map((c) => [c.impl, c.threads])).toEqual(SHAPES.flatMap(() => [['lbgap', '1'], ['lbgap', 'n'], ['tfjs', '1'], ['tfjs', 'n']]));
    for (const c of cells) {
      expect(c.cells[2]).toBe(c.threads === '1' ? '1' : String(t.n));
      expect(c.cells[3], c.cells.join(' | ')).toMatch(/^\d+\.\d$/);
      expect(c.cells[5], c.cells.join(' | ')).toMatch(/^\d+\.\d\d×$/);
      if (c.impl === 'lbgap') expect(c.cells[6], c.cells.join(' | ')).toMatch(/^\d+\.\d\d×$/);
    }
    expect(await page.textContent('#bench-note')).toContain(`loadKernels({ threads: ${t.n} })`);
    // LBGAP_PLAYGROUND_TABLE=1 prints the table (figures for bench/RESULTS.md).
    if (process.env.LBGAP_PLAYGROUND_TABLE) console.log(`playground, isolated, ${t.n} threads:\n${cells.map((c) => c.cells.join(' | ')).join('\n')}\n${await page.textContent('#bench-note')}`);
    await page.close();
  }, 240_000);

  it('not isolated: the threaded rows say why they are absent; one thread of each is still measured', async () => {
    const page = await browser.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    const { threads: t, cells } = await runPlayground(page, open.server.url, logs);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    expect(t.isolated).toBe(false);
    for (const r of t.rows) {
      const what = `${r.shape} ${r.label} ${r.threads}`;
      if (r.threads === 1) {
        expect(r.absent, what).toBeNull();
        expect(r.figure!.gflops, what).toBeGreaterThan(0);
        expect(r.figure!.check, what).toBeLessThanOrEqual(1);
      } else {
        expect(r.figure, what).toBeNull();
        expect(r.absent, what).toMatch(r.impl === 'lbgap' ? /SharedArrayBuffer is unavailable \(a page must be cross-origin isolated/ : /not cross-origin isolated/);
      }
    }
    const threaded = cells.filter((c) => c.threads === 'n');
    expect(threaded).toHaveLength(2 * SHAPES.length);
    for (const c of threaded) expect(c.cells[3]).toMatch(/^not measured: .*(SharedArrayBuffer|cross-origin isolated)/);
    await page.close();
  }, 240_000);
});
