import { Context } from '@temporalio/activity';
import { acquireSlotSignal, type SlotRequest } from '../contracts/messages.js';
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
 */
export async function requestProviderSlot(input: RequestSlotInput): Promise<void> {
  const { provider, taskQueue, ...request } = input;
  await Context.current().client.workflow.signalWithStart('providerSlots', {
    workflowId: providerSlotsWorkflowId(taskQueue, provider),
    taskQueue,
    args: [{ provider, limit: request.limit }],
    signal: acquireSlotSignal,
    signalArgs: [request],
  });
}
