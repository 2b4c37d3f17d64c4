import { describe, expect, it } from 'vitest';
import { timedOutTasks } from '../../../bench/lib/timed-out-tasks.js';

const started = (attempt: number, lastFailure?: object) => ({
  activityTaskStartedEventAttributes: { attempt, ...(lastFailure ? { lastFailure } : {}) },
});
const timeout = { message: 'activity Heartbeat timeout', timeoutFailureInfo: { timeoutType: 4 } };

describe('timedOutTasks', () => {
  it('counts nothing in a job whose every task ran once', () => {
    expect(timedOutTasks([{ workflowTaskCompletedEventAttributes: {} }, started(1)])).toBe(0);
  });

  it('counts timed-out workflow tasks, attempts retried after a timeout and final timeouts', () => {
    const events = [
      { workflowTaskTimedOutEventAttributes: { timeoutType: 1 } },
      // Attempts 1 and 2 timed out before attempt 3 started.
      started(3, timeout),
      { activityTaskTimedOutEventAttributes: { failure: timeout } },
    ];
    expect(timedOutTasks(events)).toBe(4);
  });

  it('leaves out retries after a failure that was not a timeout', () => {
    const failed = { message: 'provider answered 500', applicationFailureInfo: {} };
    expect(timedOutTasks([started(2, failed)])).toBe(0);
  });
});
