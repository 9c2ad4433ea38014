// The φ-study job worker: runs grid points (phi_study_job.ts) in its own thread with its own
// kernel instance, one at a time, for `lbgap phi-study --jobs N`. Same messages as the
// experiment job worker (job_serve.ts, job_protocol.ts), with the φ study's init and job types.
import type { Dataset } from '../data/dataset.js';
import type { BuildName } from '../kernels/load.js';
import { spreadOf, type SpreadInit } from './job_protocol.js';
import { serveJobs } from './job_serve.js';
import { runPhiJob, type PhiJob, type PhiRecord } from './phi_study_job.js';
import type { PhiStudySpec } from './phi_study_spec.js';

export interface PhiWorkerInit {
  spec: PhiStudySpec;
  build: BuildName;
  /** The training set over SharedArrayBuffers (every worker reads the one copy). */
  train: Dataset;
  /** [0] ≠ 0 once a stop was requested (null without shared memory: 'stop' messages instead). */
  stop: Int32Array | null;
  /** Idle cores a job may spread its loss over (job_protocol.ts); null: the worker's thread only. */
  spread: SpreadInit | null;
}

await serveJobs<PhiWorkerInit, PhiJob, PhiRecord>('phi_study_worker', ({ spec, train, spread }, env, job) => runPhiJob({ spec, train, ...env, spread: spreadOf(spread) }, job));
