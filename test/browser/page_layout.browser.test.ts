// The page's layout and reading aids in headless Chromium: after a tiny run on a 390 px phone
// nothing scrolls sideways, every plot and its legend fit, table headers stay short and the
// network menu is not cut; the three phases end done at 100 %; the plots carry integer epoch
// ticks, the per-step loss and the α = 0 / α = 1 marks; every plot has its numbers in words;
// the address follows the form; a loaded file fills the form and names itself in the titles.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ServeHandle } from '../../src/cli/serve_command.js';
import { launchChromium } from './chromium.js';
import { servePage, waitStatus } from './page_helpers.js';

const RUN = 'net=tiny&data=mnist&trainSamples=256&testSamples=128&sbBatch=32&lbBatch=128&epochs=2&analysisSamples=128&sharpnessIterations=1';

describe('the page layout', () => {
  let server: ServeHandle, browser: Browser;
  beforeAll(async () => {
    server = await servePage();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  }, 30_000);

  it('after a run on a 390 px phone: no sideways scroll, plots and legends fit, short headers, phases done, numbers in words; the file loads back into the form', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, acceptDownloads: true });
    const page = await phone.newPage();
    await page.goto(`${server.server.url}?${RUN}&autostart=1`);
    const s = await waitStatus(page, ['done']);
    const layout = await page.evaluate(() => {
      const box = (el: Element) => el.getBoundingClientRect();
      const plots = ['plot-loss', 'plot-acc', 'plot-param-loss', 'plot-param-acc'].map((id) => {
        const svg = document.querySelector(`#${id} svg`)!;
        const legends = [...svg.querySelectorAll('.role-legend')].map(box);
        return { id, right: box(svg).right, left: box(svg).left, legends: legends.length, legendRight: Math.max(...legends.map((b) => b.right)), legendBottom: Math.max(...legends.map((b) => b.bottom)), bottom: box(svg).bottom };
      });
      const lineHeight = parseFloat(getComputedStyle(document.querySelector('#summary th')!).lineHeight) || 18;
      const headerLines = Math.max(...[...document.querySelectorAll('#summary thead th')].map((th) => box(th).height / lineHeight));
      const select = document.querySelector('select[name=net]') as HTMLSelectElement;
      // The chosen option's text at the select's font, against the room inside the select (less its arrow).
      const ctx = document.createElement('canvas').getContext('2d')!;
      ctx.font = getComputedStyle(select).font;
      return {
        scrollWidth: document.documentElement.scrollWidth, plots, headerLines,
        netText: ctx.measureText(select.selectedOptions[0].text).width, netRoom: select.clientWidth - 24,
      };
    });
    expect(layout.scrollWidth).toBeLessThanOrEqual(390);
    for (const p of layout.plots) {
      expect(p.left, p.id).toBeGreaterThanOrEqual(0);
      expect(p.right, p.id).toBeLessThanOrEqual(390);
      expect(p.legends, p.id).toBeGreaterThan(0);
      expect(p.legendRight, p.id).toBeLessThanOrEqual(390);
      expect(p.legendBottom, p.id).toBeLessThanOrEqual(p.bottom + 1);
    }
    expect(layout.headerLines).toBeLessThan(2.6);
    expect(layout.netText).toBeLessThanOrEqual(layout.netRoom);

    // Phases: all done at 100 %.
    expect(Object.values(s.phases!).map((p) => [p.phase, p.state, p.fraction])).toEqual([['data', 'done', 1], ['training', 'done', 1], ['analysis', 'done', 1]]);
    expect(await page.$$eval('#phases progress', (ps) => ps.map((p) => (p as HTMLProgressElement).value))).toEqual([1, 1, 1]);
    // Integer epoch ticks; the parametric plot marks SB (α = 0) and LB (α = 1).
    const ticks = await page.$$eval('#plot-loss svg .role-axis-label text', (ts) => ts.map((t) => t.textContent));
    expect(ticks.filter((t) => /^\d/.test(t!))).toEqual(expect.arrayContaining(['0', '1', '2']));
    expect(ticks.some((t) => /\./.test(t!) && Number(t) < 3)).toBe(false);
    const marks = await page.$$eval('#plot-param-loss svg text', (ts) => ts.map((t) => t.textContent));
    expect(marks).toEqual(expect.arrayContaining(['SB (α = 0)', 'LB (α = 1)']));
    // The live per-step loss is drawn besides the per-epoch points.
    expect(await page.$$eval('#plot-loss svg .role-legend text', (ts) => ts.map((t) => t.textContent))).toEqual(expect.arrayContaining(['SB (B = 32)', 'LB (B = 128)', 'train', 'test', 'train, per step (smoothed)']));
    // Accessibility: a live status line, and each plot's numbers in words.
    expect(await page.getAttribute('#status', 'aria-live')).toBe('polite');
    const sb = s.results!.runs[0];
    expect(await page.textContent('#text-plot-acc')).toContain(`SB (B = 32), seed 0: train accuracy ${(100 * sb.phases[0].history[0].trainAcc).toFixed(2)} % → ${(100 * sb.final.trainAcc).toFixed(2)} %`);
    expect(await page.textContent('#text-plot-param-loss')).toMatch(/^Seed 0, 25 points from α = -1 to α = 2: train [\d.]+ at α = 0 \(SB\)/);

    // The address follows the form; a loaded file fills the form and names itself in the plot titles.
    await page.fill('input[name=epochs]', '7');
    expect(await page.evaluate(() => new URLSearchParams(location.search).get('epochs'))).toBe('7');
    expect(await page.getAttribute('#share', 'href')).toContain('epochs=7');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const file = (await download.path())!;
    const fresh = await phone.newPage();
    await fresh.goto(server.server.url);
    await waitStatus(fresh, ['idle']);
    await fresh.setInputFiles('#load', { name: 'my-run.json', mimeType: 'application/json', buffer: readFileSync(file) });
    await waitStatus(fresh, ['loaded']);
    expect(await fresh.inputValue('input[name=epochs]')).toBe('2');
    expect(await fresh.inputValue('input[name=sbBatch]')).toBe('32');
    expect(await fresh.$$eval('#plot-loss svg text', (ts) => ts.map((t) => t.textContent))).toContain('my-run.json');
    await phone.close();
  }, 90_000);

  it('warnings beside their fields: SB ≥ LB, more jobs than cores', async () => {
    const page = await browser.newPage();
    await page.goto(server.server.url);
    await waitStatus(page, ['idle']);
    await page.fill('input[name=sbBatch]', '700');
    expect(await page.textContent('#msg-sbBatch')).toBe('SB batch (700) is not smaller than LB batch (600): the “small-batch” run is the large one');
    expect(await page.isDisabled('#start')).toBe(false);
    const cores = await page.evaluate(() => navigator.hardwareConcurrency);
    await page.fill('input[name=jobs]', String(cores + 1));
    expect(await page.textContent('#msg-jobs')).toBe(`${cores + 1} jobs at a time on ${cores} cores: they share cores, so each is slower (the results are the same)`);
    await page.close();
  }, 30_000);
});
