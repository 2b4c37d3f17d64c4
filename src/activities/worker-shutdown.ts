import type { Context } from '@temporalio/activity';

/**
 * The SDK cancels an activity for two unrelated reasons: the job was cancelled (or the activity
 * timed out), or this worker is stopping (`shutdown()`, SIGTERM). Both abort
 * `cancellationSignal` with a CancelledFailure; a shutdown's message is `WORKER_SHUTDOWN`
 * (@temporalio/worker: `activity.cancel('WORKER_SHUTDOWN', …)`, also the core reason's name).
 */
export function cancelledByShutdown(context: Context): boolean {
  if (context.cancellationDetails?.workerShutdown) return true;
  const reason: unknown = context.cancellationSignal.reason;
  return reason instanceof Error && reason.message === 'WORKER_SHUTDOWN';
}

/**
 * A signal that follows the activity's cancellation except a worker shutdown. A submit must run
 * to its end when the worker stops gracefully: aborted halfway, the provider may already have
 * created (and billed) the task while the job only sees a failure.
 */
export function abortSignalIgnoringShutdown(context: Context): AbortSignal {
  const controller = new AbortController();
  const follow = () => {
    if (!cancelledByShutdown(context)) controller.abort(context.cancellationSignal.reason);
  };
  if (context.cancellationSignal.aborted) follow();
  else context.cancellationSignal.addEventListener('abort', follow, { once: true });
  return controller.signal;
}
