import { Context } from '@temporalio/activity';
import {
  type Client,
  WorkflowFailedError,
  type WorkflowHandle,
  WorkflowNotFoundError,
} from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  type BatchSpend,
  failureOutcome,
  type GenerationOutcome,
  generationOutcome,
  spendOf,
} from '../contracts/batch.js';
import type { GenerationStatus } from '../contracts/generation.js';
import { statusQuery } from '../contracts/messages.js';
import type { ProviderId } from '../request/unified-request.js';

/** How long a closed job's last status may take to answer (it is replayed by a worker). */
const CLOSED_STATUS_DEADLINE_MS = 10_000;

/**
 * The outcome of a generation that already exists under a batch item's workflow id (a previous
 * run of the batch started it): waits while it runs, heartbeating, then reads its result and
 * its spend. It never starts or submits anything, so re-running a batch cannot pay twice for an
 * item. Polls `describe` rather than holding one long result call, so cancellation is prompt.
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
      if (error instanceof WorkflowFailedError) {
        const outcome = failureOutcome(error.cause ?? error);
        if (!outcome.spendUnknown) return outcome;
        const read = await closedJobSpend(context.client, handle);
        if (!read) return outcome;
        const { spendUnknown: _unknown, ...known } = outcome;
        return read.spend ? { ...known, spend: read.spend } : known;
      }
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

/**
 * What a batch item's earlier job spent when `retryFailed` is about to replace it: the latest
 * run under the item's id, if it closed without success (failed, cancelled, terminated, timed
 * out). A running or completed job is not replaced (the batch awaits it and counts its spend
 * then), so it counts nothing here; nor does an id with no job.
 */
export function createEarlierGenerationSpend() {
  return async function earlierGenerationSpend(input: {
    workflowId: string;
  }): Promise<EarlierSpend> {
    const { client } = Context.current();
    const handle = client.workflow.getHandle(input.workflowId);
    let state: string;
    try {
      state = (await handle.describe()).status.name;
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return {};
      throw error;
    }
    if (state === 'RUNNING' || state === 'COMPLETED') return {};
    try {
      await handle.result();
    } catch (error) {
      if (!(error instanceof WorkflowFailedError)) throw error;
      const cause = error.cause ?? error;
      const outcome = failureOutcome(cause);
      if (!outcome.spendUnknown) {
        const status =
          cause instanceof ApplicationFailure
            ? (cause.details?.[0] as GenerationStatus | undefined)
            : undefined;
        return {
          ...(outcome.spend ? { spend: outcome.spend } : {}),
          ...paidTaskOf(status),
        };
      }
    }
    return (await closedJobSpend(client, handle)) ?? { unknown: true };
  };
}

/** What an item's earlier job spent, and whether it holds a task paid for but not delivered. */
export interface EarlierSpend {
  spend?: BatchSpend;
  unknown?: boolean;
  /**
   * A task of that job the provider may have billed without the job delivering its video (an
   * ambiguous submit, a render whose download failed, or a task the job gave up while it still
   * rendered: past a deadline, stuck, or cancelled at a provider that could not stop it):
   * running the item again pays again, so `retryFailed` leaves it unless `retryPaid`.
   */
  paidTask?: { provider: ProviderId; why: 'ambiguous-submit' | 'download-failed' | 'abandoned' };
}

function paidTaskOf(status: GenerationStatus | undefined): Pick<EarlierSpend, 'paidTask'> {
  for (const { provider, errorKind, outcome, providerTaskId } of status?.attempts ?? []) {
    if (errorKind === 'ambiguous-submit' || errorKind === 'download-failed')
      return { paidTask: { provider, why: errorKind } };
    // A job stopped from outside (terminated, timed out) runs no code to settle its attempt: one
    // still running without a task id was submitting, and the provider may have taken it. One
    // that waited for a provider slot had submitted nothing.
    const waitedForSlot = status?.waitingForSlot?.provider === provider;
    if (outcome === 'running' && !providerTaskId && !waitedForSlot)
      return { paidTask: { provider, why: 'ambiguous-submit' } };
  }
  // A task stopped at its provider renders no more; any other one given up may still bill.
  const givenUp = status?.spend?.tasks.find(
    (task) =>
      (task.outcome === 'abandoned' || task.outcome === 'rendering') &&
      task.cancelAttempt !== 'cancelled',
  );
  return givenUp ? { paidTask: { provider: givenUp.provider, why: 'abandoned' } } : {};
}

/** A closed job's spend from its last status (the query replays it); undefined if unreadable. */
async function closedJobSpend(
  client: Client,
  handle: WorkflowHandle,
): Promise<EarlierSpend | undefined> {
  try {
    const status = await client.withDeadline(Date.now() + CLOSED_STATUS_DEADLINE_MS, () =>
      handle.query(statusQuery),
    );
    const spend = spendOf(status);
    return { ...(spend ? { spend } : {}), ...paidTaskOf(status) };
  } catch {
    return undefined;
  }
}
