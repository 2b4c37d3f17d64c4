import { Context } from '@temporalio/activity';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { FailureTypes, type PollOutput } from '../contracts/generation.js';
import type { TaskHandle } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import { toActivityFailure } from './provider-failure.js';

export interface CheckTaskInput {
  handle: TaskHandle;
  /**
   * Throw a retryable, benign "not ready" failure while the task runs, so the activity's own
   * retry policy is the poll loop: one activity in history however many polls it takes.
   */
  untilDone: boolean;
}

export function createCheckTask(deps: { providers: ProviderRegistry }) {
  return async function checkTask(input: CheckTaskInput): Promise<PollOutput> {
    // Polling stays pinned to the provider that accepted the task.
    const adapter = deps.providers.require(input.handle.provider);
    const context = Context.current();
    let status: Awaited<ReturnType<typeof adapter.status>>;
    try {
      status = await adapter.status(input.handle, { signal: context.cancellationSignal });
    } catch (error) {
      throw toActivityFailure(error, { submit: false });
    }
    const polls = context.info.attempt;
    if (input.untilDone && (status.state === 'queued' || status.state === 'running')) {
      throw ApplicationFailure.create({
        type: FailureTypes.notReady,
        message: `task ${input.handle.taskId} is ${status.state}`,
        category: ApplicationFailureCategory.BENIGN,
      });
    }
    if (status.state === 'succeeded') {
      return {
        status: { state: 'succeeded', videos: status.videos.map((video) => ({ url: video.url })) },
        polls,
      };
    }
    return { status, polls };
  };
}
