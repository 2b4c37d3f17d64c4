import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { acquireSlotSignal, releaseSlotSignal, type SlotRequest } from '../contracts/messages.js';
import { providerSlotsWorkflowId } from '../contracts/task-queues.js';
import type { ProviderId } from '../request/unified-request.js';

export interface RequestSlotInput extends SlotRequest {
  provider: ProviderId;
  /** The main task queue: the slot keeper runs there, and is named after it. */
  taskQueue: string;
}

/**
 * Asks the provider's slot keeper for a slot, starting the keeper if it is not running
 * (signal-with-start needs a client, which workflow code does not have).
 *
 * An earlier run of the same job id (terminated by an operator, so it never released its slot)
 * may still hold or wait under this job's key, and the keeper would take this request for a
 * duplicate of it: that slot goes back first. Only one run of a workflow id runs at a time, so
 * an entry under this key that this run did not make belongs to a run that has ended.
 */
export async function requestProviderSlot(input: RequestSlotInput): Promise<void> {
  const { provider, taskQueue, ...request } = input;
  const client = Context.current().client;
  const keeperId = providerSlotsWorkflowId(taskQueue, provider);
  // A retry of this activity would give back the request its own first try made.
  if (Context.current().info.attempt === 1) {
    await client.workflow
      .getHandle(keeperId)
      .signal(releaseSlotSignal, { requester: request.requester, attempt: request.attempt })
      .catch((error: unknown) => {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
      });
  }
  await client.workflow.signalWithStart('providerSlots', {
    workflowId: keeperId,
    taskQueue,
    args: [{ provider, limit: request.limit }],
    signal: acquireSlotSignal,
    signalArgs: [request],
  });
}
