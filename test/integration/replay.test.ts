import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ReplayWorkerOptions, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { describe, expect, inject, it } from 'vitest';
import { BATCH_PATHS, historyFromJson, historyWorkflowId } from '../../scripts/record-histories.js';
import { discardingSinks } from '../../src/observability/worker-telemetry.js';
import { patchIdOf } from '../support/patch-markers.js';

/**
 * Jobs run for minutes; a worker deployed in the middle of one replays its history with the new
 * code. These tests replay the histories recorded by scripts/record-histories.ts (one per path
 * the workflow can take) against the workflow code of this checkout, so a change that would
 * break running jobs fails CI instead of production. Make such changes with `patched()`.
 */

const HISTORIES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
/** Recorded with `--version v2` before `patched('store-in-download')`. */
const V2_HISTORIES = fileURLToPath(new URL('../fixtures/histories/v2/', import.meta.url));
/** Recorded after `patched('store-in-download')` (download and store in one activity). */
const V3_HISTORIES = fileURLToPath(new URL('../fixtures/histories/v3/', import.meta.url));
/** Recorded on `patched('job-v3')`, before `job-v4`. */
const V4_HISTORIES = fileURLToPath(new URL('../fixtures/histories/v4/', import.meta.url));
/** Recorded on `patched('job-v4')`, before `job-v5`. */
const V5_HISTORIES = fileURLToPath(new URL('../fixtures/histories/v5/', import.meta.url));
/** Recorded on `patched('job-v5')`, before `job-v6`. */
const V6_HISTORIES = fileURLToPath(new URL('../fixtures/histories/v6/', import.meta.url));
/** The current version, `patched('job-v6')`: `npm run histories:record`. */
const V7_HISTORIES = fileURLToPath(new URL('../fixtures/histories/v7/', import.meta.url));

interface JsonEvent {
  eventType: string;
  markerRecordedEventAttributes?: {
    markerName: string;
    details?: Record<string, { payloads?: { data?: string }[] }>;
  };
  activityTaskScheduledEventAttributes?: { activityType: { name: string } };
  activityTaskStartedEventAttributes?: { attempt?: number };
  [attributes: string]: unknown;
}

interface JsonHistory {
  events: JsonEvent[];
}

type PathExpectations = Record<
  string,
  {
    closedBy: string;
    activities: string[];
    /** `implied`: patch ids a single recorded patch stands for (see JOB_V3_PATCHES). */
    shows: (events: JsonEvent[], implied?: string[]) => boolean;
  }
>;

/** What each recorded path must show, so a fixture re-recorded wrongly is caught as well. */
const PATHS: PathExpectations = {
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

/** The current version's paths (scripts/record-histories.ts V2_PATHS). */
const V2_PATHS: PathExpectations = {
  succeeded: {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: ['submitTask', 'checkTask', 'downloadVideo'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED') === 3,
  },
  'failover-provider-failed': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    // The first task is reported failed by its provider (a completed checkTask), then the next.
    activities: ['submitTask', 'checkTask', 'submitTask', 'checkTask', 'downloadVideo'],
    shows: (events) =>
      count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED') === 0 &&
      count(events, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED') === 5,
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
  'ambiguous-submit-not-idempotent': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED',
    // No lookup at HyprLab: never re-sent, never failed over to the second provider.
    activities: ['submitTask'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED') === 1,
  },
  'pinned-status-errors': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    // Two failed status calls on the accepted task, then it is delivered: no second submit.
    activities: ['submitTask', 'checkTask', 'checkTask', 'checkTask', 'downloadVideo'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED') === 2,
  },
  'stuck-failover-opt-in': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    // The stuck task's poll times out at failoverStuckAfterMs; the next provider delivers.
    activities: ['submitTask', 'checkTask', 'submitTask', 'checkTask', 'downloadVideo'],
    shows: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT') === 1,
  },
  cancelled: {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
    activities: ['submitTask'],
    shows: (events) => count(events, 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCEL_REQUESTED') === 1,
  },
  'cancelled-at-provider': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED',
    activities: ['submitTask', 'cancelTask'],
    shows: (events, implied) => patchesOf(events, implied).includes('provider-cancel'),
  },
  'callback-while-running': PATHS['callback-while-running']!,
  'poll-transient-errors': PATHS['poll-transient-errors']!,
};

/**
 * The v2 paths with the video downloaded and stored by one activity, `downloadVideoToStorage`,
 * and never by a `storeVideo` local activity, which could run on a host without the staged file.
 */
const V3_PATHS: PathExpectations = Object.fromEntries(
  Object.entries(V2_PATHS).map(([name, expected]) => [
    name,
    {
      ...expected,
      activities: expected.activities.map((type) =>
        type === 'downloadVideo' ? 'downloadVideoToStorage' : type,
      ),
      shows: (events: JsonEvent[]) =>
        expected.shows(events) &&
        !localActivitiesOf(events).includes('storeVideo') &&
        patchesOf(events).includes('store-in-download') ===
          expected.activities.includes('downloadVideo'),
    },
  ]),
);

/**
 * The v3 paths started on `job-v3`: one patch stands for every change so far (each patch a new
 * run asks costs a search-attribute update), and the first search attributes come with the start.
 */
const V4_PATHS: PathExpectations = Object.fromEntries(
  Object.entries(V3_PATHS).map(([name, expected]) => [
    name,
    {
      ...expected,
      shows: (events: JsonEvent[]) =>
        V2_PATHS[name]!.shows(events, JOB_V3_PATCHES) &&
        !localActivitiesOf(events).includes('storeVideo') &&
        // The SDK's own internal patches (`__sdk_internal_patch_number:*`) are not klingflow's.
        patchesOf(events)
          .filter((id) => !id.startsWith('__sdk_internal'))
          .join() === 'job-v3',
    },
  ]),
);

/**
 * The v5 paths started on `job-v4`, which stands for `job-v3` and what it implies: a polled
 * task's first wait is the poll activity's first retry delay, so a polled job records no timer
 * (and no `condition()` patch of the SDK's), and only `waiting` is published before the end.
 * The v6 paths started on `job-v5`, which stands for `job-v4`: the same paths, and a succeeded
 * job ends without a search-attribute update (only the patch's and `waiting`), where a failed
 * or cancelled one still records its end.
 * The v7 paths started on `job-v6`: the poll that finds the task done also delivers its video,
 * so no download activity follows it; except in stuck-failover-opt-in, whose second poll had too
 * little of the job's deadline left, and the download activity delivered.
 */
function pathsOnJobVersion(patch: 'job-v4' | 'job-v5' | 'job-v6'): PathExpectations {
  return Object.fromEntries(
    Object.entries(V3_PATHS).map(([name, expected]) => {
      const deliveredByPoll =
        patch === 'job-v6' &&
        expected.activities.at(-1) === 'downloadVideoToStorage' &&
        name !== 'stuck-failover-opt-in';
      const activities = deliveredByPoll ? expected.activities.slice(0, -1) : expected.activities;
      const pathShows = (deliveredByPoll && POLL_DELIVERED_SHOWS[name]) || V2_PATHS[name]!.shows;
      return [
        name,
        {
          ...expected,
          // Waiting starts with the poll activity, so a job cancelled while it waits has one.
          activities: name.startsWith('cancelled')
            ? [...activities.slice(0, 1), 'checkTask', ...activities.slice(1)]
            : activities,
          shows: (events: JsonEvent[]) =>
            (name === 'stuck-failover-opt-in'
              ? stuckPollEnded(events)
              : pathShows(events, JOB_V3_PATCHES)) &&
            !localActivitiesOf(events).includes('storeVideo') &&
            patchesOf(events).join() === patch &&
            (name !== 'succeeded' || count(events, 'EVENT_TYPE_TIMER_STARTED') === 0) &&
            (name !== 'succeeded' || endsWithStatusUpdate(events) === (patch === 'job-v4')),
        },
      ];
    }),
  );
}

/** The v2 checks that count completed activities, with the download activity gone (v7). */
const POLL_DELIVERED_SHOWS: Record<string, PathExpectations[string]['shows']> = {
  succeeded: (events) => count(events, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED') === 2,
  'failover-provider-failed': (events) =>
    count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED') === 0 &&
    count(events, 'EVENT_TYPE_ACTIVITY_TASK_COMPLETED') === 4,
};

const V5_PATHS = pathsOnJobVersion('job-v4');
const V6_PATHS = pathsOnJobVersion('job-v5');
const V7_PATHS: PathExpectations = {
  ...pathsOnJobVersion('job-v6'),
  // The result URL refused (403) by the poll's download and the download activity: one status
  // call for the URL again (`refresh-result-url`, asked only on this path), then the delivery.
  'result-url-refreshed': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: [
      'submitTask',
      'checkTask',
      'downloadVideoToStorage',
      'checkTask',
      'downloadVideoToStorage',
    ],
    shows: (events) =>
      count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED') === 1 &&
      patchesOf(events).join() === 'job-v6,refresh-result-url',
  },
  // The poll ended unanswered at the job deadline, long after the render finished: one last
  // status call (`last-look-at-limit`, asked only on this path) finds it done, and it is delivered.
  'deadline-last-look-delivered': {
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    activities: ['submitTask', 'checkTask', 'checkTask', 'downloadVideoToStorage'],
    shows: (events) =>
      count(events, 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT') === 1 &&
      patchesOf(events).join() === 'job-v6,last-look-at-limit',
  },
};

/** Whether the job's last search-attribute update set `KlingStatus` (its final status). */
function endsWithStatusUpdate(events: JsonEvent[]): boolean {
  const updates = events.filter(
    (event) => event.eventType === 'EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES',
  );
  const last = updates.at(-1)?.upsertWorkflowSearchAttributesEventAttributes as
    | { searchAttributes?: { indexedFields?: Record<string, unknown> } }
    | undefined;
  return 'KlingStatus' in (last?.searchAttributes?.indexedFields ?? {});
}

/**
 * The stuck task's poll ends at failoverStuckAfterMs: timed out, or (when the server sees the
 * next retry would not fit) failed with its last "not ready"; either way once.
 */
function stuckPollEnded(events: JsonEvent[]): boolean {
  const timedOut = count(events, 'EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT');
  const failed = count(events, 'EVENT_TYPE_ACTIVITY_TASK_FAILED');
  return timedOut + failed === 1;
}

const SETS = [
  { version: 'v1', directory: HISTORIES, paths: PATHS },
  { version: 'v2', directory: V2_HISTORIES, paths: V2_PATHS },
  { version: 'v3', directory: V3_HISTORIES, paths: V3_PATHS },
  { version: 'v4', directory: V4_HISTORIES, paths: V4_PATHS },
  { version: 'v5', directory: V5_HISTORIES, paths: V5_PATHS },
  { version: 'v6', directory: V6_HISTORIES, paths: V6_PATHS },
  { version: 'v7', directory: V7_HISTORIES, paths: V7_PATHS },
] as const;

function recordedIn(directory: string): string[] {
  return readdirSync(directory)
    .filter((file) => file.endsWith('.json'))
    .map((file) => file.replace(/\.json$/, ''))
    .sort();
}

const recorded = SETS.flatMap(({ version, directory }) =>
  recordedIn(directory).map((name) => ({ version, directory, name })),
);

function load(name: string, directory: string = HISTORIES): JsonHistory {
  return JSON.parse(readFileSync(join(directory, `${name}.json`), 'utf8')) as JsonHistory;
}

/** The ids of the `patched()` calls a history recorded (the SDK's core_patch markers). */
/** What `job-v3` (and so `job-v4` to `job-v6`) stands for: such a history records one patch for these. */
const JOB_VERSIONS = ['job-v3', 'job-v4', 'job-v5', 'job-v6'];
const JOB_V3_PATCHES = [
  'money-safety-v2',
  'provider-cancel',
  'store-in-download',
  'completion-notify',
];

function patchesOf(events: JsonEvent[], implied: string[] = []): string[] {
  const recorded = events.flatMap((event) => patchIdOf(event.markerRecordedEventAttributes) ?? []);
  const onJobVersion = recorded.some((id) => JOB_VERSIONS.includes(id));
  return onJobVersion ? [...recorded, ...implied] : recorded;
}

/** The activity types of the local activities a history recorded (core_local_activity markers). */
function localActivitiesOf(events: JsonEvent[]): string[] {
  return events.flatMap((event) => {
    const marker = event.markerRecordedEventAttributes;
    const data = marker?.details?.data?.payloads?.[0]?.data;
    if (marker?.markerName !== 'core_local_activity' || !data) return [];
    return [
      (JSON.parse(Buffer.from(data, 'base64').toString('utf8')) as { activity_type: string })
        .activity_type,
    ];
  });
}

function count(events: JsonEvent[], eventType: string): number {
  return events.filter((event) => event.eventType === eventType).length;
}

function replayOptions(): ReplayWorkerOptions {
  // The workflow code of this checkout as the histories were recorded (traced), bundled once per
  // run by test/setup.
  return {
    workflowBundle: { codePath: inject('tracedWorkflowBundlePath') },
    sinks: discardingSinks(),
  };
}

function replay(
  name: string,
  history: JsonHistory,
  options: ReplayWorkerOptions = replayOptions(),
): Promise<void> {
  return Worker.runReplayHistory(options, historyFromJson(history), historyWorkflowId(name));
}

describe.each(SETS)('recorded workflow histories ($version)', ({ version, directory, paths }) => {
  it('cover every path a job can take', () => {
    expect(recordedIn(directory)).toEqual(expect.arrayContaining(Object.keys(paths)));
  });

  it.each(Object.keys(paths))('%s records the path it is named after', (name) => {
    const { events } = load(name, directory);
    const expected = paths[name]!;
    expect(events.at(-1)?.eventType).toBe(expected.closedBy);
    expect(
      events.flatMap(
        (event) => event.activityTaskScheduledEventAttributes?.activityType.name ?? [],
      ),
    ).toEqual(expected.activities);
    expect(expected.shows(events)).toBe(true);
    // v1 is from before the money-safety patch, v2 and v3 took its branch, v4 to v7 took it as
    // part of `job-v3` to `job-v6`: all must keep replaying.
    const patches = patchesOf(events);
    const onJobVersion = patches.some((id) => JOB_VERSIONS.includes(id));
    expect(patches.includes('money-safety-v2') || onJobVersion).toBe(version !== 'v1');
  });
});

describe('replaying recorded histories against the current workflow code', () => {
  it.each(recorded)('$version/$name replays without a determinism error', async (file) => {
    await expect(replay(file.name, load(file.name, file.directory))).resolves.toBeUndefined();
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

/**
 * Batch workflows: v1 recorded before `batch-v2` (an estimate local activity per item), v2 on it
 * (items estimated in chunks): `npx tsx scripts/record-histories.ts --batches`.
 */
const BATCH_SETS = ['v1', 'v2'].flatMap((version) => {
  const directory = fileURLToPath(
    new URL(`../fixtures/histories/batch/${version}/`, import.meta.url),
  );
  return BATCH_PATHS.map(([name]) => ({ version, directory, name }));
});

describe('recorded batch histories', () => {
  it.each(BATCH_SETS)(
    'batch $version/$name records its version',
    ({ version, directory, name }) => {
      const { events } = load(name, directory);
      const estimates = localActivitiesOf(events).filter((type) => type.startsWith('estimateCost'));
      // Six items: one estimate each before batch-v2, one chunk for all of them on it.
      expect(estimates).toEqual(
        version === 'v1' ? Array(6).fill('estimateCost') : ['estimateCosts'],
      );
      expect(patchesOf(events)).toEqual(
        version === 'v1' ? ['batch-budget-reservations'] : ['batch-v2'],
      );
    },
  );

  it.each(BATCH_SETS)('batch $version/$name replays without a determinism error', async (file) => {
    const history = load(file.name, file.directory);
    await expect(
      Worker.runReplayHistory(replayOptions(), historyFromJson(history), `batch-${file.name}`),
    ).resolves.toBeUndefined();
  });
});

describe('a worker with tracing off (no OpenTelemetry workflow interceptors)', () => {
  // Histories are recorded with the traced bundle; a worker started without tracing loads the
  // untraced one (src/worker.ts) and must replay every running job all the same. test/setup
  // bundles it the way src/worker.ts does for tracing off.
  it.each(recorded)('$version/$name replays without a determinism error', async (file) => {
    await expect(
      replay(file.name, load(file.name, file.directory), {
        workflowBundle: { codePath: inject('workflowBundlePath') },
        sinks: discardingSinks(),
      }),
    ).resolves.toBeUndefined();
  });
});
