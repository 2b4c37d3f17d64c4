import { isCancellation, proxyLocalActivities } from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import type {
  AttemptRecord,
  GenerateVideoInput,
  GenerationStatus,
  RouteEntry,
  RoutePlan,
} from '../contracts/generation.js';
import { KLING_PROVIDER } from '../contracts/search-attributes.js';
import { runAttempt } from './generation/attempt.js';
import { deliverVideos, jobStorageKeys } from './generation/deliver.js';
import { cancelJob, describeAttempts, failJob } from './generation/failures.js';
import {
  type Job,
  setFinalStatus,
  setSearchAttribute,
  snapshot,
  startJob,
} from './generation/job.js';
import { overBudget } from './generation/ledger.js';
import { notifyJobEnd } from './generation/notify.js';

const { planRoute } = proxyLocalActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { maximumAttempts: 5 },
});

/**
 * One video generation, as its diagram reads: plan a route of providers; for each provider
 * (until one delivers): attempt (submit, then wait durably for the task); download; store.
 * The money-safety rules live in the steps: submit (resend allow-list), wait (an accepted task
 * pins the job), ledger (every task that may be billed, and the hard cost cap). A job given a
 * `notifyUrl` reports its end there (notify.ts; failJob does it for failures).
 */
export async function generateVideo(input: GenerateVideoInput): Promise<GenerationStatus> {
  const job = startJob(input);
  try {
    const plan = await planRoute({
      request: input.request,
      providers: input.providers,
      maxCost: input.maxCost,
      storageKeys: jobStorageKeys(job),
    });
    if (plan.taken) {
      return failJob(
        job,
        `a video is already stored as ${plan.taken} under this job's id, from a run Temporal no longer has; nothing was submitted: use another id, or move that video away to generate it again`,
      );
    }
    recordSkips(job, plan);
    if (plan.route.length === 0) {
      return failJob(
        job,
        `no provider can serve this request (nothing was submitted): ${describeAttempts(job.status.attempts)}`,
      );
    }
    job.pollIntervalMs = input.pollIntervalMs ?? plan.pollIntervalMs;
    for (const entry of plan.route) {
      const skip = skipReason(job, entry);
      if (skip) {
        job.status.attempts.push({ provider: entry.provider, outcome: 'skipped', ...skip });
        continue;
      }
      const record = beginAttempt(job, entry);
      const result = await runAttempt(job, entry, record);
      if (result.type === 'failed') {
        record.outcome = 'failed';
        record.errorKind = result.kind;
        record.error = result.message;
        if (!result.failover) return failJob(job, `${entry.provider}: ${result.message}`);
        continue;
      }
      await deliverVideos(job, entry, record, result.videos, result.stored);
      record.outcome = 'succeeded';
      setFinalStatus(job, 'succeeded', 'done');
      await notifyJobEnd(job);
      return snapshot(job);
    }
    return failJob(job, `every provider failed: ${describeAttempts(job.status.attempts)}`);
  } catch (error) {
    if (isCancellation(error)) {
      await cancelJob(job);
      await notifyJobEnd(job);
    }
    throw error;
  }
}

function recordSkips(job: Job, plan: RoutePlan): void {
  for (const skipped of plan.skipped) {
    job.status.attempts.push({
      provider: skipped.provider,
      outcome: 'skipped',
      errorKind: skipped.errorKind,
      error: skipped.reason,
    });
  }
}

/** A provider not tried: the job deadline passed, or its price would break the cost cap. */
function skipReason(
  job: Job,
  entry: RouteEntry,
): Pick<AttemptRecord, 'errorKind' | 'error'> | undefined {
  if (Date.now() >= job.jobDeadline) {
    return { errorKind: 'provider-unavailable', error: 'job deadline passed' };
  }
  if (job.version < 2) return undefined;
  const overCap = overBudget(job.status.spend, entry.price, job.input.maxCost);
  return overCap ? { errorKind: 'over-budget', error: overCap } : undefined;
}

function beginAttempt(job: Job, entry: RouteEntry): AttemptRecord {
  job.attemptNumber += 1;
  const record: AttemptRecord = {
    provider: entry.provider,
    outcome: 'running',
    estimatedCost: entry.price,
  };
  job.status.attempts.push(record);
  job.status.provider = entry.provider;
  job.status.providerTaskId = undefined;
  job.status.estimatedCost = { amount: entry.price.amount, unit: entry.price.unit };
  job.status.warnings = entry.warnings;
  job.status.polls = 0;
  setSearchAttribute(job, { key: KLING_PROVIDER, value: entry.provider });
  return record;
}
