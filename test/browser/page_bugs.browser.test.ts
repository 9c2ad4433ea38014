// Issue 13's page bugs, end to end in headless Chromium, one test each (tiny runs: 256 MNIST
// samples, one epoch, one L-BFGS-B iteration): live summary rows (1), no stale plots on a new
// run (2), no loading mid-run (3), Download survives a form error (4), Stop in the analysis
// and Cancel (5), runs that diverge or do not learn (6), the favicon (7). Each failed on the page before the fix:
// `LBGAP_PAGE_ROOT=<old web/dist> npx vitest run test/browser/page_bugs.browser.test.ts`.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { ServeHandle } from '../../src/cli/serve_command.js';
import { parseResults } from '../../src/experiments/results.js';
import { loadResults } from '../../web/results.js';
import { launchChromium } from './chromium.js';
import { servePage, state, svgMarks, tableRows, waitStatus, type PageState } from './page_helpers.js';

const FAST = 'net=tiny&data=mnist&trainSamples=256&testSamples=128&sbBatch=32&lbBatch=128&epochs=1&analysisSamples=128&sharpnessIterations=1';
/** Long enough to act on while it trains (about 2,000 steps of SB). */
const SLOW = 'net=tiny&data=mnist&trainSamples=8192&testSamples=128&sbBatch=8&lbBatch=1024&epochs=2&analysisSamples=128&sharpnessIterations=1';

type W = { __lbgapPage: PageState };

describe('the page: issue 13 bugs', () => {
  let server: ServeHandle, browser: Browser;
  beforeAll(async () => {
    server = await servePage();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  async function open(query: string): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.server.url}?${query}`);
    return page;
  }

  it('1: with seeds 0,1 the mean ± std rows appear at the end of a live run', async () => {
    const page = await open(`${FAST}&seeds=0,1&autostart=1`);
    const s = await waitStatus(page, ['done']);
    expect(s.results!.final.map((r) => [r.setting, r.seeds])).toEqual([['SB', 2], ['LB', 2]]);
    const rows = await tableRows(page);
    expect(rows.map((r) => r[0])).toEqual(['SB seed 0', 'LB seed 0', 'SB seed 1', 'LB seed 1', 'SB mean ± std (2 seeds)', 'LB mean ± std (2 seeds)']);
    await page.close();
  }, 60_000);

  it('2: a new run clears the previous run’s plots and table at once', async () => {
    const page = await open(`${FAST}&autostart=1`);
    await waitStatus(page, ['done']);
    expect(await svgMarks(page, 'plot-param-loss')).toBeGreaterThan(4);
    await page.fill('input[name=trainSamples]', '2048');
    await page.fill('input[name=epochs]', '2');
    // What is on screen in the same task as the click, before the new run has anything.
    const after = await page.evaluate(() => {
      document.getElementById('start')!.click();
      const marks = (id: string) => document.querySelector(`#${id} svg`)?.querySelectorAll('path').length ?? 0;
      return { param: marks('plot-param-loss'), paramAcc: marks('plot-param-acc'), loss: marks('plot-loss'), acc: marks('plot-acc'), rows: document.querySelectorAll('#summary tbody tr').length };
    });
    expect(after).toEqual({ param: 0, paramAcc: 0, loss: 0, acc: 0, rows: 0 });
    // The first epoch's rows are the new run's only.
    await page.waitForFunction(() => (window as unknown as W).__lbgapPage.results?.runs.some((r) => r.phases[0].history.length > 0));
    await page.waitForFunction(() => document.querySelectorAll('#summary tbody tr').length > 0);
    expect((await tableRows(page)).map((r) => r[0])).toEqual(['SB seed 0', 'LB seed 0']);
    expect(await svgMarks(page, 'plot-param-loss')).toBe(0);
    expect((await state(page)).results!.data.trainSamples).toBe(2048);
    // The short second run may finish before the click lands: either way it must end.
    await page.click('#cancel');
    await waitStatus(page, ['cancelled', 'done']);
    await page.close();
  }, 90_000);

  it('3: Load results… is disabled during a run (a file cannot mix with the live run)', async () => {
    const page = await open(`${SLOW}&autostart=1`);
    await page.waitForFunction(() => (window as unknown as W).__lbgapPage.status === 'running' || (window as unknown as W).__lbgapPage.status === 'training');
    expect(await page.isDisabled('#load')).toBe(true);
    await page.click('#cancel');
    await waitStatus(page, ['cancelled']);
    expect(await page.isDisabled('#load')).toBe(false);
    await page.close();
  }, 60_000);

  it('4: after a finished run, a form error leaves Download working (and the run on screen)', async () => {
    const page = await browser.newPage({ acceptDownloads: true });
    await page.goto(`${server.server.url}?${FAST}&autostart=1`);
    const done = await waitStatus(page, ['done']);
    await page.fill('input[name=epochs]', '0');
    await page.evaluate(() => document.getElementById('start')!.click());
    expect(await page.isDisabled('#download')).toBe(false);
    expect(await page.isDisabled('#start')).toBe(true);
    expect(await page.textContent('#msg-epochs')).toBe('Epochs must be a whole number from 1 to 1,000; got 0');
    expect(await svgMarks(page, 'plot-param-loss')).toBeGreaterThan(4);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const saved = parseResults(readFileSync((await download.path())!, 'utf8'), 'download.json');
    expect(saved.runs).toEqual(done.results!.runs);
    await page.close();
  }, 60_000);

  it('5: Stop in the analysis pauses after the current measurement; Cancel ends a stopped run; leaving mid-run asks first', async () => {
    const page = await open(`${FAST}&analysisSamples=256&sharpnessIterations=4&autostart=1`);
    await page.waitForFunction(() => {
      const s = (window as unknown as W).__lbgapPage;
      return s.phases?.analysis?.state === 'running' || /sharpness|parametric/.test(document.getElementById('status')!.textContent!) || s.status === 'done';
    }, null, { polling: 20 });
    await page.click('#stop');
    expect(await page.textContent('#status')).toMatch(/stopping after the current measurement|stopped/);
    const stopped = await waitStatus(page, ['stopped', 'done']);
    expect(stopped.status).toBe('stopped');
    const measured = (s: PageState) => s.results!.runs.reduce((a, r) => a + r.final.sharpness.length, 0) + s.results!.interpolations.length;
    const before = measured(stopped);
    await page.waitForTimeout(500);
    expect(measured(await state(page)), 'paused means paused').toBe(before);
    // Leaving now would lose the run: the page asks (beforeunload is cancelled).
    expect(await page.evaluate(() => { const e = new Event('beforeunload', { cancelable: true }); dispatchEvent(e); return e.defaultPrevented; })).toBe(true);
    await page.click('#cancel');
    const c = await waitStatus(page, ['cancelled']);
    expect(c.results!.status).toBe('interrupted');
    expect(await page.isDisabled('#start')).toBe(false);
    expect(await page.isDisabled('input[name=epochs]')).toBe(false);
    expect(await page.isDisabled('#download')).toBe(false);
    expect(await page.evaluate(() => { const e = new Event('beforeunload', { cancelable: true }); dispatchEvent(e); return e.defaultPrevented; })).toBe(false);
    await page.close();
  }, 60_000);

  it('6: a run that does not learn (lr 1e9: loss ~1e29) is flagged, and one whose loss becomes NaN (lr 1e30) is marked diverged with nothing measured; both files stay loadable', async () => {
    type Flagged = PageState['results'] & { runs: { status?: string; note?: string; final: { sharpness: unknown[] } }[] };
    const runOnce = async (lr: string) => {
      const page = await browser.newPage({ acceptDownloads: true });
      await page.goto(`${server.server.url}?${FAST}&lr=${lr}&autostart=1`);
      const s = await waitStatus(page, ['done']);
      const rows = await tableRows(page);
      const status = await page.textContent('#status');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const text = readFileSync((await download.path())!, 'utf8');
      expect(parseResults(text, `lr${lr}.json`).runs).toHaveLength(2);
      expect(() => loadResults(text, `lr${lr}.json`)).not.toThrow();
      await page.close();
      return { runs: (s.results as Flagged).runs, rows, status };
    };
    const huge = await runOnce('1e9');
    for (const r of huge.runs) {
      expect(r.status).toBe('not-improved');
      expect(r.note).toMatch(/^final training loss \S+e\+\d+ is not below ln 10 = 2\.3026 \(a uniform guess\): the run did not learn$/);
    }
    expect(huge.rows.map((r) => r[0])).toEqual(['SB seed 0 (did not learn)', 'LB seed 0 (did not learn)']);
    expect(huge.status).toContain('SB seed 0 did not learn');

    const nan = await runOnce('1e30');
    for (const r of nan.runs) {
      expect(r.status).toBe('diverged');
      expect(r.final.sharpness).toEqual([]);
      // The runner's words (the file is the CLI's results.json): where the loss became NaN/Inf.
      expect(r.note).toMatch(/^loss NaN\/Inf at epoch 1, step \d+ \(global step \d+\); final metrics are unavailable \(no epoch finished\)$/);
    }
    expect(nan.rows.map((r) => r.slice(4))).toEqual([['not measured', '–', '–', '–'], ['not measured', '–', '–', '–']]);
    expect(nan.status).toContain('SB seed 0 diverged');
  }, 90_000);

  it('7: the page has a favicon (no 404 on load)', async () => {
    const page = await browser.newPage();
    const missing: string[] = [];
    page.on('response', (r) => { if (r.status() >= 400) missing.push(`${r.status()} ${r.url()}`); });
    await page.goto(server.server.url);
    await waitStatus(page, ['idle']);
    const href = await page.evaluate(() => (document.querySelector('link[rel~=icon]') as HTMLLinkElement | null)?.href ?? null);
    expect(href).not.toBeNull();
    const res = await page.request.get(href!);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('image/svg+xml');
    expect(missing).toEqual([]);
    await page.close();
  }, 30_000);
});
