// The page's batch-size frontier in headless Chromium (web/dist, `npm run build:web`), served by
// `lbgap serve`'s code, cross-origin isolated: a tiny frontier (the synthetic set, 2 batch sizes,
// 1 seed, an easy target) runs through the runner in job workers and shows the per-batch table,
// the verdict and the time-to-target figure; the job that measures alone spreads its φ and
// Hessian over nested objective workers ("over 2 workers" in the run log); the download is the
// runner's results.json, equal — wall-clock fields aside — to what runExperiment gives for the
// same spec in Node, and `lbgap report` renders it; bad inputs show their messages, and the
// address follows the form.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ServeHandle } from '../../src/cli/serve_command.js';
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { parseResults, type ResultsFile } from '../../src/experiments/results.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { launchChromium } from './chromium.js';
import { servePage, state, svgMarks, waitStatus } from './page_helpers.js';

// B=64 meets the target at the first evaluation; B=4096 (4 steps an epoch) needs several epochs, so it measures once B=64 has finished: alone.
const FRONTIER = 'experiment=frontier&net=tiny&data=synthetic&trainSamples=16384&testSamples=256&batches=64,4096&targetValue=0.5&epochs=10&seeds=0&jobs=2';

/** Wall-clock fields (and the page's and machine's facts) aside, a results file must match bit for bit; `stepCost` and `frontierStepCosts` are timings. */
const CLOCK = new Set(['seconds', 'evalSeconds', 'samplesPerSecond', 'timings', 'environment', 'page', 'stepCost', 'frontierStepCosts']);
/**
 * B_simple's standard error is a JS-only statistic of the kernel's gradient norms (which do
 * match bit for bit) whose formula uses `x ** 3` and `x ** 4`: Chromium's V8 and Node's may
 * round those differently in the last place, so it is compared to 12 significant digits.
 */
const ENGINE_ROUNDED = new Set(['bSimpleStdErr']);
const metricsOnly = (r: ResultsFile) => JSON.parse(JSON.stringify(r, (key, value) =>
  (CLOCK.has(key) ? undefined : ENGINE_ROUNDED.has(key) && typeof value === 'number' ? Number(value.toPrecision(12)) : value)));

describe('the page’s batch-size frontier in headless Chromium', () => {
  let isolated: ServeHandle, browser: Browser;
  beforeAll(async () => {
    isolated = await servePage();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await isolated?.stop();
  }, 30_000);

  it('a tiny frontier runs, shows the table and the time-to-target figure, spreads a lone measurement over workers, and equals runExperiment’s results in Node', async () => {
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
    const dir = mkdtempSync(join(tmpdir(), 'lbgap-page-frontier-'));
    try {
      const page = await ctx.newPage();
      const logs: string[] = [];
      page.on('console', (m) => logs.push(m.text()));
      const pageErrors: string[] = [];
      page.on('pageerror', (e) => { logs.push(String(e)); pageErrors.push(String(e)); });
      await page.goto(`${isolated.server.url}?${FRONTIER}&autostart=1`);
      const s = await waitStatus(page, ['done'], 200_000).catch((e) => { throw new Error(`${e.message}\n${logs.join('\n')}`); });
      expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
      const r = s.results!;
      expect(r.kind).toBe('frontier');
      expect(r.status).toBe('complete');
      expect(r.spec.frontier!.batches).toEqual([64, 4096]);
      expect(r.runs.map((x) => [x.setting, x.batch, x.frontier?.crossing !== null])).toEqual([['B=64', 64, true], ['B=4096', 4096, true]]);
      // The last job measured alone: its φ or top Hessian eigenvalue (whichever ran with no other job beside it) over 2 nested objective workers.
      const log = (await state(page) as unknown as { log: string[] }).log;
      expect(log.some((l) => /: (φ full space ε=0\.001|top Hessian eigenvalue) .* over 2 workers\)$/.test(l)), log.join('\n')).toBe(true);
      expect(await page.textContent('#log')).toContain('over 2 workers');
      expect(log.some((l) => l.startsWith('frontier: tiny on synthetic/train (16384)'))).toBe(true);

      // The per-batch table, the verdict and the figure; the SB-vs-LB section is hidden.
      expect(await page.isVisible('#frontier')).toBe(true);
      expect(await page.isHidden('#analysis')).toBe(true);
      const head = await page.$$eval('#frontier-summary thead th', (ths) => ths.map((th) => th.textContent));
      expect(head).toEqual(['batch', 'reached', 'steps to target', 'samples/s', 'time to target (s)', 'model steps (error)', 'test acc (%)', 'φ full', 'λ_max']);
      const rows = await page.$$eval('#frontier-summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((td) => td.textContent ?? '')));
      expect(rows.map((x) => x.slice(0, 2))).toEqual([['64', '1 of 1'], ['4,096', '1 of 1']]);
      for (const row of rows) for (const cell of [row[2], row[3], row[4], row[6], row[7], row[8]]) expect(cell).toMatch(/^\d/);
      for (const row of rows) expect(row[5]).toMatch(/^[\d,]+ \([+−]\d+\.\d %\)$/);
      expect(await page.$$eval('#frontier-summary tbody tr.fastest', (trs) => trs.length)).toBe(1);
      expect(await page.textContent('#frontier-verdict')).toMatch(/^Fastest to training loss ≤ 0.5: B = (64|4096), /);
      expect(await svgMarks(page, 'plot-frontier-time')).toBeGreaterThan(4);
      expect(await page.textContent('#plot-frontier-time svg')).toContain('Time to training loss ≤ 0.5 against batch size');
      expect(await page.textContent('#text-plot-frontier-time')).toMatch(/B = 64: [\d.]+ s measured, [\d.]+ s predicted; B = 4096/);
      expect(await svgMarks(page, 'plot-loss')).toBeGreaterThan(4);
      expect(await page.textContent('#status')).toMatch(/^done: 2 runs, .* — Fastest to training loss ≤ 0.5: B = /);
      expect(pageErrors).toEqual([]);

      // The download is the runner's results.json: `lbgap report` renders it.
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      expect(download.suggestedFilename()).toBe('lbgap-tiny-frontier-results.json');
      const file = join(dir, 'results.json');
      await download.saveAs(file);
      const text = readFileSync(file, 'utf8');
      const parsed = parseResults(text, file);
      expect(text).toBe(JSON.stringify(parsed, null, 1) + '\n');
      const out: string[] = [];
      const io: Io = { out: (l) => out.push(l), err: () => {} };
      expect(await main(['report', file, '--out', join(dir, 'report')], io)).toBe(0);
      const report = readFileSync(join(dir, 'report', 'REPORT.md'), 'utf8');
      expect(report).toContain('frontier');
      expect(readFileSync(join(dir, 'report', 'frontier-time.svg'), 'utf8')).toContain('<svg');

      // The same spec through the runner in Node: the same results, wall-clock fields aside.
      const node = await runExperiment(parsed.spec, { outDir: join(dir, 'node'), jobs: 1 });
      expect(node.failures).toEqual([]);
      // Both relaxed SIMD (vitest runs Node with the flag; Chromium has it): the same kernel build, so the same bits.
      expect(node.results.environment.kernels).toBe(parsed.environment.kernels);
      expect(metricsOnly(parsed)).toEqual(metricsOnly(node.results));
      expect(metricsOnly(parsed).spec).toEqual(metricsOnly(node.results).spec);

      // Loaded back into a fresh page: the form is the frontier's, the table and figure are drawn.
      const fresh = await ctx.newPage();
      await fresh.goto(isolated.server.url);
      await waitStatus(fresh, ['idle']);
      await fresh.setInputFiles('#load', file);
      await waitStatus(fresh, ['loaded']);
      expect(await fresh.inputValue('select[name=experiment]')).toBe('frontier');
      expect(await fresh.inputValue('input[name=batches]')).toBe('64,4096');
      expect(await fresh.$$eval('#frontier-summary tbody tr', (trs) => trs.length)).toBe(2);
      expect(await svgMarks(fresh, 'plot-frontier-time')).toBeGreaterThan(4);
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 400_000);

  it('the form: the experiment choice shows its fields, bad frontier inputs show their messages, and the address follows', async () => {
    const page = await browser.newPage();
    await page.goto(`${isolated.server.url}?experiment=frontier&trainSamples=2048`);
    await waitStatus(page, ['idle']);
    expect(await page.isVisible('input[name=batches]')).toBe(true);
    expect(await page.isHidden('input[name=lbBatch]')).toBe(true);
    expect(await page.textContent('label[for=f-epochs]')).toBe('Epoch cap');
    expect(await page.getAttribute('input[name=batches]', 'placeholder')).toBe('default: 32,64,128');
    const msg = async (name: string, value: string) => {
      await page.fill(`input[name=${name}]`, value);
      return page.textContent(`#msg-${name}`);
    };
    expect(await msg('batches', '32,abc')).toBe('Batch sizes must be whole numbers from 1 to 2,048 (the training samples), separated by commas (or empty for the default); got "abc"');
    expect(await page.getAttribute('input[name=batches]', 'aria-invalid')).toBe('true');
    expect(await page.isDisabled('#start')).toBe(true);
    expect(await msg('batches', '64,64')).toBe('Batch sizes must be distinct; 64 appears twice');
    expect(await msg('batches', '32,512')).toBe('');
    expect(await msg('targetValue', '0')).toBe('Target value must be a training loss above 0 (e.g. 0.15); got 0');
    await page.fill('input[name=targetValue]', '0.15');
    await page.selectOption('select[name=targetMetric]', 'testAcc');
    expect(await page.inputValue('input[name=targetValue]')).toBe('0.9'); // the other metric's default follows the metric
    expect(await msg('targetValue', '97')).toBe('Target value must be a test accuracy above 0 and at most 1, as a fraction (0.97 for 97 %); got 97');
    expect(await msg('targetValue', '0.97')).toBe('');
    expect(await msg('trainSamples', '500')).toBe("Training samples must be a whole number from 1,024 to 60,000 (MNIST has 60,000; the frontier's B_simple draws 1,024 samples); got 500");
    expect(await msg('trainSamples', '4096')).toBe('');
    expect(await page.isDisabled('#start')).toBe(false);
    expect(new URL(page.url()).search).toBe('?experiment=frontier&trainSamples=4096&batches=32%2C512&targetMetric=testAcc&targetValue=0.97');
    expect(await page.getAttribute('#share', 'href')).toBe(`/${new URL(page.url()).search}`);
    // Back to SB vs LB: its fields return, the frontier's hide, and the address drops them.
    await page.selectOption('select[name=experiment]', 'reproduce');
    expect(await page.isHidden('input[name=batches]')).toBe(true);
    expect(await page.isVisible('input[name=lbBatch]')).toBe(true);
    expect(await page.textContent('label[for=f-epochs]')).toBe('Epochs');
    expect(await page.isVisible('#analysis')).toBe(true);
    expect(new URL(page.url()).search).toBe('?trainSamples=4096&lbBatch=410');
    await page.close();
  }, 60_000);
});
