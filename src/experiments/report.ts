// REPORT.md from a results file alone: tables shaped like the paper's Tables 2–4 (mean ±
// std over seeds) beside the paper's numbers, the deviations from the paper's protocol, and
// links to the figures. Deterministic: the same results.json renders the same bytes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { figures } from './charts.js';
import { PAPER_NUMBERS, type PaperValue } from './paper_numbers.js';
import { renderSvg } from './plot.js';
import { sharpnessKey, type ResultsFile, type Stat, type SummaryRow } from './results.js';
import { deviationsFromPaper } from './spec.js';

const sig = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(2) : v.toExponential(2));
const fmt = (s: Stat | null | undefined, scale = 1) => (s ? `${sig(s.mean * scale)} ± ${sig(s.std * scale)}` : '—');
const pct = (s: Stat | null | undefined) => fmt(s, 100);
const paper = (v: PaperValue | undefined) => (v ? `${v.std === null ? '≈ ' : ''}${v.mean}${v.std !== null ? ` ± ${v.std}` : ''}${v.transcribed === 'recalled' ? '*' : ''}` : '—');

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function row(res: ResultsFile, setting: string): SummaryRow | undefined {
  return res.final.find((r) => r.setting === setting);
}

function reproduceTables(res: ResultsFile): string[] {
  const net = res.spec.net;
  const sb = row(res, 'SB'), lb = row(res, 'LB');
  const p = PAPER_NUMBERS[res.spec.data.name === 'mnist' ? net : ''] ?? {};
  const out: string[] = [];
  out.push('## Table 2 — accuracy (%)', '',
    table(['', 'SB train', 'LB train', 'SB test', 'LB test'], [
      [`${net} (this run)`, pct(sb?.trainAcc), pct(lb?.trainAcc), pct(sb?.testAcc), pct(lb?.testAcc)],
      [`${net} (paper)`, paper(p.trainAcc?.sb), paper(p.trainAcc?.lb), paper(p.testAcc?.sb), paper(p.testAcc?.lb)],
    ]), '');
  const sh = res.spec.sharpness;
  const spaceTable = (space: 'full' | 'random', title: string) => {
    if ((space === 'full' && !sh.fullSpace) || (space === 'random' && sh.subspace === 0) || sh.eps.length === 0) return;
    const header = [''];
    for (const e of sh.eps) header.push(`SB ε=${e}`, `LB ε=${e}`);
    const mine = [`${net} (this run)`], theirs = [`${net} (paper)`];
    for (const e of sh.eps) {
      const key = sharpnessKey(space, e);
      mine.push(fmt(sb?.sharpness[key]), fmt(lb?.sharpness[key]));
      theirs.push(paper(p.sharpness?.[key]?.sb), paper(p.sharpness?.[key]?.lb));
    }
    out.push(title, '', table(header, [mine, theirs]), '');
  };
  spaceTable('full', '## Table 3 — sharpness φ, full space');
  spaceTable('random', `## Table 4 — sharpness φ, random manifold (p = ${sh.subspace})`);
  if (res.spec.hessian.top > 0) {
    out.push('## Top Hessian eigenvalue (later work; not in the paper)', '',
      table(['', 'SB', 'LB'], [[`${net} (this run)`, fmt(sb?.hessianTop), fmt(lb?.hessianTop)]]), '');
  }
  if (sb && lb) {
    const verdict: string[] = [];
    const key = sb && Object.keys(sb.sharpness)[0];
    if (key && sb.sharpness[key] && lb.sharpness[key]) {
      const r = lb.sharpness[key]!.mean / sb.sharpness[key]!.mean;
      verdict.push(`LB's sharpness (${key.replace('@', ', ε=')}) is ${Number.isFinite(r) ? r.toFixed(1) + '×' : 'not comparable to'} SB's (${lb.sharpness[key]!.mean > sb.sharpness[key]!.mean ? 'sharper, as in the paper' : 'NOT sharper than SB — unlike the paper'}).`);
    }
    if (sb.testAcc && lb.testAcc) {
      const gap = 100 * (sb.testAcc.mean - lb.testAcc.mean);
      verdict.push(`Test accuracy gap SB − LB: ${gap.toFixed(2)} points (${gap >= 0 ? 'LB at or below SB, as in the paper' : 'LB above SB — unlike the paper'}).`);
    }
    if (sb.trainAcc && lb.trainAcc && sb.trainAcc.mean - lb.trainAcc.mean > 0.01) {
      verdict.push(`LB's training accuracy is ${(100 * (sb.trainAcc.mean - lb.trainAcc.mean)).toFixed(2)} points below SB's: in this budget LB has not converged as far as SB ` +
        '(the paper compares runs trained to ~100% training accuracy), so part of the differences above is under-training, not only the minimizer\'s shape.');
    }
    out.push('## Verdict', '', ...verdict.map((v) => `- ${v}`), '');
  }
  return out;
}

function sweepTable(res: ResultsFile, variable: 'batch' | 'k'): string[] {
  const keys = [...new Set(res.final.flatMap((r) => Object.keys(r.sharpness)))];
  const header = [variable === 'batch' ? 'batch' : 'k (SB epochs)', 'seeds', 'train acc (%)', 'test acc (%)', ...keys.map((k) => `φ ${k.replace('@', ' ε=')}`)];
  if (res.spec.hessian.top > 0) header.push('top Hessian λ');
  const rows = res.final.map((r) => {
    const cells = [String(variable === 'batch' ? r.batch : r.k), String(r.seeds), pct(r.trainAcc), pct(r.testAcc), ...keys.map((k) => fmt(r.sharpness[k]))];
    if (res.spec.hessian.top > 0) cells.push(fmt(r.hessianTop));
    return cells;
  });
  return [variable === 'batch' ? '## Sharpness and accuracy vs batch size' : `## Warm start: SB (${res.spec.sb}) for k epochs, then LB for ${res.spec.epochs}`, '', table(header, rows), ''];
}

/** The report's Markdown. */
export function renderReport(res: ResultsFile): string {
  const s = res.spec;
  const title = s.kind === 'reproduce' ? 'SB vs LB reproduction' : s.kind === 'sweep' ? 'Batch-size sweep' : 'Warm-start experiment';
  const out: string[] = [
    `# lbgap — ${title}: ${s.net} on ${res.data.train}`, '',
    'Keskar et al., "On Large-Batch Training for Deep Learning: Generalization Gap and Sharp Minima" (ICLR 2017).',
    `Values are mean ± std over ${s.seeds.length} seed${s.seeds.length === 1 ? '' : 's'} (${s.seeds.join(', ')}).`, '',
  ];
  if (res.status !== 'complete') out.push(`> **Partial results** (status: ${res.status}; ${res.done.length} of ${res.jobs.length} jobs done). Run again with \`--resume\` to finish.`, '');
  if (res.shard) out.push(`> Shard ${res.shard.index}/${res.shard.count} of ${res.totalJobs} jobs; merge the shards with \`lbgap merge\`.`, '');
  if (s.kind === 'reproduce') out.push(...reproduceTables(res));
  else out.push(...sweepTable(res, s.kind === 'sweep' ? 'batch' : 'k'));
  if (s.kind === 'reproduce' && Object.keys(PAPER_NUMBERS).includes(s.net) && s.data.name === 'mnist')
    out.push('Paper values marked * were transcribed from the paper\'s tables from memory (see src/experiments/paper_numbers.ts); check them against arXiv 1609.04836. Unmarked ones are from PAPER.md (≈).', '');

  const figs = figures(res);
  out.push('## Figures', '', ...figs.map((f) => `- [${f.title}](${f.file})`), '');
  out.push('## Protocol', '',
    `- ADAM (lr ${s.lr}, Keras defaults otherwise), ${s.epochs} epoch${s.epochs === 1 ? '' : 's'} per run` +
    (s.kind === 'reproduce' ? `; SB = ${s.sb}, LB = ${s.lb ?? `10% of the training set (${Math.round(res.data.trainSamples / 10)})`}; both runs of a seed start from the same initial weights; the optimizer state is fresh for each.` : '.'),
    `- Data: ${res.data.train} (${res.data.trainSamples}) / ${res.data.test} (${res.data.testSamples}).`,
    `- Accuracy: evaluation mode (BN running statistics) after the last epoch${s.trainEvalSamples !== null ? `; training accuracy on the first ${s.trainEvalSamples} training samples` : ''}.`,
    `- Sharpness φ: L-BFGS-B (${s.sharpness.maxIter} iterations) from y = 0 over the box C_ε; loss = mean cross-entropy over a seeded ${s.sharpness.sample}-sample training subset, BN with the batch statistics of fixed ${s.sharpness.chunk}-sample chunks (running statistics untouched), dropout off; the random manifold A (p = ${s.sharpness.subspace}) is seeded by the run's seed.`,
  );
  if (s.hessian.top > 0) out.push(`- Top Hessian eigenvalue: Lanczos (≤ ${s.hessian.maxIter} steps) on Hessian-vector products by central differences of gradients, same loss definition, ${s.hessian.sample}-sample subset.`);
  if (s.kind === 'reproduce' && s.interpolation.points > 0) out.push(`- Parametric plot: ${s.interpolation.points} points of α on [${s.interpolation.range.join(', ')}]; ${res.interpolations[0]?.batchNorm ?? 'BN batch statistics per chunk'}.`);
  if (s.track.enabled) out.push(`- Sharpness during training: φ (full space, ε = ${s.track.eps}, ${s.track.sample}-sample subset) after every epoch.`);
  const dev = deviationsFromPaper(s);
  out.push('', '### Deviations from the paper', '', ...(dev.length ? dev.map((d) => `- ${d}`) : ['- none (the paper\'s protocol)']), '');
  out.push('## Environment and timing', '',
    `- ${res.environment.cpuModel} × ${res.environment.cpus}, ${res.environment.platform}, Node ${res.environment.node}, kernels ${res.environment.kernels}` +
    (res.environment.loadAverage ? `; load average ${res.environment.loadAverage.join(' / ')} (1/5/15 min) at the start` : '') + '.',
    `- Wall time of the jobs: ${res.timings.seconds.toFixed(1)} s (${res.timings.jobs.map((j) => `job ${j.job}: ${j.seconds.toFixed(1)} s`).join(', ')}).`, '');
  return out.join('\n');
}

/** Writes REPORT.md and every figure's SVG into `dir`; returns the files written. */
export async function writeReport(res: ResultsFile, dir: string): Promise<string[]> {
  const files: string[] = [];
  await mkdir(dir, { recursive: true });
  const md = join(dir, 'REPORT.md');
  await writeFile(md, renderReport(res));
  files.push(md);
  for (const f of figures(res)) {
    const path = join(dir, f.file);
    await writeFile(path, await renderSvg(f.spec));
    files.push(path);
  }
  return files;
}
