import { createHash } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type {
  FindTaskInput,
  FindTaskOutput,
  SubmitInput,
  SubmitOutput,
} from '../contracts/generation.js';
import { FailureTypes } from '../contracts/generation.js';
import { SUBMIT_HEARTBEAT_EVERY_MS } from '../contracts/task-queues.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ImageResolverFactory } from '../storage/image-resolver.js';
import { toActivityFailure } from './provider-failure.js';
import { abortSignalIgnoringShutdown } from './worker-shutdown.js';

export interface SubmitDependencies {
  providers: ProviderRegistry;
  images: ImageResolverFactory;
  /** Per-task callback URL when webhooks are on; undefined otherwise. */
  callbackUrl?: (workflowId: string, attempt: number) => string | undefined;
}

/**
 * Same run and attempt → same key, so a re-sent submit is recognised by the provider. The run
 * id makes a new run of the same workflow id (a batch `--retry-failed`) a new request: with the
 * old key the provider would hand back the old task. Jobs started before runs were part of the
 * key pass none and keep the key they submitted with.
 */
export function externalTaskIdFor(workflowId: string, attempt: number, runId?: string): string {
  const source =
    runId === undefined ? `${workflowId}/${attempt}` : `${workflowId}/${runId}/${attempt}`;
  return `kf-${createHash('sha256').update(source).digest('hex').slice(0, 32)}`;
}

export function createSubmitTask(deps: SubmitDependencies) {
  async function submitTask(input: SubmitInput): Promise<SubmitOutput> {
    const context = Context.current();
    const adapter = deps.providers.require(input.provider);
    const callbackUrl = adapter.capabilities.callbacks
      ? deps.callbackUrl?.(input.workflowId, input.attempt)
      : undefined;
    // A worker stopping gracefully lets the submit finish (its grace covers the submit's
    // start-to-close), so the task the provider creates is recorded, not orphaned.
    const signal = abortSignalIgnoringShutdown(context);
    // One resolver per submit: images it loads are dropped with it, and fetches stop on cancel.
    const images = deps.images({
      signal,
      providerName: input.provider,
      fields: { startImage: input.request.startImage, endImage: input.request.endImage },
    });
    // Heartbeats while the provider answers, so a worker that dies mid-submit is noticed after
    // the heartbeat timeout rather than the whole start-to-close. Not at once: the timeout runs
    // from the start anyway, and each heartbeat is a billable action most submits never need.
    const beating = setInterval(() => context.heartbeat(), SUBMIT_HEARTBEAT_EVERY_MS);
    try {
      const submitted = await adapter.submit(input.request, {
        signal,
        images,
        externalTaskId: externalTaskIdFor(input.workflowId, input.attempt, input.runId),
        ...(callbackUrl ? { callbackUrl } : {}),
      });
      return { ...submitted, callbackExpected: callbackUrl !== undefined, acceptedAt: Date.now() };
    } catch (error) {
      throw toActivityFailure(error, { submit: true });
    } finally {
      clearInterval(beating);
    }
  }

  /**
   * Resolves an ambiguous submit by the idempotency key: found or absent. A lookup that cannot
   * tell (network, 5xx, auth) throws, is retried by the activity's retry policy like any GET, and
   * after that is "unknown" to the workflow, which then never re-sends.
   */
  async function findTask(input: FindTaskInput): Promise<FindTaskOutput> {
    const adapter = deps.providers.require(input.provider);
    if (!adapter.findTask) {
      throw ApplicationFailure.create({
        type: FailureTypes.providerUnavailable,
        message: `${input.provider} cannot look tasks up by idempotency key`,
        nonRetryable: true,
      });
    }
    // The same per-attempt callback URL the submit carried: an adopt-only lookup matches on it.
    const callbackUrl = adapter.capabilities.callbacks
      ? deps.callbackUrl?.(input.workflowId, input.attempt)
      : undefined;
    let found: Awaited<ReturnType<NonNullable<typeof adapter.findTask>>>;
    try {
      found = await adapter.findTask(
        externalTaskIdFor(input.workflowId, input.attempt, input.runId),
        input.request,
        { signal: Context.current().cancellationSignal, ...(callbackUrl ? { callbackUrl } : {}) },
      );
    } catch (error) {
      throw toActivityFailure(error, { submit: false });
    }
    if (!found) return { outcome: 'absent' };
    const callbackExpected = callbackUrl !== undefined;
    return { outcome: 'found', task: { ...found, callbackExpected } };
  }

  return { submitTask, findTask };
}
