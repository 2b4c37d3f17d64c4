import { fileURLToPath } from 'node:url';
import type { WorkflowHandle } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { bundleWorkflowCode } from '@temporalio/worker';
import { GENERATE_VIDEO_WORKFLOW } from '../src/contracts/generation.js';
import { initialJobSearchAttributes } from '../src/contracts/search-attributes.js';
import { parseUnifiedRequest } from '../src/request/parse-request.js';
import { countServerActions } from './lib/server-actions.js';
import { startWorkerWithFakes } from './lib/worker-with-fakes.js';

export interface HistoryCost {
  variant: string;
  events: number;
  polls: number;
  timers: number;
  activities: number;
  activityAttempts: number;
  localActivities: number;
  signals: number;
  /** Search-attribute upserts (the SDK's TemporalChangeVersion for patches included). */
  upserts: number;
  /** Temporal Cloud-style billable actions: start, timers, activity attempts, local activities, signals, upserts. */
  billableActions: number;
  /** The server's own count (its `action` metric): the above and heartbeats, which leave no event. */
  serverActions?: number;
  heartbeats?: number;
}

const EventType = {
  timerStarted: 'EVENT_TYPE_TIMER_STARTED',
  activityScheduled: 'EVENT_TYPE_ACTIVITY_TASK_SCHEDULED',
  activityStarted: 'EVENT_TYPE_ACTIVITY_TASK_STARTED',
  marker: 'EVENT_TYPE_MARKER_RECORDED',
  signaled: 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED',
  upsert: 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
} as const;

/**
 * What one job costs in history events and billable actions for a render of `renderSeconds`,
 * polled every `pollSeconds` the way a real deployment would. Time is scaled down by `scale`
 * (a 4-minute render takes 4 s at 1/60); event and action counts do not depend on the scale.
 */
export async function measureHistoryCost(options: {
  address: string;
  metricsUrl: string;
  renderSeconds: number;
  pollSeconds: number;
  scale: number;
}): Promise<HistoryCost[]> {
  const renderMs = (options.renderSeconds * 1000) / options.scale;
  const pollMs = Math.max(10, (options.pollSeconds * 1000) / options.scale);
  const typicalRenderMs = (210 * 1000) / options.scale;
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('./naive/workflows.ts', import.meta.url)),
    logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: console.error },
  });
  const request = parseUnifiedRequest({ prompt: 'cost', model: 'kling-v1.6' });
  const results: HistoryCost[] = [];
  for (const variant of ['polled', 'webhook', 'naive'] as const) {
    const { client, worker, taskQueue, close } = await startWorkerWithFakes({
      address: options.address,
      name: 'cost',
      providers: ['kling'],
      renderMs,
      pollIntervalMs: pollMs,
      initialWaitMs: Math.round(typicalRenderMs * 0.8),
      webhooks: variant === 'webhook',
      workflowBundle: bundle,
    });
    try {
      const { result: cost, actions } = await countServerActions(options.metricsUrl, () =>
        worker.runUntil(async () => {
          const handle =
            variant === 'naive'
              ? await client.workflow.start('naiveGenerate', {
                  taskQueue,
                  workflowId: `${taskQueue}-naive`,
                  args: [{ request, providers: ['kling'], intervalMs: pollMs }],
                })
              : await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
                  taskQueue,
                  workflowId: `${taskQueue}-${variant}`,
                  // With webhooks the wait is one long timer that the callback cuts short.
                  args: [
                    {
                      request,
                      providers: ['kling'],
                      ...(variant === 'webhook' ? { pollIntervalMs: 60 * pollMs } : {}),
                    },
                  ],
                  // As the klingflow client starts a job: its first search attributes with it.
                  typedSearchAttributes: initialJobSearchAttributes(request.model),
                });
          await handle.result();
          const label = {
            polled: 'klingflow, polled',
            webhook: 'klingflow, webhook',
            naive: 'naive 10 s sleep/poll loop',
          }[variant];
          return costOf(label, handle);
        }),
      );
      results.push({ ...cost, serverActions: actions.total, heartbeats: actions.heartbeats });
    } finally {
      await close();
    }
  }
  return results;
}

export async function costOf(variant: string, handle: WorkflowHandle): Promise<HistoryCost> {
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const typeName = (event: temporal.api.history.v1.IHistoryEvent) => eventTypeName(event.eventType);
  const count = (type: string) => events.filter((event) => typeName(event) === type).length;
  const started = events.filter((event) => typeName(event) === EventType.activityStarted);
  const activityAttempts = started.reduce(
    (total, event) => total + (event.activityTaskStartedEventAttributes?.attempt ?? 1),
    0,
  );
  const pollAttempts = started
    .filter((event) => {
      const scheduled = events.find(
        (candidate) =>
          candidate.eventId?.toString() ===
          event.activityTaskStartedEventAttributes?.scheduledEventId?.toString(),
      );
      return scheduled?.activityTaskScheduledEventAttributes?.activityType?.name === 'checkTask';
    })
    .reduce((total, event) => total + (event.activityTaskStartedEventAttributes?.attempt ?? 1), 0);
  const localActivities = events.filter(
    (event) => event.markerRecordedEventAttributes?.markerName === 'core_local_activity',
  ).length;
  const timers = count(EventType.timerStarted);
  const signals = count(EventType.signaled);
  const upserts = count(EventType.upsert);
  return {
    variant,
    events: events.length,
    polls: pollAttempts,
    timers,
    activities: count(EventType.activityScheduled),
    activityAttempts,
    localActivities,
    signals,
    upserts,
    billableActions: 1 + timers + activityAttempts + localActivities + signals + upserts,
  };
}

function eventTypeName(type: unknown): string {
  if (typeof type === 'string') return type;
  return EVENT_TYPE_NAMES[Number(type)] ?? String(type);
}

// Numeric event types from temporal.api.enums.v1.EventType, for the ones counted here.
const EVENT_TYPE_NAMES: Record<number, string> = {
  10: EventType.activityScheduled,
  11: EventType.activityStarted,
  17: EventType.timerStarted,
  25: EventType.marker,
  26: EventType.signaled,
  40: EventType.upsert,
};
