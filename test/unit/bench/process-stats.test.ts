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
    const until = performance.now() + 50;
    while (performance.now() < until) {
      // Busy on the event loop, so its thread's CPU moves by at least one 10 ms clock tick.
    }
    expect(eventLoopCpuSeconds()).toBeGreaterThan(before!);
  });
});
