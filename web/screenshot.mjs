// `npm run screenshot:web`: runs a real (small) experiment on the built page in headless
// Chromium — F1 on a 6000-sample MNIST subset, SB 256 vs LB 600 (10%), 5 epochs, sharpness on
// 1000 samples with the paper's 10 L-BFGS-B iterations — plus the kernel playground, and saves
// the finished page to docs/page.png for the README. Needs `npm run build` (dist/ and web/dist/).
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('..', import.meta.url));
const { startServe } = await import(new URL('../dist/cli/serve_command.js', import.meta.url).href);
const params = process.argv[2] ?? 'net=F1&data=mnist&trainSamples=6000&testSamples=2000&sbBatch=256&lbBatch=600&epochs=5&analysisSamples=1000&sharpnessIterations=10';
const out = process.argv[3] ?? `${root}docs/page.png`;

const serve = await startServe({ port: 0, host: '127.0.0.1' }, { out: (l) => console.error(l), err: (l) => console.error(l) }, { handleSignals: false });
const browser = await chromium.launch({
  executablePath: process.env.LBGAP_CHROMIUM ?? '/usr/bin/chromium', headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1120, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e));
  const t0 = Date.now();
  await page.goto(`${serve.server.url}?${params}&autostart=1`);
  await page.waitForFunction(() => ['done', 'error'].includes(window.__lbgapPage?.status), null, { timeout: 30 * 60_000, polling: 1000 });
  const s = await page.evaluate(() => ({ status: window.__lbgapPage.status, error: window.__lbgapPage.error, text: document.querySelector('#status').textContent }));
  if (s.status !== 'done') throw new Error(`the run failed: ${s.error}`);
  console.error(`${s.text} (${((Date.now() - t0) / 1000).toFixed(0)} s wall)`);
  await page.click('#bench');
  await page.waitForFunction(() => window.__lbgapPage.bench !== null || window.__lbgapPage.status === 'error', null, { timeout: 5 * 60_000, polling: 500 });
  mkdirSync(new URL('../docs/', import.meta.url), { recursive: true });
  await page.screenshot({ path: out, fullPage: true });
  const table = await page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent).join(' | ')));
  console.log(table.join('\n'));
  console.error(`wrote ${out}`);
} finally {
  await browser.close();
  await serve.stop();
}
