import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { type CancelTaskOutput, FailureTypes } from '../contracts/generation.js';
import type { TaskHandle } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { toActivityFailure } from './provider-failure.js';

export interface CancelTaskInput {
  handle: TaskHandle;
}

/**
 * Asks the provider that holds a task to stop it (a cancelled job, an abandoned stuck task), so
 * it stops rendering and, where the provider allows, billing. A transient failure is retried by
 * the activity's bounded retry policy; anything else ends it, and the workflow records `failed`.
 */
export function createCancelTask(deps: { providers: ProviderRegistry }) {
  return async function cancelTask(input: CancelTaskInput): Promise<CancelTaskOutput> {
    const adapter = deps.providers.require(input.handle.provider);
    if (!adapter.cancel) {
      // The route only schedules this for providers with a cancel call; a worker configured
      // differently since is not worth retrying.
      throw ApplicationFailure.create({
        type: FailureTypes.providerUnavailable,
        message: `${input.handle.provider} has no cancel call`,
        nonRetryable: true,
      });
    }
    try {
      const result = await adapter.cancel(input.handle, {
        signal: Context.current().cancellationSignal,
      });
      return { outcome: result.outcome };
    } catch (error) {
      throw toActivityFailure(error, { submit: false });
    }
  };
}
