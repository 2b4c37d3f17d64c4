import { describe, expect, it } from 'vitest';
import { TaskTimings } from '../../../src/observability/task-timings.js';

describe('TaskTimings', () => {
  it('measures from the last "still rendering" answer, once per task', () => {
    let now = 0;
    const timings = new TaskTimings(() => now);
    timings.stillRendering('hyprlab', 't1');
    now = 4_000;
    timings.stillRendering('hyprlab', 't1');
    now = 6_500;
    expect(timings.finished('hyprlab', 't1')).toBe(2.5);
    expect(timings.finished('hyprlab', 't1')).toBeUndefined();
  });

  it('gives no sample when no "still rendering" answer was heard, or for another provider', () => {
    const timings = new TaskTimings(() => 0);
    timings.stillRendering('kling', 't1');
    expect(timings.finished('hyprlab', 't1')).toBeUndefined();
  });

  it('forgets tasks with no news for hours', () => {
    let now = 0;
    const timings = new TaskTimings(() => now);
    timings.stillRendering('hyprlab', 'old');
    now = 7 * 60 * 60_000;
    timings.stillRendering('hyprlab', 'new');
    expect(timings.finished('hyprlab', 'old')).toBeUndefined();
    expect(timings.finished('hyprlab', 'new')).toBe(0);
  });
});
