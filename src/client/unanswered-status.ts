import {
  type Client,
  isGrpcServiceError,
  ServiceError,
  type WorkflowExecutionDescription,
} from '@temporalio/client';
import type {
  GenerateVideoInput,
  GenerationPhase,
  GenerationStatus,
  WaitingForWorker,
} from '../contracts/generation.js';
import { KLING_PHASE, KLING_PROVIDER } from '../contracts/search-attributes.js';
import type { ProviderId } from '../request/unified-request.js';
import { recordedStatus } from './closed-status.js';

/** gRPC status DEADLINE_EXCEEDED: the server's "query timed out before a worker could process it". */
const GRPC_DEADLINE_EXCEEDED = 4;
/** TASK_QUEUE_TYPE_WORKFLOW: the pollers that answer queries. */
const WORKFLOW_TASK_QUEUE = 1;

/**
 * Whether any worker polls the job's task queue. A status query needs one: without it the
 * server holds the query for its full timeout (30 s) and then fails, so this is asked first.
 */
async function hasWorkflowPollers(client: Client, taskQueue: string): Promise<boolean> {
  const response = await client.workflowService.describeTaskQueue({
    namespace: client.options.namespace,
    taskQueue: { name: taskQueue },
    taskQueueType: WORKFLOW_TASK_QUEUE,
  });
  return (response.pollers?.length ?? 0) > 0;
}

/**
 * The workflow's answer to a query, or why no worker gave one: none polls its task queue (asked
 * first: the query would hang for the server's 30 s), or the listed ones never took it up.
 * Other query failures are thrown.
 */
export async function answerIfPolled<T>(
  client: Client,
  taskQueue: string,
  ask: () => Promise<T>,
): Promise<{ answer: T } | { waiting: WaitingForWorker }> {
  // A role that may not describe task queues: the query decides, as before.
  const polled = await hasWorkflowPollers(client, taskQueue).catch(() => true);
  if (!polled) return { waiting: { taskQueue, workersPolling: false } };
  return ask().then(
    (answer) => ({ answer }),
    (error: unknown) => {
      if (isUnansweredQuery(error)) return { waiting: { taskQueue, workersPolling: true } };
      throw error;
    },
  );
}

/** A query no worker took up before the server's timeout (workers listed but gone). */
function isUnansweredQuery(error: unknown): boolean {
  const cause = error instanceof ServiceError ? error.cause : error;
  return isGrpcServiceError(cause) && cause.code === GRPC_DEADLINE_EXCEEDED;
}

/**
 * A running job no worker can answer for: what Temporal itself records (its request, the phase
 * and provider it last published, when it started), marked `waitingForWorker`. Attempts and
 * spend are the worker's to report, so they are empty here and marked `spendUnknown`, not
 * zero-cost claims.
 */
export function unansweredStatus(
  description: WorkflowExecutionDescription,
  input: GenerateVideoInput | undefined,
  waiting: WaitingForWorker,
  nowMs: number,
): GenerationStatus {
  const attributes = description.typedSearchAttributes;
  const provider = attributes.get(KLING_PROVIDER) as ProviderId | undefined;
  return {
    ...recordedStatus(description.workflowId, input, {
      status: 'running',
      phase: (attributes.get(KLING_PHASE) as GenerationPhase | undefined) ?? 'planning',
      startedAt: description.startTime.toISOString(),
      elapsedMs: Math.max(0, nowMs - description.startTime.getTime()),
    }),
    ...(provider ? { provider } : {}),
    waitingForWorker: waiting,
    spendUnknown: true,
  };
}
