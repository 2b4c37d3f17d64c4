import { describe, expect, it } from 'vitest';
import { burstTargets } from '../../../bench/load-sections.js';
import type { ThroughputResult } from '../../../bench/throughput.js';

function burst(workload: 'klingflow' | 'trivial', cpuMsPerJob: number): ThroughputResult {
  return {
    workload,
    jobs: 1000,
    renderMs: 10_000,
    succeeded: 1000,
    wallSeconds: 60,
    jobsPerSecond: 16,
    overheadP50Ms: 1000,
    overheadP95Ms: 2000,
    workerPeakRssMb: 400,
    workerCpuSeconds: cpuMsPerJob,
    cpuMsPerJob,
    eventsPerJob: 27,
    failures: [],
    stopSeconds: 1,
  };
}

function cpuTarget(ours: number, floor: number) {
  return burstTargets([burst('klingflow', ours), burst('trivial', floor)]).find(
    (target) => target.name === 'worker CPU per job',
  )!;
}

describe('the worker CPU per job target', () => {
  it('asks ≤ 2× the trivial workflow, and ≤ 15 ms only where the engine itself stays under it', () => {
    expect(cpuTarget(41.8, 22.7)).toMatchObject({ met: true });
    expect(cpuTarget(41.8, 22.7).measured).toContain("below the engine's own floor of 22.7 ms");
    expect(cpuTarget(48, 22.7)).toMatchObject({ met: false });
    expect(cpuTarget(14, 8)).toMatchObject({ met: true });
    expect(cpuTarget(16, 8.5)).toMatchObject({ met: false });
  });
});
