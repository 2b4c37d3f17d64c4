import { describe, expect, it } from 'vitest';
import { eventLoopCpuSeconds, median } from '../../../bench/lib/process-stats.js';

describe('bench process stats', () => {
  it('takes the middle value, or the mean of the two middle ones, whatever the order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('reads the event loop thread’s CPU from /proc, and it grows with work done there', () => {
    const before = eventLoopCpuSeconds();
    expect(before).toBeGreaterThanOrEqual(0);
    // Busy on the event loop until its thread's CPU moves by a 10 ms clock tick; on a shared
    // machine 50 ms of wall time can pass with less than a tick of CPU, so it is bounded by
    // time only as a safeguard against a reading that never moves.
    let after = before;
    const giveUpAt = performance.now() + 5_000;
    while (after === before && performance.now() < giveUpAt) {
      const until = performance.now() + 20;
      while (performance.now() < until) {
        // spin
      }
      after = eventLoopCpuSeconds();
    }
    expect(after).toBeGreaterThan(before!);
  });
});
