import type { InjectedSinks } from '@temporalio/worker';
import type { KlingflowSinks } from './job-report.js';
import type { KlingflowMetrics } from './klingflow-metrics.js';

/** Forget an in-flight task after this long (its run moved to another worker, or was terminated). */
const IN_FLIGHT_TTL_MS = 24 * 60 * 60_000;

/**
 * The worker's side of the `klingflowJobs` sink (job-metrics-workflow-interceptor.ts). Counters
 * are fed only outside replay, so a job replayed after a restart counts once. The in-flight set
 * is fed during replay too, keyed by run and task, so a restarted worker rebuilds it from the
 * histories it replays and a repeated event changes nothing.
 */
export function jobEventSinks(metrics: KlingflowMetrics): InjectedSinks<KlingflowSinks> {
  const key = (runId: string, taskId: string) => `${runId}/${taskId}`;
  return {
    klingflowJobs: {
      taskAccepted: {
        fn: (info, provider, taskId) => {
          forgetStale(metrics.inFlight);
          metrics.inFlight.set(key(info.runId, taskId), { provider, since: Date.now() });
        },
        callDuringReplay: true,
      },
      taskSettled: {
        fn: (info, taskId) => void metrics.inFlight.delete(key(info.runId, taskId)),
        callDuringReplay: true,
      },
      runEnded: {
        fn: (info) => {
          for (const each of metrics.inFlight.keys())
            if (each.startsWith(`${info.runId}/`)) metrics.inFlight.delete(each);
        },
        callDuringReplay: true,
      },
      taskRendered: {
        fn: (_info, provider, state, seconds) => metrics.taskRendered(provider, state, seconds),
        callDuringReplay: false,
      },
      jobEnded: {
        fn: (_info, report) => metrics.jobEnded(report),
        callDuringReplay: false,
      },
    },
  };
}

function forgetStale(inFlight: Map<string, { since: number }>): void {
  const cutoff = Date.now() - IN_FLIGHT_TTL_MS;
  for (const [each, task] of inFlight) if (task.since < cutoff) inFlight.delete(each);
}
