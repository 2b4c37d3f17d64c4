/**
 * One batch item's job (workflow code): start it as a child `generateVideo`, or, when a job
 * already exists under the item's id (an earlier run of the batch started it), wait for that
 * one and report its result and spend instead of starting another.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  ActivityFailure,
  ChildWorkflowFailure,
  isCancellation,
  ParentClosePolicy,
  proxyActivities,
  startChild,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import type { Activities } from '../activities/index.js';
import {
  type BatchInput,
  type BatchItem,
  type BatchItemResult,
  type BatchSpend,
  failureOutcome,
  type GenerationOutcome,
  generationOutcome,
} from '../contracts/batch.js';
import { GENERATE_VIDEO_WORKFLOW, type GenerateVideoInput } from '../contracts/generation.js';
import { initialJobSearchAttributes, KLING_BATCH_ID } from '../contracts/search-attributes.js';
import type { ProviderId } from '../request/unified-request.js';
import type { generateVideo } from './generate-video.js';

/** An item the batch starts: its estimate, the job's `maxCost`, and spend already counted. */
export interface TakenItem {
  estimatedCost?: number;
  maxCost?: number;
  /** The providers the job may use (the item's, or the part of its route its reservation pays). */
  providers?: ProviderId[];
  earlierSpend?: BatchSpend;
}

/** What an item's job needs from its batch. */
export interface ItemJobContext {
  input: BatchInput;
  /** Jobs started by an earlier run that the batch is waiting on (cancelled with the batch). */
  awaited: Set<string>;
}

/** What an item's failed earlier job spent, before `retryFailed` replaces it. */
export const { earlierGenerationSpend } = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumAttempts: 10 },
});

/** Waits for a job an earlier run started; as long as a job may take, heartbeating meanwhile. */
const { awaitExistingGeneration } = proxyActivities<Activities>({
  startToCloseTimeout: '3 hours',
  heartbeatTimeout: '1 minute',
  retry: {
    initialInterval: '2 seconds',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 10,
  },
});

/** Starts the item's job, or reuses the one an earlier run started, and reports its outcome. */
export async function runItemJob(
  context: ItemJobContext,
  item: BatchItem,
  identity: Pick<BatchItemResult, 'key' | 'line' | 'workflowId'>,
  taken: TakenItem,
): Promise<BatchItemResult> {
  const { input } = context;
  const base = {
    ...identity,
    ...(taken.estimatedCost !== undefined ? { estimatedCost: taken.estimatedCost } : {}),
  };
  const stuckAfterMs = item.failoverStuckAfterMs ?? input.failoverStuckAfterMs;
  const childInput: GenerateVideoInput = {
    request: item.request,
    ...(taken.providers ? { providers: taken.providers } : {}),
    // The job's hard cap on its ledger: the item's reservation from the batch's budget.
    ...(taken.maxCost !== undefined ? { maxCost: taken.maxCost } : {}),
    ...(input.pollIntervalMs !== undefined ? { pollIntervalMs: input.pollIntervalMs } : {}),
    ...(input.attemptDeadlineMs !== undefined
      ? { attemptDeadlineMs: input.attemptDeadlineMs }
      : {}),
    ...(input.deadlineMs !== undefined ? { deadlineMs: input.deadlineMs } : {}),
    ...(stuckAfterMs !== undefined ? { failoverStuckAfterMs: stuckAfterMs } : {}),
    ...(item.notifyUrl !== undefined ? { notifyUrl: item.notifyUrl } : {}),
    ...(item.notifyUrl !== undefined && input.notifyRetryIntervalMs !== undefined
      ? { notifyRetryIntervalMs: input.notifyRetryIntervalMs }
      : {}),
    batchId: input.batchId,
  };
  try {
    const child = await startChild<typeof generateVideo>(GENERATE_VIDEO_WORKFLOW, {
      workflowId: base.workflowId,
      args: [childInput],
      // Closing the batch (cancel, terminate, timeout) cancels its jobs, which then remove
      // their partial downloads; TERMINATE (the default) would skip that cleanup.
      parentClosePolicy: ParentClosePolicy.REQUEST_CANCEL,
      workflowIdReusePolicy: input.retryFailed
        ? WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY
        : WorkflowIdReusePolicy.REJECT_DUPLICATE,
      typedSearchAttributes: [
        { key: KLING_BATCH_ID, value: input.batchId },
        ...initialJobSearchAttributes(childInput.request.model),
      ],
    });
    return { ...base, ...generationOutcome(await child.result()) };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) {
      // The job exists (running, or closed in a state the reuse policy keeps): never start
      // it again, wait for it and report its result.
      return { ...base, ...(await existingOutcome(context, base.workflowId)), existing: true };
    }
    if (error instanceof ChildWorkflowFailure) return { ...base, ...failureOutcome(error.cause) };
    if (isCancellation(error)) return { ...base, ...cancelledOutcome() };
    throw error;
  }
}

async function existingOutcome(
  context: ItemJobContext,
  workflowId: string,
): Promise<GenerationOutcome> {
  const { awaited } = context;
  awaited.add(workflowId);
  try {
    return await awaitExistingGeneration({ workflowId });
  } catch (error) {
    if (isCancellation(error)) return cancelledOutcome();
    if (error instanceof ActivityFailure) return failureOutcome(error.cause);
    throw error;
  } finally {
    awaited.delete(workflowId);
  }
}

/** The batch was cancelled while the job ran: it is cancelled too, its spend unreported. */
export function cancelledOutcome(): GenerationOutcome {
  return { status: 'failed', error: 'cancelled', errorKind: 'cancelled', spendUnknown: true };
}
