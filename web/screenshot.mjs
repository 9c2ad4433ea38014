// `npm run screenshot:web [-- <query> [<out-dir>]]`: runs a real (small) experiment on the built
// page in headless Chromium — by default F1 on a 6000-sample MNIST subset, SB 256 vs LB 600
// (10%), 5 epochs, sharpness on 1000 samples with the paper's 10 L-BFGS-B iterations — then
// saves the finished page at desktop width (docs/page.png, 1280×900) and at phone width
// (docs/page-phone.png, 390×844: the same page resized, its plots redrawn) for the
// README. `npm run screenshot:web -- frontier [<query> [<out-dir>]]`: the batch-size frontier
// instead — by default the tiny net on 10000 MNIST samples, the default batch sizes (32 … 512),
// to training loss ≤ 0.25, at most 10 epochs, one seed — saved at desktop width
// (docs/page-frontier.png). Needs `npm run build` (dist/ and web/dist/).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const { startServe } = await import(new URL('../dist/cli/serve_command.js', import.meta.url).href);
const frontier = process.argv[2] === 'frontier';
const args = frontier ? process.argv.slice(3) : process.argv.slice(2);
const params = args[0] ?? (frontier
  ? 'experiment=frontier&net=tiny&data=mnist&trainSamples=10000&testSamples=2000&targetValue=0.25&epochs=10&seeds=0&jobs=2'
  : 'net=F1&data=mnist&trainSamples=6000&testSamples=2000&sbBatch=256&lbBatch=600&epochs=5&analysisSamples=1000&sharpnessIterations=10');
const outDir = args[1] ?? `${root}docs/`;

const serve = await startServe({ port: 0, host: '127.0.0.1' }, { out: (l) => console.error(l), err: (l) => console.error(l) }, { handleSignals: false });
const browser = await chromium.launch({
  executablePath: process.env.LBGAP_CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  mkdirSync(outDir, { recursive: true });
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e));
  const t0 = Date.now();
  await page.goto(`${serve.server.url}?${params}&autostart=1`);
  await page.waitForFunction(() => ['done', 'error'].includes(window.__lbgapPage?.status), null, { timeout: 30 * 60_000, polling: 1000 });
  const s = await page.evaluate(() => ({ status: window.__lbgapPage.status, error: window.__lbgapPage.error, text: document.querySelector('#status').textContent }));
  if (s.status !== 'done') throw new Error(`the run failed: ${s.error}`);
  console.error(`${s.text} (${((Date.now() - t0) / 1000).toFixed(0)} s wall)`);
  if (frontier) {
    await page.waitForTimeout(600); // the last draw
    await page.screenshot({ path: join(outDir, 'page-frontier.png'), fullPage: true });
    const rows = await page.$$eval('#frontier-summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((td) => td.textContent).join(' | ')));
    console.log(rows.join('\n'));
    console.log(await page.textContent('#frontier-verdict'));
    console.error(`wrote ${join(outDir, 'page-frontier.png')}`);
  } else {
    await page.click('#bench');
    await page.waitForFunction(() => window.__lbgapPage.bench !== null || window.__lbgapPage.status === 'error', null, { timeout: 5 * 60_000, polling: 500 });
    await page.screenshot({ path: join(outDir, 'page.png'), fullPage: true });
    const table = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((td) => td.textContent).join(' | ')));
    console.log(table.join('\n'));
    // The same page at phone width: the plots redraw to fit it.
    await page.setViewportSize({ width: 390, height: 844 });
    const renders = await page.evaluate(() => window.__lbgapPage.renders);
    await page.waitForFunction((r) => window.__lbgapPage.renders > r, renders, { timeout: 30_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(outDir, 'page-phone.png'), fullPage: true });
    console.error(`wrote ${join(outDir, 'page.png')} and ${join(outDir, 'page-phone.png')}`);
  }
} finally {
  await browser.close();
  await serve.stop();
}
