import type { temporal } from '@temporalio/proto';
import { percentile } from './process-stats.js';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;

/**
 * Where one job's overhead went, from its history's event times (the server's clock): time in
 * workflow tasks, time in activities, and the rest.
 */
export interface JobTimeline {
  workflowTasks: number;
  /** Scheduled to completed, summed: the task queue, the worker's activations (with any local
   * activity, which runs inside its workflow task) and the server's commit. */
  workflowTaskMs: number;
  /** Activities that completed (a poll's retried attempts count once). */
  activities: number;
  /** Started to completed of each completed activity's last attempt, summed: the provider
   * calls, the download and its storage. */
  activityMs: number;
  /** The overhead left: dispatching activity tasks, the server's steps between a completion and
   * the next task, and how late after the render the status call that found it done came, less
   * the work that ran during the render (so it can be negative). */
  restMs: number;
}

const millis = (event: HistoryEvent | undefined): number => {
  const time = event?.eventTime;
  return time ? Number(time.seconds ?? 0) * 1000 + (time.nanos ?? 0) / 1e6 : Number.NaN;
};

/** One closed job's timeline; `renderMs` is the simulated render, taken out of the overhead. */
export function jobTimeline(events: readonly HistoryEvent[], renderMs: number): JobTimeline {
  const byId = new Map(events.map((event) => [Number(event.eventId), event]));
  const timeOf = (id: unknown) => millis(byId.get(Number(id)));
  let workflowTasks = 0;
  let workflowTaskMs = 0;
  let activities = 0;
  let activityMs = 0;
  for (const event of events) {
    const task = event.workflowTaskCompletedEventAttributes;
    if (task) {
      workflowTasks += 1;
      workflowTaskMs += millis(event) - timeOf(task.scheduledEventId);
    }
    const activity = event.activityTaskCompletedEventAttributes;
    if (activity) {
      activities += 1;
      activityMs += millis(event) - timeOf(activity.startedEventId);
    }
  }
  const overheadMs = millis(events.at(-1)) - millis(events[0]) - renderMs;
  return {
    workflowTasks,
    workflowTaskMs,
    activities,
    activityMs,
    restMs: overheadMs - workflowTaskMs - activityMs,
  };
}

/** The median of each part over many jobs, in whole milliseconds. */
export function medianTimeline(timelines: readonly JobTimeline[]): JobTimeline {
  const median = (pick: (timeline: JobTimeline) => number) =>
    Math.round(percentile(timelines.map(pick), 0.5));
  return {
    workflowTasks: median((timeline) => timeline.workflowTasks),
    workflowTaskMs: median((timeline) => timeline.workflowTaskMs),
    activities: median((timeline) => timeline.activities),
    activityMs: median((timeline) => timeline.activityMs),
    restMs: median((timeline) => timeline.restMs),
  };
}
