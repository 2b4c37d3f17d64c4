import { type Client, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureTypes,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../contracts/generation.js';
import { statusQuery } from '../contracts/messages.js';
import { DEFAULT_MODE, DEFAULT_MODEL } from '../request/unified-request.js';
import { readWorkflowInput } from './workflow-input.js';

/** A failed job's last status, carried as the details of its GenerationFailed failure. */
export function failureDetails(error: unknown): GenerationStatus | undefined {
  if (!(error instanceof WorkflowFailedError)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure && cause.type === FailureTypes.generationFailed) {
    return cause.details?.[0] as GenerationStatus | undefined;
  }
  return undefined;
}

export function errorMessage(error: unknown): string {
  if (error instanceof WorkflowFailedError && error.cause) return error.cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * A job as Temporal records it, with nothing a worker reports: its id, the model and mode it
 * was started with (the schema's defaults when its input cannot be read), and empty attempts,
 * videos and spend, which callers mark as unknown rather than as nothing.
 */
export function recordedStatus(
  workflowId: string,
  input: GenerateVideoInput | undefined,
  known: Pick<GenerationStatus, 'status' | 'phase' | 'startedAt' | 'elapsedMs'>,
): GenerationStatus {
  return {
    workflowId,
    status: known.status,
    phase: known.phase,
    model: input?.request.model ?? DEFAULT_MODEL,
    mode: input?.request.mode ?? DEFAULT_MODE,
    videos: [],
    attempts: [],
    spend: { usd: 0, byUnit: {}, tasks: [] },
    polls: 0,
    startedAt: known.startedAt,
    elapsedMs: known.elapsedMs,
    warnings: [],
  };
}

/** What is known of a closed job whose status can no longer be read (no worker answered). */
export function minimalStatus(
  workflowId: string,
  status: 'failed' | 'cancelled',
  error: string,
  input?: GenerateVideoInput,
): GenerationStatus {
  return {
    ...recordedStatus(workflowId, input, {
      status,
      phase: 'done',
      startedAt: new Date(0).toISOString(),
      elapsedMs: 0,
    }),
    error,
    // The ledger lives in the job's state, which no worker could read back: not "nothing spent".
    spendUnknown: true,
  };
}

/** A finished job's status from its last query answer, or a minimal record when none is available. */
export async function closedStatus(
  temporal: Client,
  workflowId: string,
  status: 'failed' | 'cancelled',
  error: string,
): Promise<GenerationStatus> {
  try {
    const last = await temporal.workflow.getHandle(workflowId).query(statusQuery);
    return { ...last, status, error: last.error ?? error };
  } catch {
    // At least the request it was started with, rather than the schema's defaults.
    const input = await readWorkflowInput<GenerateVideoInput>(temporal, workflowId).catch(
      () => undefined,
    );
    return minimalStatus(workflowId, status, error, input);
  }
}
