// The page's settings: every form field once (its name, the words of its label, its limits,
// the experiments it belongs to), checked from the raw text of the form as the user types.
// Errors use the label's words ("LB batch must be …") and block Start; warnings (SB ≥ LB, more
// jobs than cores, a long run, one batch size) do not. The same rules check a PageSpec before a
// run (checkSpec), and map settings to and from the page URL (?net=F1&epochs=10&autostart=1)
// and a loaded results file. Two experiments: 'reproduce' (SB vs LB, `lbgap reproduce`) and
// 'frontier' (the batch-size frontier, `lbgap frontier`); each shows and checks its own fields.
import { frontierBatches } from '../src/experiments/frontier_spec.js';
import { largeBatch } from '../src/experiments/jobs.js';
import type { ResultsFile } from '../src/experiments/results.js';
import { presetSpec } from '../src/experiments/spec.js';
import { fmtDuration, fmtInt } from './format.js';

export type Experiment = 'reproduce' | 'frontier';
export type TargetMetric = 'trainLoss' | 'testAcc';

/** What the form holds. */
export interface PageSpec {
  /** Absent (page files from before the frontier): 'reproduce'. */
  experiment?: Experiment;
  net: 'tiny' | 'F1';
  data: 'mnist' | 'synthetic';
  trainSamples: number;
  testSamples: number;
  sbBatch: number;
  lbBatch: number;
  epochs: number;
  seeds: number[];
  lr: number;
  /** Jobs run at a time, each in its own Worker (SB and LB of a seed, other seeds, the parametric plots). */
  jobs: number;
  /** Training samples the sharpness loss and the parametric plot's training curve use (at most trainSamples). */
  analysisSamples: number;
  sharpnessIterations: number;
  /** frontier: the batch sizes (null: powers of two from 32 up to 10 % of the training samples, frontierBatches). */
  batches?: number[] | null;
  /** frontier: the target, training loss ≤ value or test accuracy ≥ value (a fraction). */
  targetMetric?: TargetMetric;
  targetValue?: number;
}

export type FieldName = keyof PageSpec;

export const EXPERIMENTS = { reproduce: 'SB vs LB (reproduce the paper)', frontier: 'Batch-size frontier (time to a target)' } as const;
export const NETS = { tiny: 'tiny (784→32→BN→32→10)', F1: 'F1 (784→5×512 BN→10)' } as const;
export const DATA = { mnist: 'MNIST', synthetic: 'synthetic (MNIST-shaped)' } as const;
export const TARGETS = { trainLoss: 'training loss ≤', testAcc: 'test accuracy ≥' } as const;
/** A new target's value when the metric changes and the value was the other's default. */
export const TARGET_DEFAULTS: Record<TargetMetric, string> = { trainLoss: '0.15', testAcc: '0.9' };

/**
 * The page's frontier runs `lbgap frontier`'s default spec, the quick preset, with the form's
 * choices on top (web/results.ts frontierSpecOf); its B_simple draws hold this many samples.
 */
export const FRONTIER_BASE = presetSpec('quick', 'frontier');
const NOISE_SAMPLES = FRONTIER_BASE.frontier!.noise.bBig;

const BOTH: readonly Experiment[] = ['reproduce', 'frontier'];
const REPRODUCE: readonly Experiment[] = ['reproduce'];
const FRONTIER: readonly Experiment[] = ['frontier'];

/** The form's fields in order, with the label's words (messages use them), the defaults and the experiments that use them. */
export const FIELDS: { name: FieldName; label: string; value: string; modes: readonly Experiment[] }[] = [
  { name: 'experiment', label: 'Experiment', value: 'reproduce', modes: BOTH },
  { name: 'net', label: 'Network', value: 'tiny', modes: BOTH },
  { name: 'data', label: 'Data', value: 'mnist', modes: BOTH },
  { name: 'trainSamples', label: 'Training samples', value: '6000', modes: BOTH },
  { name: 'testSamples', label: 'Test samples', value: '2000', modes: BOTH },
  { name: 'sbBatch', label: 'SB batch', value: '256', modes: REPRODUCE },
  { name: 'lbBatch', label: 'LB batch', value: '600', modes: REPRODUCE },
  { name: 'batches', label: 'Batch sizes', value: '', modes: FRONTIER },
  { name: 'targetMetric', label: 'Target', value: 'trainLoss', modes: FRONTIER },
  { name: 'targetValue', label: 'Target value', value: TARGET_DEFAULTS.trainLoss, modes: FRONTIER },
  { name: 'epochs', label: 'Epochs', value: '5', modes: BOTH },
  { name: 'seeds', label: 'Seeds', value: '0', modes: BOTH },
  { name: 'lr', label: 'Adam lr', value: '0.001', modes: BOTH },
  { name: 'jobs', label: 'Jobs at a time', value: '2', modes: BOTH },
  { name: 'analysisSamples', label: 'Sharpness sample', value: '1000', modes: REPRODUCE },
  { name: 'sharpnessIterations', label: 'L-BFGS-B iterations', value: '10', modes: REPRODUCE },
];
export const LABEL = Object.fromEntries(FIELDS.map((f) => [f.name, f.label])) as Record<FieldName, string>;

/** A field's label in an experiment (the frontier's epochs are a cap: its runs stop at the target). */
export function labelOf(name: FieldName, experiment: Experiment): string {
  return experiment === 'frontier' && name === 'epochs' ? 'Epoch cap' : LABEL[name];
}

/** Whether field `name` belongs to `experiment`'s form. */
export const fieldIn = (name: FieldName, experiment: Experiment) => FIELDS.find((f) => f.name === name)!.modes.includes(experiment);

/** The experiment of a raw form ('reproduce' unless it says 'frontier'). */
export const experimentOf = (raw: Pick<RawForm, 'experiment'>): Experiment => (raw.experiment?.trim() === 'frontier' ? 'frontier' : 'reproduce');

/** The frontier's batch sizes when the field is empty: the spec default's (null: powers of two from 32 up to 10 %), frontierBatches, on `trainSamples`. */
export const defaultBatches = (trainSamples: number) => frontierBatches({ ...FRONTIER_BASE.frontier!, batches: null }, trainSamples);

export type RawForm = Record<FieldName, string>;

export interface Note { field: FieldName | null; text: string }

export interface FormCheck {
  /** The settings, or null while any field is wrong. */
  spec: PageSpec | null;
  /** At most one message per field, in the label's words. */
  errors: Partial<Record<FieldName, string>>;
  /** Advice that does not block a run. */
  warnings: Note[];
}

/** Training throughput measured in this tab (samples/s of one run with one worker), per batch size. */
export interface MeasuredCost { net: PageSpec['net']; samplesPerSecond: { batch: number; value: number }[] }

/** What the warnings need to know about this machine. */
export interface Machine { cores: number; cost: MeasuredCost | null }

/** A run longer than this (seconds, estimated) gets a warning. */
export const LONG_RUN_SECONDS = 300;

function intRule(raw: string, label: string, min: number, max: number, maxWhy = ''): { value: number; error?: string } {
  const t = raw.trim();
  const v = t === '' ? NaN : Number(t);
  if (t === '') return { value: NaN, error: `${label} is empty: give a whole number from ${fmtInt(min)} to ${fmtInt(max)}${maxWhy}` };
  if (!Number.isInteger(v) || v < min || v > max) return { value: v, error: `${label} must be a whole number from ${fmtInt(min)} to ${fmtInt(max)}${maxWhy}; got ${t}` };
  return { value: v };
}

/** Checks the raw form; `machine` adds the warnings that depend on it. */
export function checkForm(raw: RawForm, machine: Machine | null = null): FormCheck {
  const errors: FormCheck['errors'] = {};
  const warnings: Note[] = [];
  const experiment = (raw.experiment ?? 'reproduce').trim();
  if (!(experiment in EXPERIMENTS)) errors.experiment = `${LABEL.experiment} must be one of ${Object.keys(EXPERIMENTS).join(', ')}; got ${JSON.stringify(experiment)}`;
  const mode = experimentOf(raw);
  const frontier = mode === 'frontier';
  // Only the experiment's own fields are checked (the others are hidden and keep their text).
  const mine = (name: FieldName) => fieldIn(name, mode);
  const int = (name: FieldName, min: number, max: number, why = '') => {
    const r = intRule(raw[name] ?? '', labelOf(name, mode), min, max, why);
    if (r.error && mine(name)) errors[name] = r.error;
    return r.value;
  };
  const net = raw.net.trim(), data = raw.data.trim();
  if (!(net in NETS)) errors.net = `${LABEL.net} must be one of ${Object.keys(NETS).join(', ')}; got ${JSON.stringify(net)}`;
  if (!(data in DATA)) errors.data = `${LABEL.data} must be one of ${Object.keys(DATA).join(', ')}; got ${JSON.stringify(data)}`;
  const trainSamples = frontier
    ? int('trainSamples', NOISE_SAMPLES, 60000, ` (MNIST has 60,000; the frontier's B_simple draws ${fmtInt(NOISE_SAMPLES)} samples)`)
    : int('trainSamples', 1, 60000, ' (MNIST has 60,000)');
  const testSamples = int('testSamples', 1, 10000, ' (MNIST has 10,000)');
  const nTrain = errors.trainSamples ? 60000 : trainSamples;
  const why = errors.trainSamples ? '' : ' (the training samples)';
  const sbBatch = int('sbBatch', 1, nTrain, why);
  const lbBatch = int('lbBatch', 1, nTrain, why);
  const epochs = int('epochs', 1, 1000);
  const jobs = int('jobs', 1, 64);
  const analysisRaw = int('analysisSamples', 1, 60000);
  const sharpnessIterations = int('sharpnessIterations', 1, 100);
  // The frontier: batch sizes (empty: the default list), the target.
  let batches: number[] | null = null;
  const batchText = (raw.batches ?? '').trim();
  if (frontier && batchText !== '') {
    const parts = batchText.split(',').map((b) => b.trim());
    const values = parts.map((b) => (/^\d+$/.test(b) ? Number(b) : NaN));
    const bad = parts.find((_b, i) => !(values[i] >= 1 && values[i] <= nTrain));
    if (bad !== undefined) errors.batches = `${LABEL.batches} must be whole numbers from 1 to ${fmtInt(nTrain)}${why}, separated by commas (or empty for the default); got ${JSON.stringify(bad)}`;
    else {
      const twice = values.find((b, i) => values.indexOf(b) !== i);
      if (twice !== undefined) errors.batches = `${LABEL.batches} must be distinct; ${twice} appears twice`;
      else batches = values;
    }
  }
  const metricText = (raw.targetMetric ?? 'trainLoss').trim();
  if (frontier && !(metricText in TARGETS)) errors.targetMetric = `${LABEL.targetMetric} must be one of ${Object.keys(TARGETS).join(', ')}; got ${JSON.stringify(metricText)}`;
  const targetMetric: TargetMetric = metricText === 'testAcc' ? 'testAcc' : 'trainLoss';
  const targetText = (raw.targetValue ?? '').trim(), targetValue = Number(targetText);
  if (frontier && !errors.targetMetric) {
    if (targetMetric === 'trainLoss' && (targetText === '' || !(targetValue > 0) || !Number.isFinite(targetValue))) {
      errors.targetValue = `${LABEL.targetValue} must be a training loss above 0 (e.g. 0.15); got ${targetText === '' ? 'nothing' : targetText}`;
    } else if (targetMetric === 'testAcc' && (targetText === '' || !(targetValue > 0 && targetValue <= 1))) {
      errors.targetValue = `${LABEL.targetValue} must be a test accuracy above 0 and at most 1, as a fraction (0.97 for 97 %); got ${targetText === '' ? 'nothing' : targetText}`;
    }
  }
  const lrText = raw.lr.trim(), lr = Number(lrText);
  if (lrText === '' || !(lr > 0) || !Number.isFinite(lr)) errors.lr = `${LABEL.lr} must be a number above 0 (e.g. 0.001); got ${lrText === '' ? 'nothing' : lrText}`;
  const seedTexts = raw.seeds.split(',').map((s) => s.trim()).filter(Boolean);
  const seeds = seedTexts.map(Number);
  const badSeed = seedTexts.find((_s, i) => !Number.isInteger(seeds[i]) || seeds[i] < 0 || seeds[i] > 2 ** 32 - 2);
  if (seedTexts.length === 0) errors.seeds = `${LABEL.seeds}: give at least one whole number, or several separated by commas (0,1,2)`;
  else if (badSeed !== undefined) errors.seeds = `${LABEL.seeds} must be whole numbers from 0 to ${fmtInt(2 ** 32 - 2)}, separated by commas; got ${JSON.stringify(badSeed)}`;
  else {
    const twice = seeds.find((s, i) => seeds.indexOf(s) !== i);
    if (twice !== undefined) errors.seeds = `${LABEL.seeds} must be distinct; ${twice} appears twice`;
  }

  if (!frontier && !errors.sbBatch && !errors.lbBatch && sbBatch >= lbBatch) {
    warnings.push({ field: 'sbBatch', text: `${LABEL.sbBatch} (${fmtInt(sbBatch)}) is not smaller than ${LABEL.lbBatch} (${fmtInt(lbBatch)}): the “small-batch” run is the large one` });
  }
  const analysisSamples = Math.min(analysisRaw, nTrain);
  if (!frontier && !errors.analysisSamples && !errors.trainSamples && analysisRaw > trainSamples) {
    warnings.push({ field: 'analysisSamples', text: `${LABEL.analysisSamples} (${fmtInt(analysisRaw)}) is more than the ${fmtInt(trainSamples)} training samples: all ${fmtInt(trainSamples)} are used` });
  }
  if (machine && !errors.jobs && jobs > machine.cores) {
    warnings.push({ field: 'jobs', text: `${jobs} jobs at a time on ${machine.cores} cores: they share cores, so each is slower (the results are the same)` });
  }
  if (frontier && !errors.batches && !errors.trainSamples) {
    const list = batches ?? defaultBatches(trainSamples);
    if (list.length < 2) warnings.push({ field: 'batches', text: `one batch size (${list[0]}): no frontier to compare, and the model needs two or more` });
  }
  const ok = Object.keys(errors).length === 0;
  const spec: PageSpec | null = ok ? {
    experiment: mode, net: net as PageSpec['net'], data: data as PageSpec['data'], trainSamples, testSamples, sbBatch, lbBatch, epochs, seeds, lr,
    jobs, analysisSamples, sharpnessIterations,
    ...(frontier ? { batches, targetMetric, targetValue } : {}),
  } : null;
  if (spec && !frontier && machine?.cost?.net === spec.net) {
    const est = estimateSeconds(spec, machine);
    if (est.total > LONG_RUN_SECONDS) {
      warnings.push({ field: 'epochs', text: `a long run: about ${fmtDuration(est.total)} (training ${fmtDuration(est.training)}, analysis ${fmtDuration(est.analysis)}) at the measured ${fmtInt(est.rate)} samples/s — fewer epochs, samples or seeds make it shorter` });
    }
  }
  return { spec, errors, warnings };
}

/** Samples/s at batch B, interpolated in log B between the measured batch sizes. */
function rateAt(cost: MeasuredCost, B: number): number {
  const pts = cost.samplesPerSecond.slice().sort((a, b) => a.batch - b.batch);
  if (B <= pts[0].batch) return pts[0].value;
  for (let i = 1; i < pts.length; i++) {
    if (B <= pts[i].batch) {
      const t = (Math.log(B) - Math.log(pts[i - 1].batch)) / (Math.log(pts[i].batch) - Math.log(pts[i - 1].batch));
      return pts[i - 1].value + t * (pts[i].value - pts[i - 1].value);
    }
  }
  return pts[pts.length - 1].value;
}

/**
 * A rough wall-time estimate from the measured step cost (one job per core): with two jobs at a
 * time or more on two cores or more, SB and LB of a seed train side by side (and measure side by
 * side), otherwise one after the other; seeds beyond that run in turn. An evaluation forward
 * pass costs about a third of a training step per sample, and a φ measurement about
 * 1.5 (maxIter + 2) loss and gradient evaluations of its sample.
 */
export function estimateSeconds(s: PageSpec, m: Machine): { training: number; analysis: number; total: number; rate: number } {
  const cost = m.cost!;
  const parallel = Math.max(1, Math.min(s.jobs, m.cores));
  const pairs = parallel >= 2 ? Math.floor(parallel / 2) : 1;
  const rounds = Math.ceil(s.seeds.length / pairs);
  const epoch = (B: number) => s.trainSamples / rateAt(cost, B) + (s.trainSamples + s.testSamples) / (3 * rateAt(cost, 256));
  const perEpoch = parallel >= 2 ? Math.max(epoch(s.sbBatch), epoch(s.lbBatch)) : epoch(s.sbBatch) + epoch(s.lbBatch);
  const training = rounds * s.epochs * perEpoch;
  const big = rateAt(cost, 1000);
  const parametric = (25 * (s.analysisSamples + s.testSamples)) / (3 * big);
  const sharpness = (8 * 1.5 * (s.sharpnessIterations + 2) * s.analysisSamples) / big;
  const analysis = rounds * (parametric + (parallel >= 2 ? sharpness / 2 : sharpness));
  return { training, analysis, total: training + analysis, rate: rateAt(cost, s.sbBatch) };
}

/** An option error of a PageSpec (checkSpec): `option` is the field. */
export class ExperimentOptionError extends Error {
  override name = 'ExperimentOptionError';
  constructor(readonly option: string, message: string) {
    super(`${option}: ${message}`);
  }
}

/** The form's text of settings (a field the settings lack — e.g. a page file from before the field existed — keeps its default). */
export function rawOf(s: PageSpec): RawForm {
  const raw = {} as RawForm;
  for (const f of FIELDS) {
    const v = s[f.name] as PageSpec[FieldName] | undefined;
    raw[f.name] = v === undefined ? f.value : v === null ? '' : Array.isArray(v) ? v.join(',') : String(v);
  }
  return raw;
}

/** Settings given directly (not from the form): the same rules, thrown as ExperimentOptionError. */
export function checkSpec(s: PageSpec): void {
  const c = checkForm(rawOf(s));
  const first = FIELDS.find((f) => c.errors[f.name]);
  if (first) throw new ExperimentOptionError(first.name, c.errors[first.name]!);
  if (s.experiment !== 'frontier' && s.analysisSamples > s.trainSamples) throw new ExperimentOptionError('analysisSamples', `${LABEL.analysisSamples} must be at most the ${fmtInt(s.trainSamples)} training samples; got ${s.analysisSamples}`);
}

/** URL parameters the page reads besides the fields. */
export const URL_FLAGS = ['autostart'] as const;

/** The form as URL parameters: only the experiment's fields, and only what differs from the defaults. */
export function toQuery(raw: RawForm): string {
  const q = new URLSearchParams();
  const mode = experimentOf(raw);
  for (const f of FIELDS) if (f.modes.includes(mode) && (raw[f.name] ?? f.value).trim() !== f.value) q.set(f.name, raw[f.name].trim());
  return q.toString();
}

/** URL parameters → field values, and the names the page does not know. */
export function fromQuery(search: string): { values: Partial<RawForm>; unknown: string[]; autostart: boolean } {
  const q = new URLSearchParams(search);
  const values: Partial<RawForm> = {};
  const unknown: string[] = [];
  for (const [name, value] of q) {
    if (name in LABEL) values[name as FieldName] = value;
    else if (!(URL_FLAGS as readonly string[]).includes(name)) unknown.push(name);
  }
  return { values, unknown, autostart: q.get('autostart') === '1' };
}

/**
 * A results file's settings as form values (a page download carries the form itself; a CLI
 * file's spec is mapped field by field), and what the form cannot show.
 */
export function formOfResults(r: ResultsFile & { page?: { form: PageSpec | null } }): { values: Partial<RawForm>; notShown: string[] } {
  if (r.page?.form) return { values: rawOf(r.page.form), notShown: [] };
  const s = r.spec, notShown: string[] = [];
  if (r.kind === 'frontier' && s.frontier) {
    const values: Partial<RawForm> = {
      experiment: 'frontier', trainSamples: String(r.data.trainSamples), testSamples: String(r.data.testSamples), epochs: String(s.epochs),
      seeds: s.seeds.join(','), lr: String(s.lr), batches: s.frontier.batches?.join(',') ?? '',
      targetMetric: s.frontier.target.metric, targetValue: String(s.frontier.target.value),
    };
    if (s.net in NETS) values.net = s.net; else notShown.push(`network ${s.net}`);
    if (s.data.name in DATA) values.data = s.data.name; else notShown.push(`data ${s.data.name}`);
    return { values, notShown };
  }
  const values: Partial<RawForm> = {
    experiment: 'reproduce', trainSamples: String(r.data.trainSamples), testSamples: String(r.data.testSamples), sbBatch: String(s.sb),
    lbBatch: String(largeBatch(s, r.data.trainSamples)), epochs: String(s.epochs), seeds: s.seeds.join(','), lr: String(s.lr),
    analysisSamples: String(s.sharpness.sample), sharpnessIterations: String(s.sharpness.maxIter),
  };
  if (s.net in NETS) values.net = s.net; else notShown.push(`network ${s.net}`);
  if (s.data.name in DATA) values.data = s.data.name; else notShown.push(`data ${s.data.name}`);
  if (r.kind !== 'reproduce') notShown.push(`kind ${r.kind}`);
  return { values, notShown };
}
