import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ImageResolverFactory } from '../storage/image-resolver.js';
import type { FindTaskInput, SubmitInput, SubmitOutput } from '../workflows/generation-types.js';
import { FailureTypes } from '../workflows/generation-types.js';
import { toActivityFailure } from './provider-failure.js';

export interface SubmitDependencies {
  providers: ProviderRegistry;
  images: ImageResolverFactory;
  /** Per-task callback URL when webhooks are on; undefined otherwise. */
  callbackUrl?: (workflowId: string, attempt: number) => string | undefined;
}

/** Same workflow and attempt → same key, so a re-sent submit is recognised by the provider. */
export function externalTaskIdFor(workflowId: string, attempt: number): string {
  return `kf-${createHash('sha256').update(`${workflowId}/${attempt}`).digest('hex').slice(0, 32)}`;
}

export function createSubmitTask(deps: SubmitDependencies) {
  async function submitTask(input: SubmitInput): Promise<SubmitOutput> {
    const adapter = deps.providers.require(input.provider);
    const callbackUrl = adapter.capabilities.callbacks
      ? deps.callbackUrl?.(input.workflowId, input.attempt)
      : undefined;
    const signal = Context.current().cancellationSignal;
    // One resolver per submit: images it loads are dropped with it, and fetches stop on cancel.
    const images = deps.images({
      signal,
      providerName: input.provider,
      fields: { startImage: input.request.startImage, endImage: input.request.endImage },
    });
    try {
      const submitted = await adapter.submit(input.request, {
        signal,
        images,
        externalTaskId: externalTaskIdFor(input.workflowId, input.attempt),
        ...(callbackUrl ? { callbackUrl } : {}),
      });
      return { ...submitted, callbackExpected: callbackUrl !== undefined };
    } catch (error) {
      throw toActivityFailure(error, { submit: true });
    }
  }

  /** Resolves an ambiguous submit by the idempotency key; null when the task does not exist. */
  async function findTask(input: FindTaskInput): Promise<SubmitOutput | null> {
    const adapter = deps.providers.require(input.provider);
    if (!adapter.findTask) {
      throw ApplicationFailure.create({
        type: FailureTypes.providerUnavailable,
        message: `${input.provider} cannot look tasks up by idempotency key`,
        nonRetryable: true,
      });
    }
    try {
      const found = await adapter.findTask(
        externalTaskIdFor(input.workflowId, input.attempt),
        input.request,
        {
          signal: Context.current().cancellationSignal,
        },
      );
      const callbackExpected =
        adapter.capabilities.callbacks &&
        deps.callbackUrl?.(input.workflowId, input.attempt) !== undefined;
      return found ? { ...found, callbackExpected } : null;
    } catch (error) {
      throw toActivityFailure(error, { submit: false });
    }
  }

  return { submitTask, findTask };
}
