import { describe, expect, it } from 'vitest';
import { jobTimeline, medianTimeline } from '../../../bench/lib/job-timeline.js';

/** An event `ms` after the job's start, with its id and attributes. */
const at = (eventId: number, ms: number, attributes: object = {}) => ({
  eventId,
  eventTime: { seconds: 1_000 + Math.floor(ms / 1000), nanos: (ms % 1000) * 1e6 },
  ...attributes,
});

/** A job: start, a workflow task, an activity, the 10 s render (a wait), a workflow task, close. */
// Event ids are Longs on the wire; numbers are what jobTimeline reads them as.
const history = [
  at(1, 0),
  at(2, 0), // workflow task scheduled
  at(3, 5), // started
  at(4, 25, { workflowTaskCompletedEventAttributes: { scheduledEventId: 2 } }),
  at(5, 25), // activity scheduled
  at(6, 30), // started
  at(7, 42, { activityTaskCompletedEventAttributes: { scheduledEventId: 5, startedEventId: 6 } }),
  at(8, 10_042), // workflow task scheduled
  at(9, 10_046),
  at(10, 10_058, { workflowTaskCompletedEventAttributes: { scheduledEventId: 8 } }),
  at(11, 10_060),
] as unknown as Parameters<typeof jobTimeline>[0];

describe('jobTimeline', () => {
  it("splits a job's overhead into workflow tasks, activities and the rest", () => {
    // 10,060 ms end to end is 60 ms of overhead on the render: 41 in workflow tasks, 12 in
    // the activity, 7 between them (the activity's dispatch, the server's steps).
    expect(jobTimeline(history, 10_000)).toEqual({
      workflowTasks: 2,
      workflowTaskMs: 41,
      activities: 1,
      activityMs: 12,
      restMs: 7,
    });
  });

  it('takes the median of each part over many jobs', () => {
    const parts = (workflowTaskMs: number, restMs: number) => ({
      workflowTasks: 3,
      workflowTaskMs,
      activities: 2,
      activityMs: 30,
      restMs,
    });
    expect(medianTimeline([parts(40, 9), parts(50, 30), parts(45, 12)])).toEqual(parts(45, 12));
  });
});
