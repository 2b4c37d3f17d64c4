import type { NativeConnection } from '@temporalio/worker';
import type { KlingflowWorker } from '../worker.js';

export interface ReadinessReport {
  ready: boolean;
  /** Temporal answered a cheap call within the deadline. */
  temporal: boolean;
  /** Each worker (main, then one per provider task queue) and whether it polls. */
  workers: { name: string; state: string; polling: boolean }[];
}

/** How long `/readyz` waits for Temporal before it says "not ready". */
const TEMPORAL_DEADLINE_MS = 2_000;

/**
 * Ready = Temporal answers on the worker's own connection and every worker runs with its pollers
 * up. A worker whose server went away keeps the RUNNING state while its pollers retry, so the
 * server is asked directly.
 */
export async function checkWorkerReadiness(
  worker: KlingflowWorker | undefined,
  connection: NativeConnection | undefined,
): Promise<ReadinessReport> {
  if (!worker || !connection) return { ready: false, temporal: false, workers: [] };
  const temporal = await connection
    .withDeadline(Date.now() + TEMPORAL_DEADLINE_MS, () =>
      connection.workflowService.getSystemInfo({}),
    )
    .then(
      () => true,
      () => false,
    );
  const named = [
    ['main', worker.main] as const,
    ...[...worker.providerWorkers].map(([id, providerWorker]) => [id, providerWorker] as const),
  ];
  const workers = named.map(([name, each]) => {
    const status = each.getStatus();
    // Provider workers run activities only: their workflow poller never starts.
    const polling =
      status.activityPollerState === 'POLLING' &&
      (name !== 'main' || status.workflowPollerState === 'POLLING');
    return { name, state: status.runState, polling };
  });
  const ready = temporal && workers.every((each) => each.state === 'RUNNING' && each.polling);
  return { ready, temporal, workers };
}
