import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  failureOutcome,
  type GenerationOutcome,
  generationOutcome,
} from '../workflows/batch-types.js';
import type { GenerationStatus } from '../workflows/generation-types.js';

/**
 * The outcome of a generation that already exists under a batch item's workflow id (a previous
 * run of the batch started it): waits while it runs, heartbeating, then reads its result. It
 * never starts or submits anything, so re-running a batch cannot pay twice for an item.
 * Polls `describe` rather than holding one long result call, so cancellation is prompt.
 */
export function createAwaitExistingGeneration(options: { checkIntervalMs?: number } = {}) {
  const checkIntervalMs = options.checkIntervalMs ?? 5_000;
  return async function awaitExistingGeneration(input: {
    workflowId: string;
  }): Promise<GenerationOutcome> {
    const context = Context.current();
    const handle = context.client.workflow.getHandle(input.workflowId);
    try {
      for (;;) {
        const description = await handle.describe();
        if (description.status.name !== 'RUNNING') break;
        context.heartbeat();
        await context.sleep(checkIntervalMs);
      }
      return generationOutcome((await handle.result()) as GenerationStatus);
    } catch (error) {
      if (error instanceof WorkflowFailedError) return failureOutcome(error.cause ?? error);
      if (error instanceof WorkflowNotFoundError) {
        throw ApplicationFailure.nonRetryable(
          `workflow ${input.workflowId} was reported as existing but cannot be found`,
          'ExistingGenerationNotFound',
        );
      }
      throw error;
    }
  };
}
