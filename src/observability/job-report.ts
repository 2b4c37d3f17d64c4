/**
 * What a finished job contributes to the metrics, reduced from its final status inside the
 * workflow (so only ids, kinds and amounts cross to the worker, never prompts or URLs). Pure
 * functions and types only: this module is bundled into workflow code.
 */
import type { Sink, Sinks } from '@temporalio/workflow';
import type { GenerationStatus } from '../contracts/generation.js';

export type JobOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface JobReport {
  model: string;
  mode: string;
  /** The provider of the last attempt; `none` when no provider was tried. */
  provider: string;
  outcome: JobOutcome;
  /** One per move to the next provider after an attempt that was tried and failed. */
  failovers: { from: string; to: string; reason: string }[];
  /** Estimated cost of every task a provider created (or may have created) for the job. */
  spend: { provider: string; unit: string; amount: number }[];
}

/** Called from the workflow interceptor; each function is one event the worker's metrics read. */
export interface JobEventSink extends Sink {
  /** A provider accepted task `taskId` (idempotent per run and task: replays may repeat it). */
  taskAccepted(provider: string, taskId: string): void;
  /** The task reached a final state or was given up (idempotent, like taskAccepted). */
  taskSettled(taskId: string): void;
  /** Submit-accepted to finished, as the workflow saw it (only once: never during replay). */
  taskRendered(provider: string, state: string, seconds: number): void;
  /** The job's run ended: every task of the run is settled (idempotent). */
  runEnded(): void;
  /** The job's final report (only once: never during replay). */
  jobEnded(report: JobReport): void;
}

export interface KlingflowSinks extends Sinks {
  klingflowJobs: JobEventSink;
}

/** The report of a job that ended with `status` (its result, or the failure's details). */
export function reportJob(status: GenerationStatus, outcome: JobOutcome): JobReport {
  const tried = status.attempts.filter((attempt) => attempt.outcome !== 'skipped');
  const failovers = tried.slice(1).map((attempt, index) => {
    const previous = tried[index];
    return {
      from: previous?.provider ?? 'none',
      to: attempt.provider,
      reason: previous?.errorKind ?? 'unknown',
    };
  });
  return {
    model: status.model,
    mode: status.mode ?? '',
    provider: status.provider ?? 'none',
    outcome,
    failovers,
    spend: spendOf(status),
  };
}

/**
 * The spend ledger when the workflow keeps one; for workflow code that predates it (running
 * jobs replayed by a newer worker), the attempts whose task a provider accepted.
 */
function spendOf(status: GenerationStatus): JobReport['spend'] {
  const ledger = status.spend?.tasks ?? [];
  if (ledger.length > 0) {
    return ledger.map((task) => ({
      provider: task.provider,
      unit: task.estimatedCost.unit,
      amount: task.estimatedCost.amount,
    }));
  }
  return status.attempts.flatMap((attempt) =>
    attempt.providerTaskId && attempt.estimatedCost
      ? [
          {
            provider: attempt.provider,
            unit: attempt.estimatedCost.unit,
            amount: attempt.estimatedCost.amount,
          },
        ]
      : [],
  );
}

/**
 * A job that ended without a final status (cancelled): what the interceptor saw of it, the
 * tasks providers accepted priced as the route priced them.
 */
export function bareReport(
  request: { model: string; mode?: string } | undefined,
  outcome: JobOutcome,
  provider: string | undefined,
  spend: JobReport['spend'],
): JobReport {
  return {
    model: request?.model ?? 'unknown',
    mode: request?.mode ?? '',
    provider: provider ?? 'none',
    outcome,
    failovers: [],
    spend,
  };
}
