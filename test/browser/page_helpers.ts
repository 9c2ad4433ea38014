// Shared by the page's end-to-end tests: the page's test state (window.__lbgapPage), waiting for
// a status, counting drawn marks, and the servers (LBGAP_PAGE_ROOT serves another build of the
// page, e.g. an older one to check that a test fails there).
import { existsSync } from 'node:fs';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultPageRoot, startServe, type ServeHandle } from '../../src/cli/serve_command.js';
import type { Io } from '../../src/cli/io.js';
import type { ResultsFile } from '../../src/experiments/results.js';

export interface PhaseView { phase: string; state: string; fraction: number; etaSeconds: number | null; detail: string }
export interface PageState {
  status: string; error: string | null; mode: string | null; renders: number;
  results: ResultsFile & { page: { transport: string; crossOriginIsolated: boolean; jobs: number } } | null;
  bench: { gemm: { gflops: number }[]; steps: { samplesPerSecond: number }[] } | null;
  source?: { kind: string; name: string } | null;
  phases?: Record<string, PhaseView>;
}

export const pageRoot = () => process.env.LBGAP_PAGE_ROOT ?? defaultPageRoot();

export async function servePage(isolation = true): Promise<ServeHandle> {
  const root = pageRoot();
  if (!existsSync(root + '/index.html')) throw new Error(`${root}/index.html is missing: run \`npm run build:web\` (part of \`npm run build\`) first`);
  const quiet: Io = { out: () => {}, err: () => {} };
  return startServe({ port: 0, host: '127.0.0.1', root, ...(isolation ? {} : { 'no-isolation': true }) }, quiet, { handleSignals: false });
}

export const state = (page: Page) => page.evaluate(() => (window as unknown as { __lbgapPage: PageState }).__lbgapPage);

/** Waits until the status is one of `want` (or 'error', which fails unless wanted). */
export async function waitStatus(page: Page, want: string[], timeout = 100_000): Promise<PageState> {
  await page.waitForFunction((w) => {
    const s = (window as unknown as { __lbgapPage?: { status: string } }).__lbgapPage;
    return !!s && (w.includes(s.status) || s.status === 'error');
  }, want, { timeout, polling: 50 });
  const s = await state(page);
  if (!want.includes('error')) expect(s.error, 'page error').toBeNull();
  expect(want).toContain(s.status);
  return s;
}

/** Number of drawn marks (lines/points are <path>s) in a plot container's SVG (0: nothing drawn). */
export const svgMarks = (page: Page, id: string) => page.evaluate((i) => {
  const svg = document.querySelector(`#${i} svg`);
  return svg ? svg.querySelectorAll('path').length : 0;
}, id);

export const tableRows = (page: Page) => page.$$eval('#summary tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('th, td')].map((td) => td.textContent ?? '')));
