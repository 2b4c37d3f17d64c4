import { describe, expect, it } from 'vitest';
import { measureOwnActivityCpu } from '../../../bench/own-activity-cpu.js';

describe('the own-activity probe', () => {
  it('runs a polled job’s activities to a stored video and reports their CPU', async () => {
    // The probe throws unless the first attempt waits and the poll stores the video.
    const measured = await measureOwnActivityCpu({ jobs: 20, concurrency: 5, runs: 1 });
    expect(measured).toMatchObject({ jobs: 20, concurrency: 5, runs: 1 });
    expect(measured.cpuMsPerJob).toBeGreaterThan(0);
    expect(measured.eventLoopMsPerJob).toBeGreaterThan(0);
    // The event loop's share is read in 10 ms clock ticks: within one tick of the whole.
    expect(measured.eventLoopMsPerJob).toBeLessThanOrEqual(measured.cpuMsPerJob + 10 / 20);
  }, 60_000);
});
