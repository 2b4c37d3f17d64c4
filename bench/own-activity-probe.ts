/**
 * klingflow's own activity code for a polled job, without Temporal: the route planning, the
 * submit, the first-poll wait's attempt and the poll that finds the task done and delivers the
 * video (status call, download, sha256, storage with its syncs, the learned render time), called
 * directly through the SDK's MockActivityEnvironment against a simulated provider in another
 * process. Prints this process's CPU per job (every thread, and the event loop's alone), so the
 * benchmark can tell klingflow's own work from the SDK's cost per task and per activation.
 *   node --import tsx bench/own-activity-probe.ts JOBS CONCURRENCY   (provider variables set)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { readSettings } from '../src/config/environment.js';
import { VARIABLES } from '../src/config/variables.js';
import { FailureTypes } from '../src/contracts/generation.js';
import { parseUnifiedRequest } from '../src/request/parse-request.js';
import { workerDependencies } from '../src/worker.js';
import { eventLoopCpuSeconds } from './lib/process-stats.js';

const jobs = Number(process.argv[2] ?? 300);
const concurrency = Number(process.argv[3] ?? 10);
const WARM_UP_JOBS = Math.min(30, jobs);

const directory = await mkdtemp(join(tmpdir(), 'klingflow-own-activity-'));
// The worker's own wiring (providers, storage, learned render times), on loopback fakes.
const environment = {
  ...process.env,
  [VARIABLES.storageDirectory]: directory,
  [VARIABLES.allowPrivateNetwork]: '1',
  [VARIABLES.pollInterval]: '1s',
};
const { dispatcher, activities } = workerDependencies({
  settings: readSettings(environment),
  environment,
});
const request = parseUnifiedRequest({ prompt: 'benchmark', model: 'kling-v1.6' });
const logger = new DefaultLogger('ERROR');

/** One activity call as the worker makes it: the SDK's activity context, no server. */
function run<P extends unknown[], R>(
  activity: (...args: P) => Promise<R>,
  info: Partial<Context['info']>,
  ...args: P
): Promise<R> {
  const mock = new MockActivityEnvironment(
    { scheduledTimestampMs: Date.now(), scheduleToCloseTimeoutMs: 3_600_000, ...info },
    { logger },
  );
  return mock.run(activity, ...args);
}

async function job(index: number): Promise<void> {
  const workflowId = `own-activity-${index}`;
  const plan = await activities.planRoute({ request, providers: ['hyprlab'] });
  const { handle, acceptedAt } = await run(
    activities.submitTask,
    {},
    {
      provider: plan.route[0]!.provider,
      request,
      workflowId,
      attempt: 1,
      runId: 'bench',
    },
  );
  const poll = {
    handle,
    untilDone: true,
    renderTiming: {
      key: 'hyprlab/kling-v1.6/std/5',
      acceptedAt: acceptedAt ?? Date.now(),
      pollIntervalMs: 1000,
    },
    firstPollDelayMs: 60_000,
    delivery: { key: workflowId, sidecar: { workflowId, model: request.model } },
  };
  // The first attempt is the first-poll wait: it asks to be retried later.
  const waited = await run(activities.checkTask, { attempt: 1 }, poll).catch((error) => error);
  if (!(waited instanceof ApplicationFailure) || waited.type !== FailureTypes.notReady)
    throw new Error(`the first attempt did not wait: ${String(waited)}`);
  const polled = await run(activities.checkTask, { attempt: 2 }, { ...poll, firstPollDelayMs: 0 });
  if (!polled.stored) throw new Error(`the poll did not deliver: ${polled.status.state}`);
}

async function runJobs(count: number, offset: number): Promise<void> {
  for (let started = 0; started < count; started += concurrency) {
    const batch = Math.min(concurrency, count - started);
    await Promise.all(Array.from({ length: batch }, (_, k) => job(offset + started + k)));
  }
}

try {
  // JIT and first-use costs (undici's parser, the storage directories) stay out of the figure.
  await runJobs(WARM_UP_JOBS, jobs);
  const cpuBefore = process.cpuUsage();
  const eventLoopBefore = eventLoopCpuSeconds() ?? Number.NaN;
  await runJobs(jobs, 0);
  const cpu = process.cpuUsage(cpuBefore);
  const eventLoop = (eventLoopCpuSeconds() ?? Number.NaN) - eventLoopBefore;
  console.log(
    JSON.stringify({
      jobs,
      concurrency,
      cpuMsPerJob: (cpu.user + cpu.system) / 1000 / jobs,
      eventLoopMsPerJob: (eventLoop * 1000) / jobs,
    }),
  );
} finally {
  await dispatcher.close();
  await rm(directory, { recursive: true, force: true });
}
