// The job worker: runs jobs of an experiment (job.ts) in its own thread with its own kernel
// instance, one job at a time, for the runner's `--jobs N` and the page. One entry for Node
// worker_threads and browser module Workers (the message loop: job_serve.ts; messages:
// job_protocol.ts); checkpoints go to the runner's store (files or OPFS), opened once here.
import { openStore, type Store } from '../train/store.js';
import { costs, runJob } from './job.js';
import type { JobOutput } from './job.js';
import type { Job } from './jobs.js';
import { spreadOf, type WorkerInit } from './job_protocol.js';
import { serveJobs } from './job_serve.js';

let store: Promise<Store> | null = null;

await serveJobs<WorkerInit, Job, JobOutput>('job_worker', async ({ spec, data, store: ref, spread, budget }, env, job) =>
  runJob({ spec, data, store: await (store ??= openStore(ref)), ...env, costs: costs(spec, data.train.n, data.test.n), spread: spreadOf(spread), budget }, job));
