// REPORT.md of a frontier experiment from its results file alone: a verdict with the numbers,
// the per-batch table (step cost, steps/samples/time to the target measured and predicted, the
// model's error per batch, accuracy, φ and λ_max at the target), the steps timed alone
// in-thread and over the workers (when results.json has them), the fit, B_simple during
// training, and the protocol. Deterministic: the same results.json renders the same bytes.
import { frontierFigures, targetText } from './frontier_charts.js';
import { summarizeFrontier, type FrontierRow, type FrontierSummary } from './frontier_results.js';
import { healthSection } from './remedies.js';
import type { ResultsFile, Stat } from './results.js';

/** The model's target: predicted steps within 25 % of the measured ones at every batch (issue 15). */
export const FIT_TOLERANCE = 0.25;

const g3 = (v: number) => (Number.isFinite(v) ? (Math.abs(v) >= 1000 ? Math.round(v).toString() : v.toPrecision(3)) : '∞');
const st = (s: Stat | null, f: (v: number) => string = g3) => (s ? (s.n > 1 ? `${f(s.mean)} ± ${f(s.std)}` : f(s.mean)) : '—');
const pct = (v: number) => `${(100 * v).toFixed(2)}`;
const secs = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2));
const signed = (v: number) => `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)} %`;

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function verdict(res: ResultsFile, s: FrontierSummary): string {
  const rows = s.rows, reached = rows.filter((r) => r.seconds);
  const target = targetText(res);
  if (reached.length === 0) return `No batch size reached ${target} within ${res.spec.epochs} epochs: no time to target, no fit.`;
  const fast = s.fastestMeasured!, small = reached[0], large = reached[reached.length - 1];
  const parts: string[] = [];
  parts.push(`On this machine (${res.environment.cpuModel} × ${res.environment.cpus}, ${res.spec.net} on ${res.data.train}), B = ${fast.batch} reaches ${target} fastest: ${secs(fast.seconds!.mean)} s of training steps` +
    `${fast.seconds!.n > 1 ? ` (mean of ${fast.seconds!.n} seeds)` : ''}, against ${secs(small.seconds!.mean)} s at B = ${small.batch} and ${secs(large.seconds!.mean)} s at B = ${large.batch}.`);
  if (s.fit) {
    const within = s.fit.points.filter((p) => Math.abs(p.error) <= FIT_TOLERANCE).length;
    parts.push(`The McCandlish et al. model (minimax fit) fits the steps to the target with S_min = ${g3(s.fit.sMin)} steps, E_min = ${g3(s.fit.eMin)} samples, B_noise = E_min/S_min = ${g3(s.fit.bNoise)}; ` +
      `its largest error is ${(100 * s.fit.maxAbsError).toFixed(1)} % (within ${100 * FIT_TOLERANCE} % at ${within} of ${s.fit.points.length} batch sizes)` +
      (s.fastestPredicted ? `, and with the measured step times it predicts B = ${s.fastestPredicted.batch} fastest (${secs(s.fastestPredicted.predictedSeconds!)} s).` : '.'));
  } else if (s.noFit) parts.push(`No model fit: ${s.noFit}.`);
  const a = small.testAcc, b = large.testAcc, pa = small.phi, pb = large.phi, ha = small.hessianTop, hb = large.hessianTop;
  const price: string[] = [];
  if (a && b) price.push(`test accuracy at the target goes from ${pct(a.mean)} % (B = ${small.batch}) to ${pct(b.mean)} % (B = ${large.batch})`);
  if (pa && pb) price.push(`φ(${s.eps}) from ${g3(pa.mean)} to ${g3(pb.mean)} (× ${g3(pb.mean / pa.mean)})`);
  if (ha && hb) price.push(`the top Hessian eigenvalue from ${g3(ha.mean)} to ${g3(hb.mean)}`);
  if (fast.testAcc && fast.phi) price.push(`at the fastest batch they are ${pct(fast.testAcc.mean)} % and φ = ${g3(fast.phi.mean)}`);
  if (price.length) parts.push(`The generalization price: ${price.join('; ')}.`);
  const alone = aloneVerdict(s);
  if (alone) parts.push(alone);
  const bs = reached.filter((r) => r.bSimple).map((r) => r.bSimple!.mean);
  if (bs.length) parts.push(`The gradient noise scale B_simple at the target ranges from ${g3(Math.min(...bs))} to ${g3(Math.max(...bs))}${s.fit ? ` (B_noise of the fit: ${g3(s.fit.bNoise)})` : ''}.`);
  return parts.join(' ');
}

const sps = (v: number) => Math.round(v).toString();
const times = (v: number) => `× ${v.toFixed(2)}`;

/** The verdict's sentence on the steps timed alone: which batch is fastest when each step takes the faster of in-thread and the pool. */
function aloneVerdict(s: FrontierSummary): string | null {
  const a = s.alone;
  if (!a || a.rows.length === 0) return null;
  const W = a.rows[0].workers;
  const pooled = a.rows.filter((r) => r.pool);
  const fast = a.fastest;
  const model = a.fastestPredicted ? `; the model's steps pick B = ${a.fastestPredicted.batch} (${secs(a.fastestPredicted.predictedSeconds!)} s)` : '';
  if (pooled.length === 0) {
    const head = `Timed alone, a step was timed in one thread only (no pool: ${a.rows[0].poolSkipped})`;
    return fast ? `${head}; at those step times B = ${fast.batch} reaches the target fastest: ${secs(fast.seconds!)} s (its measured steps × ${(1000 * fast.stepSeconds).toFixed(1)} ms per step)${model}.` : `${head}.`;
  }
  const head = `Timed alone, a step over ${W} workers gives the samples/s of one thread ${pooled.map((r) => `${times(r.ratio!)} at B = ${r.batch}`).join(', ')}`;
  if (!fast) return `${head}.`;
  if (!a.rows.some((r) => r.faster === 'pool')) {
    return `${head}: the pool is faster at no batch size here, so the steps stay in one thread, where B = ${fast.batch} reaches the target fastest: ${secs(fast.seconds!)} s ` +
      `(its measured steps × ${(1000 * fast.stepSeconds).toFixed(1)} ms per step)${model}.`;
  }
  return `${head}; with the pool used for the steps wherever it is faster, B = ${fast.batch} reaches the target fastest: ${secs(fast.seconds!)} s ` +
    `(its measured steps × ${(1000 * fast.stepSeconds).toFixed(1)} ms per step ${fast.faster === 'pool' ? `over ${W} workers` : 'in one thread'})${model}.`;
}

/** The section on the steps timed alone (absent for results written before the 'step costs' job). */
function aloneSection(s: FrontierSummary): string[] {
  const a = s.alone;
  if (!a || a.rows.length === 0) return [];
  const W = a.rows[0].workers;
  const pool = `${W} worker${W === 1 ? '' : 's'}`;
  const header = ['B', 'samples/s in-thread', `samples/s over ${pool}`, `${pool} / in-thread`, 'faster', 'ms/step (faster)', 'time to target with the faster step (s)', 'model time with the faster step (s)'];
  const mark = (r: typeof a.rows[number], text: string) => (r === a.fastest ? `**${text}**` : text);
  const rows = a.rows.map((r) => [
    mark(r, String(r.batch)), sps(r.inThread.samplesPerSecond), r.pool ? sps(r.pool.samplesPerSecond) : '—', r.ratio === null ? '—' : times(r.ratio),
    r.faster === 'pool' ? pool : 'in-thread', (1000 * r.stepSeconds).toFixed(1),
    r.seconds === null ? '—' : mark(r, secs(r.seconds)), r.predictedSeconds === null ? '—' : secs(r.predictedSeconds),
  ]);
  const skipped = [...new Set(a.rows.filter((r) => !r.pool && r.poolSkipped).map((r) => r.poolSkipped!))];
  const transports = [...new Set(a.rows.flatMap((r) => (r.pool ? [r.pool.transport] : [])))];
  return [`## A step timed alone: in-thread${W > 1 ? ` and over ${pool}` : ''}`, '',
    `Before the runs, one job timed a training step at every batch size with the runner's --jobs budget of ${W} core${W === 1 ? '' : 's'} to itself (no other job ran meanwhile): in its thread${W > 1 ? `, and over a pool of ${W} data-parallel workers` : ''}` +
    `${transports.length ? ` (${transports.map((t) => (t === 'shared' ? 'shared memory' : 'transfer fallback')).join(', ')})` : ''}. ` +
    "Time to target with the faster step: the measured steps to the target (mean over the seeds that reached it) × the faster step time; model time: the fit's S(B) × the same. " +
    "The table above timed each step in its job's thread while other jobs ran beside it; its time to target is the real runs'." +
    (skipped.length ? ` No pool: ${skipped.join('; ')}.` : ''), '',
    table(header, rows), ''];
}

/** The protocol line of the steps timed alone. */
function stepCostsProtocol(costs: NonNullable<ResultsFile['frontierStepCosts']>, seconds: number): string {
  const W = costs[0]?.workers ?? 1;
  const pooled = costs.some((c) => c.pool);
  return `- Steps timed alone (job 0, run with no other job beside it): at every batch size, in the job's thread as above` +
    (pooled ? `, then over a pool of ${W} workers (the --jobs budget; ParallelTrainer, the same optimizer, full batches, in epochs of as many steps as the time left needs; the pool's start-up not timed)` : ` (no pool: ${costs[0]?.poolSkipped ?? '—'})`) +
    `; each: one warm-up step, then steps for ≥ ${seconds} s and ≥ 3 steps (at most 1000).`;
}

function mainTable(s: FrontierSummary): string {
  const header = ['B', 'reached', 'samples/s (step)', 'ms/step', 'steps to target', 'model steps', 'model error', 'samples to target', 'time to target (s)', 'model time (s)', 'test acc (%)', `φ(${s.eps})`, 'λ_max', 'B_simple at target'];
  const rows = s.rows.map((r: FrontierRow) => [
    String(r.batch), `${r.reached}/${r.runs}`, st(r.samplesPerSecond, (v) => Math.round(v).toString()), st(r.stepSeconds, (v) => (1000 * v).toFixed(1)),
    st(r.steps), r.predictedSteps === null ? '—' : g3(r.predictedSteps), r.error === null ? '—' : `${signed(r.error)}${Math.abs(r.error) > FIT_TOLERANCE ? ' ✗' : ''}`,
    st(r.examples), st(r.seconds, secs), r.predictedSeconds === null ? '—' : secs(r.predictedSeconds),
    st(r.testAcc, pct), st(r.phi), st(r.hessianTop), st(r.bSimple),
  ]);
  return table(header, rows);
}

function noiseTable(res: ResultsFile): string[] {
  const runs = res.runs.filter((r) => r.frontier).sort((a, b) => a.batch - b.batch || a.seed - b.seed);
  if (runs.length === 0) return [];
  const epochs = [...new Set(runs.flatMap((r) => r.frontier!.noise.filter((p) => !p.atTarget).map((p) => p.epoch)))].sort((a, b) => a - b);
  const header = ['run', ...epochs.map((e) => (e === 0 ? 'initial weights' : `after epoch ${e}`)), 'at the target'];
  const cell = (p: { bSimple: number; bSimpleStdErr: number } | undefined) => (p ? `${g3(p.bSimple)} ± ${g3(p.bSimpleStdErr)}` : '—');
  const rows = runs.map((r) => [`B=${r.batch} seed ${r.seed}`, ...epochs.map((e) => cell(r.frontier!.noise.find((p) => !p.atTarget && p.epoch === e))), cell(r.frontier!.noise.find((p) => p.atTarget))]);
  return ['## Gradient noise scale B_simple during training', '',
    'B_simple = tr Σ / |G|² (McCandlish et al. 2018, appendix A.1) from pairs of squared gradient norms at two batch sizes, ± its standard error; "—": not measured (the run stopped before that epoch, or the target fell in it).', '',
    table(header, rows), ''];
}

export function renderFrontierReport(res: ResultsFile): string {
  const s = summarizeFrontier(res);
  const spec = res.spec, f = spec.frontier!;
  const out: string[] = [`# lbgap — Batch-size frontier: ${spec.net} on ${res.data.train}`, '',
    `Which batch size reaches ${targetText(res)} fastest on this machine, and what it costs in generalization. ` +
    'Steps to the target are modelled as in McCandlish et al. 2018, "An Empirical Model of Large-Batch Training": S(B) = S_min (1 + B_noise/B), E(B) = E_min (1 + B/B_noise), i.e. (S/S_min − 1)(E/E_min − 1) = 1; sharpness φ as in Keskar et al. 2017.', ''];
  if (res.status !== 'complete') out.push(`> **Partial results** (status: ${res.status}; ${res.done.length} of ${res.jobs.length} jobs done). Run again with \`--resume\` to finish.`, '');
  if (res.shard) out.push(`> Shard ${res.shard.index}/${res.shard.count} of ${res.totalJobs} jobs; merge the shards with \`lbgap merge\`.`, '');
  out.push('## Verdict', '', verdict(res, s), '');
  out.push('## Per batch size', '', `Mean ± std over the seeds (${spec.seeds.join(', ')}); steps, samples and time over the runs that reached the target. "model": the fit below; error = (model − measured) / measured steps, ✗ beyond ${100 * FIT_TOLERANCE} %.`, '', mainTable(s), '');
  out.push(...aloneSection(s));
  if (s.fit) {
    out.push('## The model', '',
      `- S_min = ${g3(s.fit.sMin)} steps, E_min = ${g3(s.fit.eMin)} samples, B_noise = E_min / S_min = ${g3(s.fit.bNoise)}.`,
      `- Fitted by minimax (Chebyshev: the least largest relative error of the steps) at ${s.fit.points.length} batch sizes; error per batch: ${s.fit.points.map((p) => `B=${p.batch} ${signed(p.error)}`).join(', ')}.`,
      ...(s.leastSquares ? [`- For comparison, least squares on the same relative errors: S_min = ${g3(s.leastSquares.sMin)}, E_min = ${g3(s.leastSquares.eMin)}, B_noise = ${g3(s.leastSquares.bNoise)}; ` +
        `largest error ${(100 * s.leastSquares.maxAbsError).toFixed(1)} %; per batch: ${s.leastSquares.points.map((p) => `B=${p.batch} ${signed(p.error)}`).join(', ')}.`] : []),
      `- ${s.fit.points.every((p) => Math.abs(p.error) <= FIT_TOLERANCE) ? `Within ${100 * FIT_TOLERANCE} % at every batch size.` : `Beyond ${100 * FIT_TOLERANCE} % at B = ${s.fit.points.filter((p) => Math.abs(p.error) > FIT_TOLERANCE).map((p) => p.batch).join(', ')}.`}`,
      '- Predicted wall time: the model\'s steps × the step time measured at that batch (between measured batches: interpolated log–log).', '');
  } else if (s.noFit) out.push('## The model', '', `No fit: ${s.noFit}.`, '');
  out.push(...noiseTable(res));
  out.push(...healthSection(res));
  out.push('## Figures', '', ...frontierFigures(res).map((x) => `- [${x.title}](${x.file})`), '');
  const ip = spec.trainEvalSamples === null ? 'all training samples' : `the first ${spec.trainEvalSamples} training samples`;
  out.push('## Protocol', '',
    `- ${spec.optimizer.name.toUpperCase()} at lr ${spec.optimizer.lr ?? spec.lr}, every batch size from the seed's initial weights; trained until ${targetText(res)}${f.target.metric === 'trainLoss' ? ` (evaluation mode, on ${ip})` : ''}, at most ${spec.epochs} epochs.`,
    `- The target is evaluated between steps: first once ${f.checks.from} samples have been seen, then whenever the samples seen have grown by × ${f.checks.growth}, and at every epoch end; steps, samples and time to the target are interpolated between the last miss and the first hit (log loss against log samples), and training stops at the hit.`,
    '- Time to target: wall time of the optimizer steps up to the crossing (evaluations and measurements excluded), in the real runs — which ran as concurrent jobs, so they shared the machine with each other and with whatever else ran.',
    `- Step cost: in the job's thread before training, a fresh copy of the network, one warm-up step, then steps at the job's batch (random training samples, the run's optimizer) for ≥ ${f.stepCost.seconds} s and ≥ 3 steps.`,
    ...(res.frontierStepCosts ? [stepCostsProtocol(res.frontierStepCosts, f.stepCost.seconds)] : []),
    `- B_simple: ${f.noise.draws} draws of ${f.noise.bBig} samples split into small batches of ${f.noise.bSmall} (gradients in training mode without updating BN statistics), at the initial weights, after epoch${f.noise.epochs.length === 1 ? '' : 's'} ${f.noise.epochs.join(', ') || '—'}, and at the target.`,
    `- At the target: test accuracy (evaluation mode), φ (L-BFGS-B, ${spec.sharpness.maxIter} iterations, full space, ε = ${spec.sharpness.eps.join(', ')}) on a seeded ${spec.sharpness.sample}-sample training subset with BN batch statistics of ${spec.sharpness.chunk}-sample chunks` +
    (spec.hessian.top > 0 ? `, top Hessian eigenvalue (Lanczos, ≤ ${spec.hessian.maxIter} steps, ${spec.hessian.sample}-sample subset).` : '.'),
    `- Data: ${res.data.train} (${res.data.trainSamples}) / ${res.data.test} (${res.data.testSamples}).`, '');
  out.push('## Environment and timing', '',
    `- ${res.environment.cpuModel} × ${res.environment.cpus}, ${res.environment.platform}, Node ${res.environment.node}, kernels ${res.environment.kernels}` +
    (res.environment.loadAverage ? `; load average ${res.environment.loadAverage.join(' / ')} (1/5/15 min) at the start` : '') + '.',
    `- Job time: ${res.timings.seconds.toFixed(1)} s in all (${res.timings.jobs.map((j) => `job ${j.job}: ${j.seconds.toFixed(1)} s`).join(', ')}).`, '');
  return out.join('\n');
}
