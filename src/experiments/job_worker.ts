// The job worker: runs jobs of an experiment (job.ts) in its own thread with its own kernel
// instance, one job at a time, for the runner's `--jobs N`. One entry for Node worker_threads
// and browser module Workers (the message loop: job_serve.ts; messages: job_protocol.ts).
import { costs, runJob } from './job.js';
import type { JobOutput } from './job.js';
import type { Job } from './jobs.js';
import type { WorkerInit } from './job_protocol.js';
import { serveJobs } from './job_serve.js';

await serveJobs<WorkerInit, Job, JobOutput>('job_worker', ({ spec, data, outDir }, env, job) =>
  runJob({ spec, data, outDir, ...env, costs: costs(spec, data.train.n, data.test.n) }, job));
