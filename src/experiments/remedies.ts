// The 'remedies' experiment outside the runner: its presets, and its report sections — a
// table of every remedy against plain SB and plain LB, and (for every kind) the runs that
// diverged, did not improve, or failed.
import type { ResultsFile, RunRecord, Stat } from './results.js';
import { sharpnessKey } from './results.js';
import { defaultSpec, type ExperimentSpec, type PresetName } from './spec.js';
import type { OptimizerSpec, RemedyRunSpec } from './spec_training.js';

/**
 * 'paper': the paper-scale protocol (all of MNIST, 5 seeds, 20 epochs per run, φ(1e-3) on
 * 6000 samples; hours). 'quick' (~10 min on 2 cores): the first 6000 training / 2000 test
 * images, one seed, 3 epochs, φ on 500 samples — LB is then 600 (10 % of the subset).
 */
export function remediesPreset(preset: PresetName): ExperimentSpec {
  const s = defaultSpec('remedies');
  if (preset === 'paper') return s;
  s.data = { ...s.data, trainLimit: 6000, testLimit: 2000 };
  s.seeds = [0];
  s.epochs = 3;
  s.trainEvalSamples = 2000;
  s.sharpness = { ...s.sharpness, sample: 500, chunk: 500 };
  return s;
}

const pct = (s: Stat | null | undefined) => (s ? (s.n > 1 ? `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}` : (100 * s.mean).toFixed(2)) : '—');
const num = (s: Stat | null | undefined) => (s ? (s.n > 1 ? `${s.mean.toPrecision(4)} ± ${s.std.toPrecision(2)}` : s.mean.toPrecision(4)) : '—');

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The optimizer in words: "ADAM, lr 0.001", "LARS, lr 1, trust 0.001". */
export function optimizerText(o: OptimizerSpec, specLr: number): string {
  const parts = [`${o.name.toUpperCase()}, lr ${o.lr ?? specLr}`];
  if (o.trust !== null) parts.push(`trust ${o.trust}`);
  if (o.weightDecay !== null) parts.push(`weight decay ${o.weightDecay}`);
  if (o.granularity !== null) parts.push(`per ${o.granularity}`);
  return parts.join(', ');
}

function armText(spec: ExperimentSpec, arm: RemedyRunSpec | null): string {
  const remedies = arm ? arm.remedies : spec.remedies;
  const opts = Object.entries(remedies).map(([k, v]) => `${k} ${JSON.stringify(v)}`);
  const o = arm?.optimizer ?? spec.optimizer;
  return [optimizerText(o, spec.lr), ...opts].join('; ').replace(/\|/g, '\\|');
}

/** Where each remedy comes from (the paper tests three, proposes dynamic sampling, and the rest is later work). */
const ORIGIN: Record<string, string> = {
  augment: 'paper (tested)', conservative: 'paper (tested)', adversarial: 'paper (tested)',
  dynamicBatch: 'paper (proposed only)', sam: 'later work', ghostBatch: 'later work', lrScaling: 'later work',
};

function origin(spec: ExperimentSpec, arm: RemedyRunSpec): string {
  const keys = Object.keys(arm.remedies);
  if (keys.length === 0) return (arm.optimizer?.name ?? spec.optimizer.name) === 'adam' ? '—' : 'later work (optimizer)';
  return [...new Set(keys.map((k) => ORIGIN[k] ?? 'later work'))].join(', ');
}

/** The remedies table: every arm beside plain SB and plain LB (mean ± std over seeds). */
export function remediesTables(res: ResultsFile): string[] {
  const spec = res.spec;
  const key = spec.sharpness.fullSpace && spec.sharpness.eps.length ? sharpnessKey('full', spec.sharpness.eps[0]) : null;
  const lb = res.final.find((r) => r.setting === 'LB');
  const header = ['run', 'origin', 'batch', 'optimizer; remedies', 'seeds', 'train acc (%)', 'test acc (%)', 'test − LB (points)'];
  if (key) header.push(`φ ε=${spec.sharpness.eps[0]} (full)`);
  header.push('status');
  const rows = res.final.map((r) => {
    const armIndex = spec.remedyRuns.findIndex((a) => a.name === r.setting);
    const arm = armIndex >= 0 ? spec.remedyRuns[armIndex] : null;
    const delta = r.testAcc && lb?.testAcc && r.setting !== 'LB' ? (100 * (r.testAcc.mean - lb.testAcc.mean)).toFixed(2) : '—';
    const status = [r.diverged ? `${r.diverged} diverged` : '', r.notImproved ? `${r.notImproved} did not improve` : ''].filter(Boolean).join(', ') || 'ok';
    const cells = [r.setting, arm ? origin(spec, arm) : 'plain', String(r.batch), armText(spec, arm), String(r.seeds), pct(r.trainAcc), pct(r.testAcc), delta];
    if (key) cells.push(num(r.sharpness[key]));
    cells.push(status);
    return cells;
  });
  return [
    `## Remedies for large-batch training: each at LB (${lb?.batch ?? spec.lb ?? '10 %'}) beside plain SB and plain LB`, '',
    `${spec.epochs} epoch${spec.epochs === 1 ? '' : 's'} per run${spec.stopping.rule === 'plateau' ? ' at most (plateau rule)' : ''}; every run of a seed starts from the same initial weights. ` +
    'Values are mean ± sample std over the seeds that did not diverge; "test − LB" is the remedy\'s test accuracy minus plain LB\'s.', '',
    table(header, rows), '',
    'The paper (Keskar et al. 2017) tested data augmentation, conservative training and adversarial training and found that none fully closes the gap; ' +
    'it only PROPOSED dynamic sampling (a growing batch) as a prospective remedy, without results. SAM, ghost batch norm, LR warmup and LARS/LAMB come from later work.', '',
  ];
}

function runHealthLine(r: RunRecord): string {
  const where = r.status === 'diverged' ? 'diverged' : 'did not improve';
  return `- ${r.setting}, seed ${r.seed} (job ${r.job}): ${where} — ${r.note ?? ''}`.trimEnd();
}

/**
 * The section on runs that did not end well: diverged (left out of the statistics), did not
 * improve (kept, flagged), and jobs that failed. Empty when every run is healthy.
 */
export function healthSection(res: ResultsFile): string[] {
  const bad = res.runs.filter((r) => r.status === 'diverged' || r.status === 'not-improved');
  const failures = res.failures ?? [];
  if (bad.length === 0 && failures.length === 0) return [];
  const out = ['## Runs that did not train normally', ''];
  out.push(...bad.map(runHealthLine));
  out.push(...failures.map((f) => `- job ${f.job} (${f.label}) FAILED: ${f.error.replace(/\n/g, ' ')} — run again with \`--resume\``));
  if (bad.some((r) => r.status === 'diverged')) out.push('', 'Diverged runs (the loss became NaN or infinite) are not measured and are left out of every mean above.');
  out.push('');
  return out;
}
