import { type Client, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  BATCH_GENERATE_WORKFLOW,
  BATCH_ITEM_ID_SCHEME,
  type BatchInput,
  type BatchResult,
  batchWorkflowId,
} from '../../src/contracts/batch.js';
import {
  FailureTypes,
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { TASK_QUEUE } from './options.js';
import type { JobPlan, SoakPlan } from './plan.js';
import { roundSeconds } from './report.js';
import { sleep } from './supervisor.js';

/** Starting the soak's jobs and its batch, waiting for them, and reading how each one ended. */

export interface JobReport {
  plan: JobPlan;
  /** Workflow execution status name, or `missing`. */
  execution: string;
  status: GenerationStatus | undefined;
  /** Why the outcome could not be read, if it could not. */
  problem: string | undefined;
  seconds: number | undefined;
  /** Submit requests the fakes received for this job (seconds since the soak started). */
  submits: { provider: ProviderId; atSeconds: number }[];
}

/** Retries a start while the server restarts (a start whose reply was lost is fine). */
async function startRetrying(start: () => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (let tries = 0; ; tries++) {
    try {
      await start();
      return;
    } catch (error) {
      if (error instanceof WorkflowExecutionAlreadyStartedError && tries > 0) return;
      if (Date.now() > deadline) throw error;
      await sleep(500);
    }
  }
}

export function startJob(client: Client, plan: JobPlan): Promise<void> {
  const input: GenerateVideoInput = {
    request: plan.request,
    providers: plan.route,
    ...(plan.attemptDeadlineMs !== undefined ? { attemptDeadlineMs: plan.attemptDeadlineMs } : {}),
    ...(plan.deadlineMs !== undefined ? { deadlineMs: plan.deadlineMs } : {}),
    ...(plan.failoverStuckAfterMs !== undefined
      ? { failoverStuckAfterMs: plan.failoverStuckAfterMs }
      : {}),
  };
  return startRetrying(() =>
    client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: TASK_QUEUE,
      workflowId: plan.workflowId,
      args: [input],
    }),
  );
}

/** The budgeted batch: its items run as child jobs, a few at a time, under one `maxCost`. */
export function startBatch(client: Client, batch: NonNullable<SoakPlan['batch']>): Promise<void> {
  const input: BatchInput = {
    batchId: batch.batchId,
    items: batch.items.map((item) => ({
      key: item.token,
      request: item.request,
      providers: item.route,
    })),
    concurrency: 4,
    maxCost: batch.maxCost,
    itemIdScheme: BATCH_ITEM_ID_SCHEME,
  };
  return startRetrying(() =>
    client.workflow.start(BATCH_GENERATE_WORKFLOW, {
      taskQueue: TASK_QUEUE,
      workflowId: batchWorkflowId(batch.batchId),
      args: [input],
    }),
  );
}

/** Waits until no job of the soak is running, or the bound passes; returns how many still run. */
export async function waitUntilAllClosed(
  client: Client,
  closeBy: number,
  say: (message: string) => void,
): Promise<number> {
  let lastReport = 0;
  for (;;) {
    const open = await client.workflow
      .count(`TaskQueue = "${TASK_QUEUE}" AND ExecutionStatus = "Running"`)
      .then((answer) => answer.count)
      .catch(() => Number.NaN);
    if (open === 0 || Date.now() > closeBy) return open;
    if (Date.now() - lastReport > 15_000) {
      say(`${Number.isNaN(open) ? '?' : open} job(s) still running`);
      lastReport = Date.now();
    }
    await sleep(1_000);
  }
}

export async function readJob(client: Client, plan: JobPlan): Promise<JobReport> {
  const report: JobReport = {
    plan,
    execution: 'missing',
    status: undefined,
    problem: undefined,
    seconds: undefined,
    submits: [],
  };
  const handle: WorkflowHandle = client.workflow.getHandle(plan.workflowId);
  let description: Awaited<ReturnType<WorkflowHandle['describe']>>;
  try {
    description = await handle.describe();
  } catch (error) {
    report.problem = `describe failed: ${error}`;
    return report;
  }
  report.execution = description.status.name;
  if (description.closeTime) {
    report.seconds = roundSeconds(
      description.closeTime.getTime() - description.startTime.getTime(),
    );
  }
  if (report.execution === 'RUNNING') {
    const status = await handle.query(statusQuery).catch(() => undefined);
    report.status = status;
    report.problem = `still running${status ? ` in phase ${status.phase} at ${status.provider}` : ''}`;
    return report;
  }
  try {
    report.status = (await handle.result()) as GenerationStatus;
  } catch (error) {
    const cause = error instanceof WorkflowFailedError ? error.cause : undefined;
    if (cause instanceof ApplicationFailure && cause.type === FailureTypes.generationFailed) {
      report.status = cause.details?.[0] as GenerationStatus | undefined;
      if (!report.status) report.problem = 'failed without a status in its failure details';
    } else {
      report.problem = `ended ${report.execution} without a GenerationFailed failure: ${error}`;
    }
  }
  return report;
}

/** The batch's own result, or why it could not be read. */
export async function readBatch(
  client: Client,
  batchId: string,
): Promise<{ result?: BatchResult; problem?: string }> {
  try {
    const handle = client.workflow.getHandle(batchWorkflowId(batchId));
    const description = await handle.describe();
    if (description.status.name === 'RUNNING') return { problem: 'the batch is still running' };
    return { result: (await handle.result()) as BatchResult };
  } catch (error) {
    return { problem: `the batch did not complete: ${error}` };
  }
}

export async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  map: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await map(items[index]!);
      }
    }),
  );
  return results;
}
