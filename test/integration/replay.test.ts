import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import { historyFromJson, historyWorkflowId } from '../../scripts/record-histories.js';
import { replaySinks } from '../../src/observability/worker-telemetry.js';

/**
 * Jobs run for minutes; a worker deployed in the middle of one replays its history with the new
 * code. These tests replay the histories recorded by scripts/record-histories.ts (one per path
 * the workflow can take) against the workflow code of this checkout, so a change that would
 * break running jobs fails CI instead of production. Make such changes with `patched()`.
 */

const HISTORIES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

interface JsonEvent {
  eventType: string;
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  activityTaskStartedEventAttributes?: { attempt?: number };
  [attributes: string]: unknown;
}

interface JsonHistory {
  events: JsonEvent[];
}

/** What each recorded path must show, so a fixture re-recorded wrongly is caught as well. */
const PATHS: Record<
  string,
  { closedBy: string; activities: string[]; shows: (events: JsonEvent[]) => boolean }
> = {
  succeeded: {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: ['submitTask', 'checkTask', 'downloadVideo'],
    shows: (events) => count(events, 'EVENT_TYPE_MARKER_RECORDED') >= 2, // planRoute, storeVideo
  },
  'failover-credits': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: ['submitTask', 'submitTask', 'checkTask', 'downloadVideo'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED') === 1,
  },
  'content-rejected': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED',
    activities: ['submitTask', 'checkTask'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED') === 2,
  },
  'ambiguous-submit-recovered': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: ['submitTask', 'findTask', 'checkTask', 'downloadVideo'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED') === 1,
  },
  'stuck-attempt-deadline': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: ['submitTask', 'checkTask', 'submitTask', 'checkTask', 'downloadVideo'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT') === 1,
  },
  cancelled: {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
    activities: ['submitTask'],
    shows: (events) => count(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED') === 1,
  },
  'callback-while-running': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    // The poll cancelled by the callback, the confirming status call, the poll resumed.
    activities: ['submitTask', 'checkTask', 'checkTask', 'checkTask', 'downloadVideo'],
    shows: (events) =>
      count(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED') === 1 &&
      count(events, 'EVENT_TYPE_ACTIVITY_TASK_CANCELED') === 1,
  },
  'poll-transient-errors': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: ['submitTask', 'checkTask', 'downloadVideo'],
    // Two 500s and the success are three attempts of one poll activity.
    shows: (events) =>
      events.some(
        (event) =>
          event.eventType === 'EVENT_TYPE_ACTIVITY_TASK_STARTED' &&
          (event.activityTaskStartedEventAttributes?.attempt ?? 1) >= 3,
      ),
  },
};

const recorded = readdirSync(HISTORIES)
  .filter((file) => file.endsWith('.json'))
  .map((file) => file.replace(/\.json$/, ''))
  .sort();

function load(name: string): JsonHistory {
  return JSON.parse(readFileSync(join(HISTORIES, `${name}.json`), 'utf8')) as JsonHistory;
}

function count(events: JsonEvent[], eventType: string): number {
  return events.filter((event) => event.eventType === eventType).length;
}

function replayOptions(): ReplayWorkerOptions {
  // The workflow code of this checkout, bundled once per run by test/setup.
  return { workflowBundle: { codePath: inject('workflowBundlePath') }, sinks: replaySinks() };
}

function replay(name: string, history: JsonHistory): Promise<void> {
  return Worker.runReplayHistory(
    replayOptions(),
    historyFromJson(history),
    historyWorkflowId(name),
  );
}

describe('recorded workflow histories', () => {
  it('cover every path a job can take', () => {
    expect(recorded).toEqual(expect.arrayContaining(Object.keys(PATHS)));
  });

  it.each(Object.keys(PATHS))('%s records the path it is named after', (name) => {
    const { events } = load(name);
    const expected = PATHS[name]!;
    expect(events.at(-1)?.eventType).toBe(expected.closedBy);
    expect(
      events.flatMap(
        (event) => event.activityTaskScheduledEventAttributes?.activityType.name ?? [],
      ),
    ).toEqual(expected.activities);
    expect(expected.shows(events)).toBe(true);
  });
});

describe('replaying recorded histories against the current workflow code', () => {
  it.each(recorded)('%s replays without a determinism error', async (name) => {
    await expect(replay(name, load(name))).resolves.toBeUndefined();
  });

  it('fails when the code no longer matches a history, as a breaking change would', async () => {
    // As if a new version scheduled a differently named activity where running jobs have
    // `submitTask`: the history is changed here, since the code under test cannot be.
    const history = load('succeeded');
    const submit = history.events.find(
      (event) => event.activityTaskScheduledEventAttributes?.activityType.name === 'submitTask',
    );
    submit!.activityTaskScheduledEventAttributes!.activityType.name = 'submitTaskV0';

    const error = await replay('succeeded', history).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(DeterminismViolationError);
    expect((error as Error).message).toMatch(/submitTask/);
  });
});
