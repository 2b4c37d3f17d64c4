import type { temporal } from '@temporalio/proto';
import { describe, expect, it, type TestContext } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

/**
 * What one job costs in history events (Temporal bills actions and caps histories, and every
 * event is replayed on each worker restart). The wait sleeps through most of the render with
 * one timer, then polls with one activity whose retries are the polls: the count stays small
 * and does not grow with the number of polls.
 */

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

interface JobCost {
  events: number;
  timers: number;
  activities: number;
  markers: number;
  checkTaskActivities: number;
  polls: number;
}

describe('history cost of a job', () => {
  /** The test's own fakes and task queue (the two tests wait on renders: they run side by side). */
  async function setUp(onTestFinished: TestContext['onTestFinished']) {
    const context = await createIntegrationContext({ providers: ['hyprlab'], renderMs: 4_000 });
    onTestFinished(() => context.teardown());
    return context;
  }

  async function runJob(
    context: IntegrationContext,
    pollIntervalMs: number,
    label: string,
  ): Promise<JobCost> {
    const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `history-cost-${Math.random().toString(36).slice(2)}`,
      args: [
        {
          request: parseUnifiedRequest({ prompt: 'a cat in a garden', model: 'kling-v1.6' }),
          providers: ['hyprlab'],
          pollIntervalMs,
        } satisfies GenerateVideoInput,
      ],
    });
    const result: GenerationStatus = await handle.result();
    expect(result.status).toBe('succeeded');
    const events = (await handle.fetchHistory()).events ?? [];
    const cost: JobCost = {
      events: events.length,
      timers: count(events, (event) => event.timerStartedEventAttributes),
      activities: count(events, (event) => event.activityTaskScheduledEventAttributes),
      markers: count(events, (event) => event.markerRecordedEventAttributes),
      checkTaskActivities: count(
        events,
        (event) => event.activityTaskScheduledEventAttributes?.activityType?.name === 'checkTask',
      ),
      polls: result.polls,
    };
    console.log(
      `history cost (${label}): ${cost.events} events, ${cost.timers} timers, ${cost.activities} activities, ${cost.markers} markers, ${cost.polls} polls`,
    );
    return cost;
  }

  it.concurrent('stays within 40 events for a 4 s render with an initial wait of 80% and 500 ms polls', async ({
    onTestFinished,
  }) => {
    const context = await setUp(onTestFinished);
    const worker = await context.createWorker({ initialWaitMs: 3_200 });
    const cost = await worker.runUntil(runJob(context, 500, '4 s render, 3.2 s initial wait'));

    expect(cost.events).toBeLessThanOrEqual(40);
    expect(cost.checkTaskActivities).toBe(1);
    // The initial wait is the poll activity's first retry delay: no timer, no workflow task.
    expect(cost.timers).toBe(0);
    // Sleeping through most of the render leaves only the last few polls.
    expect(cost.polls).toBeGreaterThanOrEqual(1);
    expect(cost.polls).toBeLessThanOrEqual(4);
  });

  it.concurrent('does not grow with the number of polls, even with no initial wait', async ({
    onTestFinished,
  }) => {
    const context = await setUp(onTestFinished);
    const worker = await context.createWorker({ initialWaitMs: 0 });
    const fake = context.providers.fakes.hyprlab;
    // The dev server fires timers and activity retries about a second apart at best, so the
    // renders are long enough for ~2 and ~10 polls at that pace (more where it is faster).
    const [few, many] = await worker.runUntil(async () => {
      fake.renderMs = 1_200;
      const few = await runJob(context, 500, 'no initial wait, 1.2 s render');
      fake.renderMs = 9_500;
      const many = await runJob(context, 500, 'no initial wait, 9.5 s render');
      return [few, many];
    });

    expect(few.polls).toBeLessThanOrEqual(3);
    expect(many.polls).toBeGreaterThanOrEqual(few.polls + 5);
    expect(many.events).toBe(few.events);
    expect(many.checkTaskActivities).toBe(1);
    expect(few.checkTaskActivities).toBe(1);
  });
});

/** Events of one kind, told apart by their attributes (set only on events of that type). */
function count(events: HistoryEvent[], kind: (event: HistoryEvent) => unknown): number {
  return events.filter((event) => Boolean(kind(event))).length;
}
