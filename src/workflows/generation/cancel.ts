import { ActivityFailure, CancellationScope, patched } from '@temporalio/workflow';
import type { CancelAttemptOutcome, RouteEntry } from '../../contracts/generation.js';
import type { TaskHandle } from '../../providers/provider.js';
import type { Job } from './job.js';
import { recordCancelAttempt, settleAttempt, taskOfAttempt } from './ledger.js';
import { providerActivities } from './provider-activities.js';

/** The accepted task the job is watching, so a cancelled job can stop it at the provider. */
export interface WatchedTask {
  entry: RouteEntry;
  handle: TaskHandle;
  attempt: number;
}

/**
 * Asks the provider to stop a task the job gave up on (an abandoned stuck task, a cancelled
 * job) and records the answer in the ledger entry. Only providers with a cancel call are asked;
 * the others keep rendering and bill, and their entry says nothing. Runs in a non-cancellable
 * scope: a job being cancelled still gets its task cancelled. Never fails the job.
 */
export async function cancelAtProvider(job: Job, watched: WatchedTask): Promise<void> {
  // Jobs recorded before this call existed must replay without it.
  if (!watched.entry.cancellable || !(job.version >= 3 || patched('provider-cancel'))) return;
  const { cancelTask } = providerActivities(watched.handle.provider);
  let outcome: CancelAttemptOutcome;
  try {
    outcome = (await CancellationScope.nonCancellable(() => cancelTask({ handle: watched.handle })))
      .outcome;
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    outcome = 'failed';
  }
  recordCancelAttempt(job.status.spend, watched.attempt, outcome);
}

/**
 * A cancelled job: the task it was still waiting for is abandoned in the ledger and, where the
 * provider has a cancel call, cancelled there. A task already delivered or ended is left alone.
 */
export async function cancelWatchedTask(job: Job): Promise<void> {
  const watched = job.watched;
  if (job.version < 2 || !watched) return;
  if (taskOfAttempt(job.status.spend, watched.attempt)?.outcome !== 'rendering') return;
  settleAttempt(job.status.spend, watched.attempt, 'abandoned');
  await cancelAtProvider(job, watched);
}
