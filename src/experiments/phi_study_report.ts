// REPORT.md and the figure of a φ study, from its results.json alone (deterministic): one
// table per unstated choice — every grid point of that choice beside the baseline, SB, LB and
// LB/SB, next to the paper's F1 values (Tables 3–4) — the L-BFGS-B convergence of every
// maximization (final f, projected gradient, stop reason), and a verdict computed from the
// numbers: which choices move φ towards the paper's magnitudes, which do not matter, and
// whether "LB is sharper" survives the scale-invariant (filter-normalized) measures.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PAPER_NUMBERS, PAPER_SUBSPACE, type PaperPair } from './paper_numbers.js';
import type { PhiRecord } from './phi_study_job.js';
import type { PhiStudyResults } from './phi_study_results.js';
import { PHI_CHOICES, pointMeasures, pointSettings, type PhiChoice, type PhiSettings, type PhiStudySpec } from './phi_study_spec.js';
import { renderSvg, type PlotSpec } from './plot.js';
import { sharpnessKey } from './results.js';

const sig = (v: number) => (!Number.isFinite(v) ? String(v) : v === 0 ? '0' : Math.abs(v) >= 100 ? v.toFixed(1) : Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toExponential(2));
const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined ? undefined : b > 0 ? a / b : undefined);
const cell = (v: number | undefined) => (v === undefined ? '—' : sig(v));
const times = (v: number | undefined) => (v === undefined ? '—' : `${v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toPrecision(2)}×`);

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const CHOICE_TITLE: Record<PhiChoice, string> = {
  baseline: 'Baseline (lbgap\'s reproduce defaults)',
  columns: 'A\'s columns: distribution and scaling (random-subspace φ)',
  bn: 'Batch norm in the loss: batch statistics per chunk vs running statistics',
  sample: 'The sample f averages over',
  iterations: 'L-BFGS-B iterations',
  start: 'Start of the maximization',
  coordinates: 'Scale-invariant view: filter-normalized coordinates',
};

/** A measurement of one record, by name: `full@0.001`, `random@0.0005`, `top`, `trace`. */
function value(rec: PhiRecord | undefined, key: string): number | undefined {
  if (!rec) return undefined;
  if (key === 'top') return rec.hessian?.top;
  if (key === 'trace') return rec.hessian?.trace;
  return rec.sharpness.find((e) => sharpnessKey(e.space, e.eps) === key)?.phi;
}

function measureName(key: string, s: PhiSettings): string {
  const filter = s.coordinates === 'filter';
  if (key === 'top') return `top Hessian eigenvalue${filter ? ' (filter-normalized)' : ''}`;
  if (key === 'trace') return `Hessian trace${filter ? ' (filter-normalized)' : ''}`;
  const [space, eps] = key.split('@');
  return `φ ${space === 'full' ? (filter ? 'full space, filter-normalized box' : 'full space') : `p=${s.subspace}`}, ε=${eps}`;
}

/** The keys a grid point measured (from its settings and measures). */
function keysOf(spec: PhiStudySpec, point: number): string[] {
  const v = spec.variations[point];
  const s = pointSettings(spec, v);
  const m = pointMeasures(v);
  const keys: string[] = [];
  for (const space of ['full', 'random'] as const) if (m.includes(space)) for (const e of s.eps) keys.push(sharpnessKey(space, e));
  if (m.includes('hessian')) keys.push('top', 'trace');
  return keys;
}

/** The paper's F1 pair for a key, when the grid point measures what the paper's table does. */
function paperPair(key: string, s: PhiSettings): PaperPair | undefined {
  if (key === 'top' || key === 'trace' || s.coordinates === 'filter') return undefined;
  if (key.startsWith('random@') && s.subspace !== PAPER_SUBSPACE) return undefined;
  return PAPER_NUMBERS.F1.sharpness[key];
}

interface Row { point: number; label: string; key: string; sb?: number; lb?: number; paper?: PaperPair; s: PhiSettings }

function rows(res: PhiStudyResults, sb: string, lb: string): Row[] {
  const out: Row[] = [];
  res.spec.variations.forEach((v, point) => {
    const s = pointSettings(res.spec, v);
    const a = res.records.find((r) => r.point === point && r.checkpoint === sb);
    const b = res.records.find((r) => r.point === point && r.checkpoint === lb);
    for (const key of keysOf(res.spec, point)) out.push({ point, label: v.label, key, sb: value(a, key), lb: value(b, key), paper: paperPair(key, s), s });
  });
  return out;
}

function choiceTables(res: PhiStudyResults, sb: string, lb: string): string[] {
  const all = rows(res, sb, lb);
  const out: string[] = [];
  const baselinePoint = res.spec.variations.findIndex((v) => v.choice === 'baseline');
  for (const choice of PHI_CHOICES) {
    const points = res.spec.variations.map((v, i) => ({ v, i })).filter(({ v }) => v.choice === choice);
    if (points.length === 0) continue;
    const mine = new Set(points.map((p) => p.i));
    const keys = new Set(all.filter((r) => mine.has(r.point)).map((r) => r.key));
    const pending = points.filter(({ i }) => !res.records.some((r) => r.point === i)).map(({ v }) => v.label);
    // The baseline's rows of the same measures come first, for comparison.
    // Points not measured yet (a partial study) are named below the table, not shown as empty rows.
    const shown = all.filter((r) => (r.sb !== undefined || r.lb !== undefined) && (mine.has(r.point) || (choice !== 'baseline' && r.point === baselinePoint && keys.has(r.key))));
    shown.sort((x, y) => (x.key === y.key ? (x.point === baselinePoint ? -1 : y.point === baselinePoint ? 1 : x.point - y.point) : [...keys].indexOf(x.key) - [...keys].indexOf(y.key)));
    const body = shown.map((r) => [
      r.point === baselinePoint && choice !== 'baseline' && r.label !== 'baseline' ? `${r.label} (baseline)` : r.label, measureName(r.key, r.s),
      cell(r.sb), cell(r.lb), times(ratio(r.lb, r.sb)),
      r.paper ? `${r.paper.sb.mean.toFixed(2)} ± ${r.paper.sb.std.toFixed(2)}` : '—',
      r.paper ? `${r.paper.lb.mean.toFixed(2)} ± ${r.paper.lb.std.toFixed(2)}` : '—',
      r.paper ? times(r.paper.lb.mean / r.paper.sb.mean) : '—',
    ]);
    out.push(`## ${CHOICE_TITLE[choice]}`, '', table(['grid point', 'measure', sb, lb, `${lb}/${sb}`, 'paper SB', 'paper LB', 'paper LB/SB'], body), '');
    if (pending.length) out.push(`Not measured yet: ${pending.join('; ')}.`, '');
  }
  return out;
}

function convergenceTable(res: PhiStudyResults): string[] {
  const body: string[][] = [];
  for (const rec of res.records) {
    for (const e of rec.sharpness) {
      body.push([rec.label, rec.checkpoint, `${e.space === 'full' ? 'full' : `p=${e.dim}`}, ε=${e.eps}`, String(e.iterations), String(e.evaluations), e.reason, sig(e.f0), sig(e.fFinal), e.projGradNorm.toExponential(2), sig(e.phi)]);
    }
  }
  return ['## L-BFGS-B: is the maximization converged?', '',
    'Per maximization: iterations and evaluations spent, why it stopped (maxIter: the budget ran out; lineSearchFailed: no ascent found along the model direction), f(x), f at the final iterate, and the projected gradient ‖P(y − ∇h) − y‖∞ of h = −f(x + A·y) there (0 at a box-constrained maximum; the box half-widths are ~ε, so compare it to ε).', '',
    table(['grid point', 'net', 'space', 'iterations', 'evaluations', 'stop', 'f(x)', 'f final', '‖pg‖∞', 'φ'], body), ''];
}

/** log-distance of (sb, lb) from the paper's means: |log(sb/p_sb)| + |log(lb/p_lb)|. */
function paperDistance(r: Row): number | undefined {
  if (!r.paper || r.sb === undefined || r.lb === undefined || !(r.sb > 0) || !(r.lb > 0)) return undefined;
  return Math.abs(Math.log(r.sb / r.paper.sb.mean)) + Math.abs(Math.log(r.lb / r.paper.lb.mean));
}

function verdict(res: PhiStudyResults, sb: string, lb: string): string[] {
  const all = rows(res, sb, lb);
  const spec = res.spec;
  const base = spec.variations.findIndex((v) => v.choice === 'baseline');
  const lines: string[] = [];
  const f = (r: Row) => `${r.label} (${sb} ${cell(r.sb)}, ${lb} ${cell(r.lb)}, ${lb}/${sb} ${times(ratio(r.lb, r.sb))})`;
  for (const key of ['full@0.001', 'full@0.0005', 'random@0.001', 'random@0.0005']) {
    const cands = all.filter((r) => r.key === key && paperDistance(r) !== undefined);
    if (cands.length === 0) continue;
    const b = cands.find((r) => r.point === base);
    const best = cands.reduce((x, y) => (paperDistance(y)! < paperDistance(x)! ? y : x));
    const p = best.paper!;
    // The LB/SB ratio nearest the paper's, on a log scale.
    const paperRatio = p.lb.mean / p.sb.mean;
    const byRatio = cands.reduce((x, y) => (Math.abs(Math.log(ratio(y.lb, y.sb)! / paperRatio)) < Math.abs(Math.log(ratio(x.lb, x.sb)! / paperRatio)) ? y : x));
    lines.push(`${measureName(key, best.s)} (paper ${sig(p.sb.mean)} vs ${sig(p.lb.mean)}, ${times(paperRatio)}): ` +
      (b ? `baseline ${cell(b.sb)} vs ${cell(b.lb)} (${times(ratio(b.lb, b.sb))}); ` : '') +
      (best.point === (b?.point ?? -1) ? 'no grid point comes closer to the paper\'s two values than the baseline' : `closest to the paper's two values: ${f(best)}`) +
      (byRatio.point === best.point ? '.' : `; closest LB/SB ratio: ${f(byRatio)}.`));
  }
  // Choices that do not matter: every measure within 25% of the baseline on both networks.
  const quiet: string[] = [], loud: string[] = [];
  spec.variations.forEach((v, point) => {
    if (point === base) return;
    const mine = all.filter((r) => r.point === point && r.s.coordinates === 'paper');
    const changes = mine.flatMap((r) => {
      const b = all.find((x) => x.point === base && x.key === r.key);
      return [ratio(r.sb, b?.sb), ratio(r.lb, b?.lb)].filter((x): x is number => x !== undefined);
    });
    if (changes.length === 0) return;
    const worst = changes.reduce((m, c) => Math.max(m, Math.abs(Math.log(c))), 0);
    (worst <= Math.log(1.25) ? quiet : loud).push(`${v.label} (largest change ${times(Math.exp(worst))})`);
  });
  if (quiet.length) lines.push(`Within 25% of the baseline on every measure for both networks (these choices do not matter here): ${quiet.join('; ')}.`);
  if (loud.length) lines.push(`Changed a measure by more than 25% against the baseline: ${loud.join('; ')}.`);
  const fn = all.filter((r) => r.s.coordinates === 'filter' && ratio(r.lb, r.sb) !== undefined);
  if (fn.length) {
    const parts = fn.map((r) => `${measureName(r.key, r.s)} ${times(ratio(r.lb, r.sb))}`);
    const sharper = fn.filter((r) => (ratio(r.lb, r.sb) ?? 0) > 1).length;
    lines.push(`Scale-invariant view (filter-normalized coordinates), ${lb}/${sb}: ${parts.join(', ')} — "${lb} is sharper" ${sharper === fn.length ? 'survives on every one of these measures' : sharper === 0 ? 'does NOT survive on any of them' : `survives on ${sharper} of ${fn.length}`}.`);
  }
  const hb = all.filter((r) => r.point === base && (r.key === 'top' || r.key === 'trace') && ratio(r.lb, r.sb) !== undefined);
  if (hb.length) lines.push(`Hessian in the paper's coordinates at the baseline, ${lb}/${sb}: ${hb.map((r) => `${measureName(r.key, r.s)} ${times(ratio(r.lb, r.sb))}`).join(', ')}.`);
  return ['## Verdict (computed from the tables above)', '', ...lines.map((l) => `- ${l}`), ''];
}

/** LB/SB ratio of every measure at every grid point, on a log axis. */
export function ratioFigure(res: PhiStudyResults, sb: string, lb: string): PlotSpec {
  const data = rows(res, sb, lb).flatMap((r) => {
    const q = ratio(r.lb, r.sb);
    return q === undefined || !(q > 0) ? [] : [{ point: r.label, measure: measureName(r.key, r.s).replace(' (filter-normalized)', '').replace(', filter-normalized box', ''), ratio: q }];
  });
  const paper = ['full@0.001', 'full@0.0005', 'random@0.001', 'random@0.0005'].map((k) => ({ measure: measureName(k, res.spec.baseline), ratio: PAPER_NUMBERS.F1.sharpness[k].lb.mean / PAPER_NUMBERS.F1.sharpness[k].sb.mean }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: `${lb}/${sb} ratio per grid point (ticks: the paper's F1 ratios)`,
    width: 420, height: { step: 14 },
    layer: [
      { data: { values: data }, mark: { type: 'point', filled: true }, encoding: {
        y: { field: 'point', type: 'nominal', sort: null, title: 'grid point' },
        x: { field: 'ratio', type: 'quantitative', scale: { type: 'log' }, title: `${lb}/${sb} (log)` },
        color: { field: 'measure', type: 'nominal', title: 'measure' },
      } },
      { data: { values: paper }, mark: { type: 'rule', strokeDash: [4, 3] }, encoding: {
        x: { field: 'ratio', type: 'quantitative' }, color: { field: 'measure', type: 'nominal' },
      } },
    ],
  } as PlotSpec;
}

export const PHI_FIGURE = 'phi-ratios.svg';

export function renderPhiReport(res: PhiStudyResults): string {
  const spec = res.spec;
  const [sb, lb] = [spec.checkpoints[0].label, spec.checkpoints[spec.checkpoints.length - 1].label];
  const b = spec.baseline;
  const epochs = spec.checkpoints.map((c) => `${c.label} ${res.records.find((r) => r.checkpoint === c.label)?.epoch ?? '?'} epochs`).join(', ');
  const out: string[] = [
    '# lbgap — φ sensitivity study: which unstated choices drive the sharpness numbers', '',
    `Checkpoints: ${spec.checkpoints.map((c) => `${c.label} \`${c.path}\``).join(', ')} (trained ${epochs}); loss on ${res.data.train} (${res.data.trainSamples}).`,
    'Every grid point changes ONE setting of the baseline below; values are single measurements (one checkpoint per side, deterministic), the paper\'s are mean ± std over 5 trials (Tables 3–4, F1).', '',
  ];
  if (res.status !== 'complete') {
    const missing = res.jobs.filter((j) => !res.done.includes(j));
    out.push(`> **Partial results** (status: ${res.status}; ${res.done.length} of ${res.jobs.length} jobs done; missing: ${missing.map((j) => `job ${j}`).join(', ') || 'none'}). Finish with \`lbgap phi-study --spec … --out … --resume\`, then \`lbgap report\`.`, '');
  }
  if (res.failures?.length) out.push(`> Failed jobs: ${res.failures.map((x) => `job ${x.job} (${x.label}): ${x.error}`).join('; ')}`, '');
  out.push('Baseline (lbgap\'s `reproduce` defaults): ' +
    `ε ∈ {${b.eps.join(', ')}}; full space and a random subspace of p = ${b.subspace} (A's entries ${b.columns}, scaling ${b.scaling}, seed ${b.subspaceSeed}); ` +
    `${b.maxIter} L-BFGS-B iterations from y = ${b.start === 'zero' ? '0' : 'a random corner'}; f = mean cross-entropy over ${b.sample === null ? 'all' : `a seeded ${b.sample}-sample subset of the`} training samples, ` +
    `BN ${b.bn === 'batch' ? `with the batch statistics of ${b.chunk}-sample chunks` : 'with the running statistics'}, dropout off; ` +
    `Hessian: top eigenvalue by Lanczos (≤ ${spec.hessian.maxIter} steps) and trace by Hutchinson (≤ ${spec.hessian.traceSamples} Rademacher samples, stop at relative standard error ${spec.hessian.traceRtol}), exact Hessian-vector products (R-operator), on the same f.`, '');
  out.push(...choiceTables(res, sb, lb));
  out.push(...verdict(res, sb, lb));
  out.push(...convergenceTable(res));
  const hs = res.records.filter((r) => r.hessian);
  if (hs.length) {
    out.push('## Hessian estimates', '', table(['grid point', 'net', 'coordinates', 'top λ', 'Ritz residual', 'Lanczos steps', 'trace', '± std. error', 'samples'],
      hs.map((r) => [r.label, r.checkpoint, r.hessian!.coordinates, sig(r.hessian!.top), r.hessian!.topResidual.toExponential(2), String(r.hessian!.lanczosSteps), sig(r.hessian!.trace), sig(r.hessian!.traceStdError), String(r.hessian!.traceSamples)])), '');
  }
  out.push('## Figure', '', `- [${lb}/${sb} ratio of every measure per grid point](${PHI_FIGURE})`, '');
  out.push('## Definitions', '',
    '- φ(ε, A) = (max_{y ∈ C_ε} f(x + A·y) − f(x)) / (1 + f(x)) × 100 with C_ε = {|y_i| ≤ ε(|(A⁺x)_i| + 1)} (the paper, §2.2).',
    '- Column scalings: "unit columns" divides every column of A by its norm; "orthonormal" is A·L⁻ᵀ with AᵀA = LLᵀ (same span, AᵀA = I). As drawn, every entry has variance 1 (‖a_j‖ ≈ √n).',
    '- Filter-normalized coordinates (Li et al. 2018): x = x₀ + D·u, D = diag(‖x_f‖/√m_f) per filter/neuron f of m_f weights, 0 on biases and BN γ/β; φ uses the box |u_i| ≤ ε (a corner moves every filter by ε of its norm), the Hessian is D·∇²f·D. Both are unchanged when BN-normalized units are rescaled (Dinh et al. 2017).',
    '- Random corner: every y_i = ±(half-width), signs drawn from the subspace seed; φ is max(f at the final iterate, f(x)).', '');
  const perJob = res.timings.jobs.map((j) => `${j.job}: ${j.seconds.toFixed(0)} s`).join(', ');
  out.push('## Environment and timing', '',
    `- ${res.environment.cpuModel} × ${res.environment.cpus}, ${res.environment.platform}, Node ${res.environment.node}, kernels ${res.environment.kernels}` +
    (res.environment.loadAverage ? `; load average ${res.environment.loadAverage.join(' / ')} (1/5/15 min) at the start` : '') + '.',
    `- Wall time ${(res.timings.wallSeconds / 60).toFixed(1)} min; job time ${(res.timings.seconds / 60).toFixed(1)} min in total (per job: ${perJob || '—'}).`, '');
  return out.join('\n');
}

/** Writes REPORT.md and the figure into `dir`; returns the files written. */
export async function writePhiReport(res: PhiStudyResults, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const md = join(dir, 'REPORT.md');
  await writeFile(md, renderPhiReport(res));
  const [sb, lb] = [res.spec.checkpoints[0].label, res.spec.checkpoints[res.spec.checkpoints.length - 1].label];
  const svg = join(dir, PHI_FIGURE);
  await writeFile(svg, await renderSvg(ratioFigure(res, sb, lb)));
  return [md, svg];
}

/** The files writePhiReport writes. */
export function phiReportFiles(): string[] {
  return ['REPORT.md', PHI_FIGURE];
}
