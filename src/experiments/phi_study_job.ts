// One job of a φ study: one grid point (phi_study_spec.ts) on one checkpoint. Loads the
// network, builds the loss the point asks for (sample, BN mode, chunk) and measures φ in the
// full space and/or the random subspace for each ε, and the Hessian's top eigenvalue (Lanczos)
// and trace (Hutchinson), both on exact Hessian-vector products — in the paper's coordinates or
// filter-normalized ones. Deterministic: the same point on the same checkpoint gives the same
// numbers, in this thread or a job worker.
import type { Dataset } from '../data/dataset.js';
import type { Kernels } from '../kernels/index.js';
import { filterScales, ScaledObjective } from '../landscape/filter_coordinates.js';
import { hessianTopEigenvalues, hessianTrace } from '../landscape/hessian.js';
import type { LbfgsbStopReason } from '../landscape/lbfgsb.js';
import { ModelObjective, type ModelObjectiveInfo } from '../landscape/model_objective.js';
import type { Objective } from '../landscape/objective.js';
import { sharpness, type SharpnessOptions } from '../landscape/sharpness.js';
import { makeSubspaceBasis } from '../landscape/subspace_basis.js';
import { loadCheckpoint, type Checkpoint } from '../train/checkpoint.js';
import { modelFromCheckpoint } from '../train/snapshot.js';
import { spreadObjective, StopRequested, workersText, type JobContext, type JobProgress } from './job.js';
import { pointMeasures, pointSettings, type PhiChoice, type PhiMeasure, type PhiSettings, type PhiStudySpec } from './phi_study_spec.js';

export interface PhiJob {
  index: number;
  /** Index into spec.variations, and into spec.checkpoints. */
  point: number;
  checkpoint: number;
  label: string;
}

export interface PhiEntry {
  space: 'full' | 'random';
  eps: number;
  /** Dimension of y: n (full) or p. */
  dim: number;
  phi: number;
  f0: number;
  fmax: number;
  /** f at L-BFGS-B's final iterate and its projected-gradient ∞-norm (is the maximization converged?). */
  fFinal: number;
  projGradNorm: number;
  iterations: number;
  evaluations: number;
  reason: LbfgsbStopReason;
  seconds: number;
}

export interface PhiHessianEntry {
  /** 'paper': ∇²f; 'filter': D·∇²f·D in filter-normalized coordinates. */
  coordinates: 'paper' | 'filter';
  top: number;
  topResidual: number;
  lanczosSteps: number;
  topConverged: boolean;
  trace: number;
  traceStdError: number;
  traceSamples: number;
  traceConverged: boolean;
  seconds: number;
}

export interface PhiRecord {
  job: number;
  point: number;
  choice: PhiChoice;
  label: string;
  checkpoint: string;
  /** The checkpoint's epoch (how long the network trained). */
  epoch: number;
  settings: PhiSettings;
  measures: PhiMeasure[];
  loss: ModelObjectiveInfo;
  sharpness: PhiEntry[];
  hessian: PhiHessianEntry | null;
  seconds: number;
}

export interface PhiJobContext {
  spec: PhiStudySpec;
  k: Kernels;
  train: Dataset;
  stopRequested: () => boolean;
  progress: JobProgress;
  /** Idle cores the job's loss may spread over (job.ts JobContext.spread); absent: this thread. */
  spread?: JobContext['spread'];
}

/** Every job: grid points outer, checkpoints inner (a point's SB and LB run side by side). */
export function phiJobs(spec: PhiStudySpec): PhiJob[] {
  const jobs: PhiJob[] = [];
  spec.variations.forEach((v, point) => spec.checkpoints.forEach((c, checkpoint) => {
    jobs.push({ index: jobs.length, point, checkpoint, label: `${v.label}, ${c.label}` });
  }));
  return jobs;
}

/** Cost of a job in sample-passes (forward ≈ 1, gradient ≈ 3, Hessian-vector product ≈ 6), for the ETA. */
export function phiJobCost(spec: PhiStudySpec, job: PhiJob, trainN: number): number {
  const v = spec.variations[job.point];
  const s = pointSettings(spec, v);
  const m = pointMeasures(v);
  const N = Math.min(trainN, s.sample ?? trainN);
  const phi = 3 * (s.maxIter + 2) * N * s.eps.length;
  return (m.includes('full') ? phi : 0) + (m.includes('random') ? phi + 22 * s.subspace * (s.maxIter + 2) * s.eps.length : 0) +
    (m.includes('hessian') ? 6 * (spec.hessian.maxIter + spec.hessian.traceSamples) * N : 0);
}

const checkpoints = new Map<string, Promise<Checkpoint>>();

/** Checkpoints are read once per thread (a worker runs many points of the same two networks). */
function checkpointAt(path: string): Promise<Checkpoint> {
  let c = checkpoints.get(path);
  if (!c) { c = loadCheckpoint(path); checkpoints.set(path, c); }
  return c;
}

async function yieldAndCheck(ctx: PhiJobContext): Promise<void> {
  await new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
  if (ctx.stopRequested()) throw new StopRequested();
}

const seconds = (t0: number) => (performance.now() - t0) / 1000;

export async function runPhiJob(ctx: PhiJobContext, job: PhiJob): Promise<PhiRecord> {
  const { spec, k, train } = ctx;
  const v = spec.variations[job.point];
  const ck = spec.checkpoints[job.checkpoint];
  const s = pointSettings(spec, v);
  const measures = pointMeasures(v);
  const t0 = performance.now();
  const ckpt = await checkpointAt(ck.path);
  const model = modelFromCheckpoint(k, ckpt, ck.path);
  const total = phiJobCost(spec, job, train.n);
  const perPhi = total / Math.max(1, (measures.includes('full') ? s.eps.length : 0) + (measures.includes('random') ? s.eps.length : 0) + (measures.includes('hessian') ? 2 : 0));
  const what = `${ck.label}, ${v.label}`;
  try {
    const x = Float32Array.from(model.params.view());
    const sample = s.sample === null ? train.n : Math.min(s.sample, train.n);
    const lossOptions = { sample, chunk: Math.min(s.chunk, sample), seed: 0, bn: s.bn };
    const obj = (await spreadObjective(ctx.spread, model, train, lossOptions)) ?? new ModelObjective(model, train, lossOptions);
    const spreadText = workersText(obj);
    try {
      const scales = s.coordinates === 'filter' ? filterScales(model, x) : null;
      const entries: PhiEntry[] = [];
      const measurePhi = async (space: 'full' | 'random', opts: (eps: number) => SharpnessOptions) => {
        for (const eps of s.eps) {
          await yieldAndCheck(ctx);
          const t = performance.now();
          const r = sharpness(k, obj, x, { eps, maxIter: s.maxIter, start: s.start === 'corner' ? { seed: s.subspaceSeed, at: 'corner' } : 'zero', ...opts(eps) });
          const e: PhiEntry = {
            space, eps, dim: r.halfWidths.length, phi: r.phi, f0: r.f0, fmax: r.fmax, fFinal: r.fFinal, projGradNorm: r.projGradNorm,
            iterations: r.iterations, evaluations: r.evaluations, reason: r.reason, seconds: seconds(t),
          };
          entries.push(e);
          ctx.progress.event(perPhi, `${what}: φ ${space === 'full' ? 'full space' : `p=${s.subspace}`} ε=${eps}: ${e.phi.toPrecision(4)} (${e.iterations} it, ‖pg‖∞ ${e.projGradNorm.toExponential(2)}, ${e.seconds.toFixed(1)} s${spreadText})`);
        }
      };
      if (measures.includes('full')) await measurePhi('full', () => ({ boxScale: scales ?? undefined }));
      if (measures.includes('random')) {
        const basis = makeSubspaceBasis(k, model.numParams, s.subspace, { seed: s.subspaceSeed, columns: s.columns, scaling: s.scaling });
        try {
          await measurePhi('random', () => ({ subspace: basis }));
        } finally {
          basis.dispose();
        }
      }
      let hessian: PhiHessianEntry | null = null;
      if (measures.includes('hessian')) {
        await yieldAndCheck(ctx);
        const t = performance.now();
        const target: Objective = scales ? new ScaledObjective(k, obj, x, scales) : obj;
        const at = scales ? new Float32Array(x.length) : x;
        const n = model.numParams;
        const eig = hessianTopEigenvalues(k, target, at, { count: 1, maxIter: Math.min(n, spec.hessian.maxIter), tol: 1e-3, seed: spec.hessian.seed, vectors: false, method: 'exact' });
        ctx.progress.event(perPhi, `${what}: top Hessian eigenvalue${scales ? ' (filter-normalized)' : ''} ${eig.values[0].toPrecision(4)} (${eig.iterations} Lanczos steps, ${seconds(t).toFixed(1)} s${spreadText})`);
        await yieldAndCheck(ctx);
        const tr = hessianTrace(k, target, at, { maxSamples: spec.hessian.traceSamples, rtol: spec.hessian.traceRtol, seed: spec.hessian.seed, method: 'exact' });
        hessian = {
          coordinates: s.coordinates, top: eig.values[0], topResidual: eig.residuals[0], lanczosSteps: eig.iterations, topConverged: eig.converged,
          trace: tr.estimate, traceStdError: tr.stdError, traceSamples: tr.samples, traceConverged: tr.converged, seconds: seconds(t),
        };
        ctx.progress.event(perPhi, `${what}: Hessian trace${scales ? ' (filter-normalized)' : ''} ${tr.estimate.toPrecision(4)} ± ${tr.stdError.toPrecision(2)} (${tr.samples} samples)`);
      }
      return {
        job: job.index, point: job.point, choice: v.choice, label: v.label, checkpoint: ck.label, epoch: ckpt.epoch,
        settings: s, measures, loss: obj.info, sharpness: entries, hessian, seconds: seconds(t0),
      };
    } finally {
      await obj.dispose();
    }
  } finally {
    model.dispose();
  }
}
