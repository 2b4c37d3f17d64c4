import type { temporal } from '@temporalio/proto';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Tasks of one job that came back only through a timeout: workflow tasks that timed out,
 * activity attempts retried after a timeout, and activities that timed out for good. A healthy
 * server and worker have none. A dev server whose writes queue past its own deadlines records
 * tasks as started that never reach the worker, and each one then costs the job its timeout
 * (10 s for a workflow task, 30 s for a download or a status check), which is what made the
 * steady-state overhead climb (BENCHMARKS.md, section 3).
 */
export function timedOutTasks(events: readonly HistoryEvent[]): number {
  let count = 0;
  for (const event of events) {
    if (event.workflowTaskTimedOutEventAttributes) count += 1;
    if (event.activityTaskTimedOutEventAttributes) count += 1;
    const started = event.activityTaskStartedEventAttributes;
    // The started event is the last attempt's; the attempts before it failed, here by timeout.
    if (started?.lastFailure?.timeoutFailureInfo) count += (started.attempt ?? 1) - 1;
  }
  return count;
}
