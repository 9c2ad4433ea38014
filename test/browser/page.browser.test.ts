// End-to-end tests of the built page (web/dist, `npm run build:web`) in real headless Chromium,
// served by `lbgap serve`'s code: the page loads; a tiny SB-vs-LB run on an MNIST subset
// completes with live plots (SVG in the DOM), the parametric plot and the sharpness table; the
// JSON downloads and loads back; the kernel playground runs; cross-origin isolation is on
// under `lbgap serve` (shared-memory workers) and the transfer fallback works without it,
// including stop and resume — which continue bit for bit from the runner's epoch checkpoints in
// OPFS, in both modes, and the download is a results.json `lbgap report` renders.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import type { ServeHandle } from '../../src/cli/serve_command.js';
import { launchChromium } from './chromium.js';
import { parseResults, type ResultsFile } from '../../src/experiments/results.js';
import { renderReport } from '../../src/experiments/report.js';
import { runExperiment } from '../../src/experiments/runner.js';
import { servePage, state, svgMarks, tableRows, waitStatus, type PageState } from './page_helpers.js';

// The e2e run's screenshot (docs/page.png, in the README, is made by `npm run screenshot:web`).
const shots = fileURLToPath(new URL('../../test-results/', import.meta.url));

const TINY = 'net=tiny&data=mnist&trainSamples=512&testSamples=256&sbBatch=64&lbBatch=256&epochs=2&analysisSamples=256&sharpnessIterations=2&jobs=2';

describe('the page in headless Chromium', () => {
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

  it('isolated: a tiny SB vs LB run on MNIST completes with plots, table, download, load-back and the playground', async () => {
    const ctx = await browser.newContext({ acceptDownloads: true, viewport: { width: 1100, height: 900 } });
    const page = await ctx.newPage();
    const logs: string[] = [];
    page.on('console', (m) => logs.push(m.text()));
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => { logs.push(String(e)); pageErrors.push(String(e)); });
    await page.goto(isolated.server.url + '?' + TINY + '&autostart=1');
    const s = await waitStatus(page, ['done']).catch((e) => { throw new Error(`${e.message}\n${logs.join('\n')}`); });
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(true);
    expect(s.mode).toBe('shared');
    expect(s.results!.page).toMatchObject({ transport: 'shared', crossOriginIsolated: true, jobs: 2 }); // SB and LB in two job workers at once
    expect(await page.textContent('#env')).toContain('cross-origin isolated: the job workers share the data sets and the stop flag');
    expect(s.results!.runs.map((r) => [r.setting, r.batch, r.phases[0].history.length])).toEqual([['SB', 64, 2], ['LB', 256, 2]]);
    expect(s.results!.interpolations[0].alphas).toHaveLength(25);
    expect(s.results!.interpolations[0].trainSamples).toBe(256);
    for (const run of s.results!.runs) {
      // {1e-3, 5e-4} × {full (n = 784·32+32 + 2·32 + 32·32+32 + 32·10+10), random p=100}, as `lbgap reproduce` measures.
      expect(run.final.sharpness.map((x) => [x.space, x.eps, x.dim])).toEqual([['full', 1e-3, 26570], ['full', 5e-4, 26570], ['random', 1e-3, 100], ['random', 5e-4, 100]]);
      for (const x of run.final.sharpness) expect(x.phi).toBeGreaterThanOrEqual(0);
    }
    expect(s.results!.status).toBe('complete');
    expect(s.results!.final.map((r) => r.setting)).toEqual(['SB', 'LB']);
    for (const id of ['plot-loss', 'plot-acc', 'plot-param-loss', 'plot-param-acc']) expect(await svgMarks(page, id), id).toBeGreaterThan(4);
    const rows = await tableRows(page);
    expect(rows).toHaveLength(2);
    for (const r of rows) for (const cell of r.slice(2)) expect(cell).toMatch(/^\d/);

    // Download the results JSON and load it back into a fresh page.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
    const file = await download.path();
    const json = JSON.parse(readFileSync(file, 'utf8'));
    expect(json).toMatchObject({ version: 1, kind: 'reproduce', status: 'complete', spec: { net: 'tiny', sb: 64, lb: 256, epochs: 2 } });
    expect(json.runs).toEqual(s.results!.runs);
    // …and it is the CLI's format: `lbgap report` renders it.
    const report = renderReport(parseResults(readFileSync(file, 'utf8'), 'page.json'));
    expect(report).toContain('# lbgap — SB vs LB reproduction: tiny on mnist/train');
    const [sb, lb] = s.results!.runs.map((r) => (100 * r.final.trainAcc).toFixed(2));
    // One seed: no "± 0.00" (a spread of one value is not a measurement).
    expect(report).toContain(`| tiny (this run, mnist) | ${sb} | ${lb} |`);

    // The kernel playground: GEMM GFLOP/s of both builds, and step costs.
    await page.click('#bench');
    await page.waitForFunction(() => (window as unknown as { __lbgapPage: PageState }).__lbgapPage.bench !== null, null, { timeout: 100_000 });
    const b = (await state(page)).bench!;
    expect(b.gemm.length).toBeGreaterThanOrEqual(4);
    for (const g of b.gemm) expect(g.gflops).toBeGreaterThan(0.1);
    for (const st of b.steps) expect(st.samplesPerSecond).toBeGreaterThan(0);
    expect(pageErrors, 'uncaught errors in the page').toEqual([]);
    mkdirSync(shots, { recursive: true });
    await page.screenshot({ path: shots + 'page.png', fullPage: true });

    const fresh = await ctx.newPage();
    await fresh.goto(isolated.server.url);
    await waitStatus(fresh, ['idle']);
    expect(await svgMarks(fresh, 'plot-loss')).toBe(0);
    await fresh.setInputFiles('#load', file);
    const loaded = await waitStatus(fresh, ['loaded']);
    expect(loaded.results!.runs).toEqual(s.results!.runs);
    for (const id of ['plot-loss', 'plot-acc', 'plot-param-loss', 'plot-param-acc']) expect(await svgMarks(fresh, id), id).toBeGreaterThan(4);
    expect(await fresh.$$eval('#summary tbody tr', (trs) => trs.length)).toBe(2);

    // A corrupt file gives a clear error naming the field.
    const bad = structuredClone(json);
    bad.runs[1].phases[0].history[1].trainAcc = 'NaN';
    await fresh.setInputFiles('#load', { name: 'bad.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await fresh.waitForFunction(() => (window as unknown as { __lbgapPage: PageState }).__lbgapPage.status === 'error');
    expect(await fresh.textContent('#status')).toContain('ResultsFormatError: bad.json: runs[1].phases[0].history[1].trainAcc: must be a finite number, got "NaN"');
    await fresh.setInputFiles('#load', { name: 'other.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify({ ...json, version: 2 })) });
    await fresh.waitForFunction(() => (window as unknown as { __lbgapPage: PageState }).__lbgapPage.error?.includes('other.json'));
    expect(await fresh.textContent('#status')).toContain('ResultsError: other.json: version: must be 1, got 2');
    await ctx.close();
  }, 150_000);

  it("loads `lbgap reproduce`'s results.json, and training the same spec in the page gives the CLI's metrics bit for bit", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbgap-page-'));
    try {
      writeFileSync(join(dir, 'spec.json'), JSON.stringify({
        kind: 'reproduce', net: 'tiny', data: { name: 'mnist', trainLimit: 512, testLimit: 256 }, seeds: [3, 4], epochs: 2, sb: 64, lb: 256,
        sharpness: { eps: [1e-3], fullSpace: true, subspace: 0, maxIter: 2, sample: 128, chunk: 128 },
        hessian: { top: 0, maxIter: 1, sample: 128 }, interpolation: { points: 7, range: [-1, 2], trainSample: 256, testSample: 256, chunk: 256 },
        track: { enabled: false, eps: 1e-3, sample: 128 },
      }));
      execFileSync(process.execPath, [fileURLToPath(new URL('../../bin/lbgap.js', import.meta.url)), 'reproduce', '--spec', join(dir, 'spec.json'), '--out', join(dir, 'out'), '--quiet'], { stdio: 'pipe' });
      const cliFile = join(dir, 'out', 'results.json');
      const cli = parseResults(readFileSync(cliFile, 'utf8'), cliFile);

      const page = await browser.newPage();
      await page.goto(isolated.server.url);
      await waitStatus(page, ['idle']);
      await page.setInputFiles('#load', cliFile);
      const loaded = await waitStatus(page, ['loaded']);
      expect(await page.textContent('#status')).toContain('lbgap reproduce in Node');
      expect(loaded.results!.runs).toEqual(cli.runs);
      for (const id of ['plot-loss', 'plot-acc', 'plot-param-loss', 'plot-param-acc']) expect(await svgMarks(page, id), id).toBeGreaterThan(4);
      const rows = await tableRows(page);
      expect(rows.map((r) => r.slice(0, 2))).toEqual([['SB seed 3', '64'], ['LB seed 3', '256'], ['SB seed 4', '64'], ['LB seed 4', '256'],
        ['SB mean ± std (2 seeds)', '64'], ['LB mean ± std (2 seeds)', '256']]);
      expect(rows[0][4]).toBe(cli.runs[0].final.sharpness[0].phi.toFixed(3));
      const lbFull = cli.final[1].sharpness['full@0.001']!;
      expect(rows[5][4]).toBe(`${lbFull.mean.toFixed(3)} ± ${lbFull.std.toFixed(3)}`);

      // The same protocol in the page: workers (one per run) vs the CLI's in-thread train().
      await page.goto(isolated.server.url + '?net=tiny&data=mnist&trainSamples=512&testSamples=256&sbBatch=64&lbBatch=256&epochs=2&seeds=3,4&analysisSamples=128&sharpnessIterations=1&autostart=1');
      const ran = await waitStatus(page, ['done']);
      const metrics = (r: ResultsFile) => r.runs.map((x) => x.phases[0].history.map((m) => [m.trainLoss, m.trainAcc, m.testLoss, m.testAcc, m.batchLoss, m.steps]));
      if (ran.results!.environment.kernels === cli.environment.kernels) expect(metrics(ran.results!)).toEqual(metrics(cli));
      else {
        const a = metrics(ran.results!).flat(2), b = metrics(cli).flat(2);
        a.forEach((v, i) => expect(v as number).toBeCloseTo(b[i] as number, 4));
      }
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('isolated: a job that measures with no other job beside it spreads over 2 nested objective workers (the run log says so), and the results equal runExperiment’s in Node bit for bit', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbgap-page-spread-'));
    try {
      const page = await browser.newPage();
      await page.goto(isolated.server.url + '?net=tiny&data=synthetic&trainSamples=16384&testSamples=256&sbBatch=2&lbBatch=2048&epochs=3&analysisSamples=256&sharpnessIterations=3&jobs=2&autostart=1');
      const ran = await waitStatus(page, ['done']);
      const log = await page.evaluate(() => (window as unknown as { __lbgapPage: { log: string[] } }).__lbgapPage.log);
      // SB (8,192 steps an epoch) measures well after LB (8) has finished: with no job beside it, over 2 workers.
      expect(log.some((l) => /^job 0: SB seed 0: φ .* over 2 workers\)$/.test(l)), log.join('\n')).toBe(true);
      expect(await page.textContent('#log')).toContain('over 2 workers');
      await page.close();
      // The same spec in Node, one job at a time in this thread (no spreading): the same bits.
      const spec = ran.results!.spec;
      const node = await runExperiment(spec, { outDir: join(dir, 'node'), jobs: 1 });
      expect(node.results.environment.kernels).toBe(ran.results!.environment.kernels);
      expect(metricsOnly(ran.results!)).toEqual(metricsOnly(node.results));
      expect(ran.results!.runs[0].final.sharpness).toHaveLength(4);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 150_000);

  it('not isolated (--no-isolation): the transfer fallback trains, and stop/resume continue from the epoch checkpoints', async () => {
    const page = await browser.newPage();
    await page.goto(open.server.url + '?net=tiny&data=synthetic&trainSamples=4096&testSamples=256&sbBatch=32&lbBatch=512&epochs=3&analysisSamples=256&sharpnessIterations=1');
    const s0 = await waitStatus(page, ['idle']);
    expect(await page.evaluate(() => self.crossOriginIsolated)).toBe(false);
    expect(s0.mode).toBe('transfer');
    expect(await page.textContent('#env')).toContain('the transfer fallback — each job worker gets a copy of the data');
    // A bad form value is shown beside its field as it is typed, in the label's words, and Start waits for a good one.
    await page.fill('input[name=lbBatch]', '5000');
    expect(await page.textContent('#msg-lbBatch')).toBe('LB batch must be a whole number from 1 to 4,096 (the training samples); got 5000');
    expect(await page.getAttribute('input[name=lbBatch]', 'aria-invalid')).toBe('true');
    expect(await page.isDisabled('#start')).toBe(true);
    await page.fill('input[name=lbBatch]', '512');
    expect(await page.textContent('#msg-lbBatch')).toBe('');
    await page.click('#start');
    await page.waitForFunction(() => ((window as unknown as { __lbgapPage: PageState }).__lbgapPage.phases?.training?.fraction ?? 0) > 0);
    expect(await page.textContent('#status')).toMatch(/^training: (SB seed 0: epoch [1-3]\/3, step \d+\/128|LB seed 0: epoch [1-3]\/3, step \d+\/8), batch loss \d/);
    await page.click('#stop');
    const stopped = await waitStatus(page, ['stopped']);
    const epochsAtStop = stopped.results!.runs.map((r) => r.phases[0].history.length);
    // SB (128 steps an epoch) is stopped mid-way; LB (8 steps an epoch, in its own job worker) may have finished by then.
    expect(epochsAtStop[0]).toBeLessThan(3);
    await page.waitForTimeout(300);
    expect((await state(page)).results!.runs.map((r) => r.phases[0].history.length)).toEqual(epochsAtStop); // paused means paused
    await page.click('#resume');
    const done = await waitStatus(page, ['done']);
    expect(done.results!.page).toMatchObject({ transport: 'transfer', crossOriginIsolated: false });
    expect(done.results!.runs.map((r) => [r.setting, r.phases[0].history.length])).toEqual([['SB', 3], ['LB', 3]]);
    expect(await svgMarks(page, 'plot-param-loss')).toBeGreaterThan(4);
    await page.close();
  }, 150_000);

  /** A run's results without wall-clock fields (and the page's facts): the rest must match bit for bit. */
  const CLOCK = new Set(['seconds', 'evalSeconds', 'samplesPerSecond', 'timings', 'environment', 'page']);
  const metricsOnly = (r: ResultsFile) => JSON.parse(JSON.stringify(r, (key, value) => (CLOCK.has(key) ? undefined : value)));
  const RESUMABLE = 'net=tiny&data=synthetic&trainSamples=16384&testSamples=256&sbBatch=2&lbBatch=2048&epochs=3&analysisSamples=128&sharpnessIterations=1';

  it.each([
    ['isolated: Stop ends every job at its next step', true],
    ['not isolated: Stop ends the job workers at once', false],
  ] as const)('%s; Resume continues from the epoch checkpoints bit for bit as an uninterrupted run, and the download is a results.json `lbgap report` renders', async (_name, isolate) => {
    const server = isolate ? isolated : open;
    const ctx = await browser.newContext({ acceptDownloads: true });
    const dir = mkdtempSync(join(tmpdir(), 'lbgap-page-resume-'));
    try {
      const straightPage = await ctx.newPage();
      await straightPage.goto(`${server.server.url}?${RESUMABLE}&autostart=1`);
      const straight = await waitStatus(straightPage, ['done']);
      expect(straight.results!.page.transport).toBe(isolate ? 'shared' : 'transfer');
      await straightPage.close();

      const page = await ctx.newPage();
      await page.goto(`${server.server.url}?${RESUMABLE}&autostart=1`);
      // Stop once SB (8,192 steps an epoch) has finished its first epoch: clicked in the page as soon as it has (an epoch takes well under a second).
      await page.waitForFunction(() => {
        const sbEpochs = (window as unknown as { __lbgapPage: PageState }).__lbgapPage.results?.runs.find((r) => r.setting === 'SB')?.phases[0].history.length ?? 0;
        if (sbEpochs >= 1) document.getElementById('stop')!.click();
        return sbEpochs >= 1;
      }, null, { polling: 5, timeout: 100_000 });
      const stopped = await waitStatus(page, ['stopped']);
      expect(await page.textContent('#status')).toMatch(/^stopped: [0-2] of 3 jobs finished, the others keep their last epoch checkpoint — Resume continues/);
      const sb = stopped.results!.runs.find((r) => r.setting === 'SB')!;
      expect(sb.phases[0].history.length).toBeLessThan(3);
      await page.click('#resume');
      const resumed = await waitStatus(page, ['done']);
      if (resumed.results!.environment.kernels === straight.results!.environment.kernels) expect(metricsOnly(resumed.results!)).toEqual(metricsOnly(straight.results!));
      expect(resumed.results!.runs.map((r) => [r.setting, r.phases[0].history.length])).toEqual([['SB', 3], ['LB', 3]]);

      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download')]);
      const file = join(dir, 'results.json');
      await download.saveAs(file);
      const parsed = parseResults(readFileSync(file, 'utf8'), file);
      expect(parsed.status).toBe('complete');
      expect(parsed.runs).toEqual(resumed.results!.runs);
      expect((parsed as ResultsFile & { page?: { transport: string } }).page?.transport).toBe(isolate ? 'shared' : 'transfer');
      // The file is the runner's own: one-space indentation, a final newline.
      expect(readFileSync(file, 'utf8')).toBe(JSON.stringify(parsed, null, 1) + '\n');
      const out = execFileSync(process.execPath, [fileURLToPath(new URL('../../bin/lbgap.js', import.meta.url)), 'report', file, '--out', join(dir, 'report')], { encoding: 'utf8' });
      expect(out).toContain('REPORT.md');
      expect(readFileSync(join(dir, 'report', 'REPORT.md'), 'utf8')).toContain('# lbgap — SB vs LB reproduction: tiny on synthetic/train');
      await page.close();
    } finally {
      await ctx.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
