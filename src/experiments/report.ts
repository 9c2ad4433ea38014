// REPORT.md from a results file alone: tables shaped like the paper's Tables 2–4 (mean ±
// std over seeds) beside the paper's numbers, the deviations from the paper's protocol, and
// links to the figures. Deterministic: the same results.json renders the same bytes.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { densityRuns, figures } from './charts.js';
import { PAPER_EPS, PAPER_NETS, PAPER_NUMBERS, PAPER_SUBSPACE, paperRow, type PaperRow, type PaperValue } from './paper_numbers.js';
import { renderFrontierReport } from './frontier_report.js';
import { renderSvg } from './plot.js';
import { sharpnessKey, type ResultsFile, type Stat, type SummaryRow } from './results.js';
import { healthSection, optimizerText, remediesTables } from './remedies.js';
import { deviationsFromPaper, type ExperimentSpec } from './spec.js';

const sig = (v: number) => (Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 0.01 || v === 0 ? v.toFixed(2) : v.toExponential(2));
// A single seed has no spread: show its value alone, not "± 0.00".
const fmt = (s: Stat | null | undefined, scale = 1) => (s ? (s.n > 1 ? `${sig(s.mean * scale)} ± ${sig(s.std * scale)}` : sig(s.mean * scale)) : '—');
const pct = (s: Stat | null | undefined) => fmt(s, 100);
const paper = (v: PaperValue | undefined) => (v ? `${v.mean.toFixed(2)} ± ${v.std.toFixed(2)}` : '—');
/** The base net a variant is shaped like ('C1-mnist' → 'C1'). */
const baseNet = (net: string) => net.split('-')[0];

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function row(res: ResultsFile, setting: string): SummaryRow | undefined {
  return res.final.find((r) => r.setting === setting);
}

/** "14, 12 (plateau), 20 (cap)" — epochs each seed's run of `setting` trained, and why it stopped. */
function epochsRun(res: ResultsFile, setting: string): string {
  const runs = res.runs.filter((r) => r.setting === setting).sort((a, b) => a.seed - b.seed);
  return runs.map((r) => {
    const ph = r.phases[r.phases.length - 1];
    const why = ph.stoppedBy === 'plateau' ? ' (plateau)' : res.spec.stopping.rule === 'plateau' && res.spec.stopping.minEpochs < res.spec.epochs ? ' (cap)' : '';
    return `${ph.history.length}${why}`;
  }).join(', ');
}

function reproduceTables(res: ResultsFile): string[] {
  const net = res.spec.net;
  const sb = row(res, 'SB'), lb = row(res, 'LB');
  const p: PaperRow | null = paperRow(baseNet(net));
  const pname = p ? `${baseNet(net)} (paper, ${p.data})` : '';
  const mineName = `${net} (this run, ${res.data.train.split('/')[0]})`;
  const out: string[] = [];
  const accRows = [[mineName, pct(sb?.trainAcc), pct(lb?.trainAcc), pct(sb?.testAcc), pct(lb?.testAcc)]];
  if (p) accRows.push([pname, paper(p.trainAcc.sb), paper(p.trainAcc.lb), paper(p.testAcc.sb), paper(p.testAcc.lb)]);
  out.push('## Table 2 — accuracy (%)', '', table(['', 'SB train', 'LB train', 'SB test', 'LB test'], accRows), '');
  if (sb || lb) {
    out.push(`Epochs trained per seed (${stoppingRule(res.spec)}): SB ${epochsRun(res, 'SB') || '—'}; LB ${epochsRun(res, 'LB') || '—'}.`, '');
  }
  const sh = res.spec.sharpness;
  const spaceTable = (space: 'full' | 'random', title: string) => {
    if ((space === 'full' && !sh.fullSpace) || (space === 'random' && sh.subspace === 0) || sh.eps.length === 0) return;
    const header = [''];
    for (const e of sh.eps) header.push(`SB ε=${e}`, `LB ε=${e}`);
    const mine = [mineName], theirs = [pname];
    // The paper's Table 4 is for p = 100: with another p its numbers are not comparable.
    const comparable = p !== null && (space === 'full' || sh.subspace === PAPER_SUBSPACE);
    for (const e of sh.eps) {
      const key = sharpnessKey(space, e);
      mine.push(fmt(sb?.sharpness[key]), fmt(lb?.sharpness[key]));
      theirs.push(paper(p?.sharpness[key]?.sb), paper(p?.sharpness[key]?.lb));
    }
    out.push(title, '', table(header, comparable ? [mine, theirs] : [mine]), '');
    if (p && !comparable) out.push(`(The paper's Table 4 is for p = ${PAPER_SUBSPACE}; this run used p = ${sh.subspace}, so its values are not set beside the paper's.)`, '');
  };
  spaceTable('full', '## Table 3 — sharpness φ, full space');
  spaceTable('random', `## Table 4 — sharpness φ, random manifold (p = ${sh.subspace})`);
  if (res.spec.hessian.top > 0) {
    out.push('## Top Hessian eigenvalue (later work; not in the paper)', '',
      table(['', 'SB', 'LB'], [[mineName, fmt(sb?.hessianTop), fmt(lb?.hessianTop)]]), '');
  }
  if (sb && lb) {
    const verdict: string[] = [];
    const key = Object.keys(sb.sharpness)[0];
    let sharper = false;
    if (key && sb.sharpness[key] && lb.sharpness[key]) {
      const r = lb.sharpness[key]!.mean / sb.sharpness[key]!.mean;
      sharper = lb.sharpness[key]!.mean > sb.sharpness[key]!.mean;
      verdict.push(`LB's sharpness (${key.replace('@', ', ε=')}) is ${Number.isFinite(r) ? r.toFixed(1) + '×' : 'not comparable to'} SB's (${sharper ? 'sharper, as in the paper' : 'NOT sharper than SB — unlike the paper'}).`);
    }
    let worse = false;
    if (sb.testAcc && lb.testAcc) {
      const gap = 100 * (sb.testAcc.mean - lb.testAcc.mean);
      worse = gap > 0;
      verdict.push(`Test accuracy gap SB − LB: ${gap.toFixed(2)} points (${gap > 0 ? 'LB below SB, as in the paper' : 'LB at or above SB — unlike the paper'}).`);
    }
    if (sb.trainAcc && lb.trainAcc) {
      const lo = Math.min(sb.trainAcc.mean, lb.trainAcc.mean);
      if (lo >= 0.99) {
        verdict.push(`Both SB and LB fit the training set (training accuracy ${pct(sb.trainAcc)}% and ${pct(lb.trainAcc)}%, both ≥ 99%): the runs are compared at their minimizers, not mid-training, so ` +
          (sharper && worse ? 'the sharper LB minimizer and its lower test accuracy are the paper\'s effect — a generalization gap, not an optimization gap.' : 'any difference above is between converged minimizers.'));
      } else {
        verdict.push(`${sb.trainAcc.mean < lb.trainAcc.mean ? 'SB' : 'LB'} reaches only ${(100 * lo).toFixed(2)}% training accuracy: it has not converged (the paper compares runs trained to ~100% training accuracy), so part of the differences above is under-training — an optimization gap — not only the minimizer's shape.`);
      }
    }
    for (const r of res.runs) {
      const ph = r.phases[r.phases.length - 1];
      if (ph.history.length >= 2 && res.spec.stopping.rule === 'plateau' && ph.stoppedBy !== 'plateau')
        verdict.push(`${r.setting} seed ${r.seed} hit the ${res.spec.epochs}-epoch cap before its training loss stopped improving.`);
    }
    out.push('## Verdict', '', ...verdict.map((v) => `- ${v}`), '');
  }
  return out;
}

/**
 * The Hessian's eigenvalue density at the minimizers that have one (MinimizerRecord.hessianDensity):
 * the figure, how it was computed, and per run the extreme quadrature nodes (the extreme
 * eigenvalues, to which SLQ's outer nodes converge) and the weight on negative eigenvalues.
 */
function densitySection(res: ResultsFile): string[] {
  const runs = densityRuns(res);
  if (runs.length === 0) return [];
  const recs = runs.map((r) => r.final.hessianDensity!);
  const same = <T>(f: (d: (typeof recs)[number]) => T) => (new Set(recs.map((d) => JSON.stringify(f(d)))).size === 1 ? f(recs[0]) : null);
  const hvp = same((d) => d.hvp), sample = same((d) => d.sample), chunk = same((d) => d.chunk), bn = same((d) => d.bn), steps = same((d) => d.runs[0].steps), starts = same((d) => d.runs.length);
  const lossText = `mean cross-entropy over ${sample !== null ? `a ${sample}-sample` : 'a'} training subset, ` +
    (bn === 'running' ? 'BN with the running statistics held fixed' : bn === 'batch' ? `BN with the batch statistics of ${chunk !== null ? `${chunk}-sample` : 'fixed'} chunks` : 'BN per run as in the table') + ', dropout off';
  const hvpText = hvp === 'exact' ? "exact Hessian-vector products (Pearlmutter's R-operator)" : hvp === 'central-differences' ? 'Hessian-vector products by central differences of gradients (biased where ReLU kinks are crossed)' : 'Hessian-vector products (method per run in the table)';
  const nodeRange = (d: (typeof recs)[number]) => {
    const lo = Math.min(...d.runs.map((q) => q.nodes[0])), hi = Math.max(...d.runs.map((q) => q.nodes[q.nodes.length - 1]));
    return `${sig(lo)} … ${sig(hi)}`;
  };
  const negative = (d: (typeof recs)[number]) => d.runs.reduce((s, q) => s + q.nodes.reduce((t, x, i) => t + (x < 0 ? q.weights[i] : 0), 0), 0) / d.runs.length;
  const rows = runs.map((r) => {
    const d = r.final.hessianDensity!;
    return [`${r.setting} seed ${r.seed}`, nodeRange(d), sig(negative(d)), `${d.runs.map((q) => q.steps).join(', ')} × ${d.runs.length}`,
      ...(hvp === null ? [d.hvp] : []), String(d.products), `${d.seconds.toFixed(1)} s`];
  });
  const header = ['run', 'quadrature nodes (λmin … λmax)', 'weight on λ < 0', 'Lanczos steps × start vectors', ...(hvp === null ? ['H·v'] : []), 'H·v products', 'time'];
  return [
    '## Hessian spectral density (later work; not in the paper)', '',
    `The eigenvalue density of the training loss's Hessian at each minimizer, by stochastic Lanczos quadrature (Ghorbani et al. 2019; PyHessian's ESD): ` +
    `${starts !== null ? `${starts} Rademacher start vector${starts === 1 ? '' : 's'}` : 'Rademacher start vectors'} × ${steps !== null ? `${steps} Lanczos steps` : 'Lanczos steps'} with full reorthogonalization, on ${hvpText}; ` +
    `loss = ${lossText}. The nodes are smoothed with Gaussians of variance 1e-5·max(1, λmax − λmin) (PyHessian's density_generate) and drawn on a log scale; ` +
    'the outer nodes converge to the extreme eigenvalues, inner structure is resolved to about (λmax − λmin)/steps.', '',
    '![Hessian eigenvalue density](hessian-spectral-density.svg)', '',
    table(header, rows), '',
    `Computed by: ${[...new Set(recs.map((d) => d.source))].join('; ')}.`, '',
  ];
}

/** The paper's Tables 2–4 for all six networks (PAPER.md), for orientation beside any run. */
function paperTables(): string[] {
  const eps = PAPER_EPS;
  const cells = (pair: { sb: PaperValue; lb: PaperValue }) => [paper(pair.sb), paper(pair.lb)];
  const rows = (f: (r: PaperRow) => string[]) => PAPER_NETS.map((n) => [`${n} (${PAPER_NUMBERS[n].data})`, ...f(PAPER_NUMBERS[n])]);
  const sharpHeader = ['', ...eps.flatMap((e) => [`SB ε=${e}`, `LB ε=${e}`])];
  return [
    '## The paper\'s Tables 2–4, all six networks', '',
    'Keskar et al. (ICLR 2017), main text; mean ± std over 5 trials. The appendix\'s remedies results are not transcribed here.', '',
    'Table 2 — accuracy (%)', '',
    table(['', 'SB train', 'LB train', 'SB test', 'LB test'], rows((r) => [...cells(r.trainAcc), ...cells(r.testAcc)])), '',
    'Table 3 — sharpness φ, full space', '',
    table(sharpHeader, rows((r) => eps.flatMap((e) => cells(r.sharpness[sharpnessKey('full', e)])))), '',
    `Table 4 — sharpness φ, random manifold (p = ${PAPER_SUBSPACE})`, '',
    table(sharpHeader, rows((r) => eps.flatMap((e) => cells(r.sharpness[sharpnessKey('random', e)])))), '',
  ];
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
/**
 * The stopping rule in words. A plateau rule whose floor (minEpochs) is not below the cap is
 * a fixed budget: it is reported as one, not as "at least 20, cap 2".
 */
/** How the report's Hessian-vector products were computed, from the runs' records. */
function hvpText(res: ResultsFile): string {
  const methods = new Set(res.runs.filter((r) => r.final.hessian).map((r) => r.final.hessian!.hvp ?? 'unrecorded'));
  if (methods.size === 1 && methods.has('exact')) return "exact Hessian-vector products (Pearlmutter's R-operator, forward over reverse)";
  if (methods.size === 1 && methods.has('central-differences')) return 'Hessian-vector products by central differences of gradients';
  return `Hessian-vector products (method per run: ${[...methods].join(', ')}; files from before lbgap recorded it say 'unrecorded')`;
}

export function stoppingRule(s: ExperimentSpec): string {
  const st = s.stopping;
  const epochs = (n: number) => `${n} epoch${n === 1 ? '' : 's'}`;
  if (st.rule !== 'plateau' || st.minEpochs >= s.epochs) return `a fixed budget of ${epochs(s.epochs)}`;
  return `until the training loss has not improved by > ${st.minDelta} for ${epochs(st.patience)}` +
    `${st.minEpochs > 0 ? `, at least ${st.minEpochs}` : ''} and at most ${epochs(s.epochs)}`;
}

export function renderReport(res: ResultsFile): string {
  if (res.kind === 'frontier') return renderFrontierReport(res);
  const s = res.spec;
  const title = s.kind === 'reproduce' ? 'SB vs LB reproduction' : s.kind === 'sweep' ? 'Batch-size sweep' : s.kind === 'remedies' ? 'Remedies for large-batch training' : 'Warm-start experiment';
  const out: string[] = [
    `# lbgap — ${title}: ${s.net} on ${res.data.train}`, '',
    'Keskar et al., "On Large-Batch Training for Deep Learning: Generalization Gap and Sharp Minima" (ICLR 2017).',
    `Values are mean ± std over ${s.seeds.length} seed${s.seeds.length === 1 ? '' : 's'} (${s.seeds.join(', ')}).`, '',
  ];
  if (res.status !== 'complete') out.push(`> **Partial results** (status: ${res.status}; ${res.done.length} of ${res.jobs.length} jobs done). Run again with \`--resume\` to finish.`, '');
  if (res.shard) out.push(`> Shard ${res.shard.index}/${res.shard.count} of ${res.totalJobs} jobs; merge the shards with \`lbgap merge\`.`, '');
  if (s.kind === 'reproduce') out.push(...reproduceTables(res));
  else if (s.kind === 'remedies') out.push(...remediesTables(res));
  else out.push(...sweepTable(res, s.kind === 'sweep' ? 'batch' : 'k'));
  out.push(...densitySection(res));
  out.push(...healthSection(res));

  const figs = figures(res);
  out.push('## Figures', '', ...figs.map((f) => `- [${f.title}](${f.file})`), '');
  out.push('## Protocol', '',
    `- ${s.optimizer.name === 'adam' && s.optimizer.lr === null ? `ADAM (lr ${s.lr}, Keras defaults otherwise)` : optimizerText(s.optimizer, s.lr)}${Object.keys(s.remedies).length ? ` with remedies ${JSON.stringify(s.remedies)}` : ''}, ${stoppingRule(s)} per run` +
    (s.kind === 'reproduce' ? `; SB = ${s.sb}, LB = ${s.lb ?? `10% of the training set (${Math.round(res.data.trainSamples / 10)})`}; both runs of a seed start from the same initial weights; the optimizer state is fresh for each.` : '.'),
    `- Data: ${res.data.train} (${res.data.trainSamples}) / ${res.data.test} (${res.data.testSamples}).`,
    `- Accuracy: evaluation mode (BN running statistics) after the last epoch${s.trainEvalSamples !== null ? `; training accuracy on the first ${s.trainEvalSamples} training samples` : ''}.`,
    `- Sharpness φ: L-BFGS-B (${s.sharpness.maxIter} iterations) from y = 0 over the box C_ε; loss = mean cross-entropy over a seeded ${s.sharpness.sample}-sample training subset, BN with the batch statistics of fixed ${s.sharpness.chunk}-sample chunks (running statistics untouched), dropout off${s.sharpness.subspace > 0 ? `; the random manifold A (p = ${s.sharpness.subspace}) is seeded by the run's seed` : ''}${s.sharpness.fullSpace ? '' : '; full space not measured'}.`,
  );
  if (s.hessian.top > 0) out.push(`- Top Hessian eigenvalue: Lanczos (≤ ${s.hessian.maxIter} steps) on ${hvpText(res)}, same loss definition, ${s.hessian.sample}-sample subset.`);
  if (s.kind === 'reproduce' && s.interpolation.points > 0) out.push(`- Parametric plot: ${s.interpolation.points} points of α on [${s.interpolation.range.join(', ')}]; ${res.interpolations[0]?.batchNorm ?? 'BN batch statistics per chunk'}.`);
  if (s.track.enabled) out.push(`- Sharpness during training: φ (full space, ε = ${s.track.eps}, ${s.track.sample}-sample subset) after every epoch${s.track.seeds ? ` of the runs of seed${s.track.seeds.length === 1 ? '' : 's'} ${s.track.seeds.join(', ')}` : ''}.`);
  const dev = deviationsFromPaper(s);
  out.push('', '### Deviations from the paper', '', ...(dev.length ? dev.map((d) => `- ${d}`) : ['- none (the paper\'s protocol)']), '');
  out.push(...paperTables());
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
