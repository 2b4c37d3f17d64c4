import { describe, expect, it } from 'vitest';
import { burstTargets, cpuSection } from '../../../bench/load-sections.js';
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

describe('the worker CPU per job target, from alternated pairs of bursts', () => {
  const pair = (klingflowMs: number, trivialMs: number) => ({
    jobs: 300,
    first: 'klingflow' as const,
    klingflowMs,
    trivialMs,
    ratio: klingflowMs / trivialMs,
  });
  const judged = (pairs: ReturnType<typeof pair>[]) =>
    burstTargets([burst('klingflow', 44), burst('trivial', 20)], pairs).find(
      (target) => target.name === 'worker CPU per job',
    )!;

  it('is judged by the median pair, not by the one burst of each (2.2× here)', () => {
    const target = judged([pair(38, 20), pair(46, 20), pair(39, 20)]);
    expect(target.met).toBe(true);
    expect(target.measured).toContain('39 ms (trivial 20 ms, 1.95×; median of 3 alternated pairs');
    expect(target.measured).toContain('ratios 1.90–2.30');
    expect(target.measured).toContain('44 ms (trivial 20 ms, 2.20×; 1000-job burst)');
  });

  it('takes the upper of the two middle pairs of an even count', () => {
    expect(judged([pair(38, 20), pair(42, 20)]).met).toBe(false);
    expect(judged([pair(38, 20), pair(39, 20)]).met).toBe(true);
  });

  const ownActivity = { jobs: 300, concurrency: 10, runs: 3, cpuMsPerJob: 4, eventLoopMsPerJob: 2 };

  it('says what the ratio would be without klingflow’s own activity code', () => {
    const pairs = [pair(48, 20), pair(46, 20), pair(50, 20)];
    const target = burstTargets(
      [burst('klingflow', 44), burst('trivial', 20)],
      pairs,
      ownActivity,
    ).find((each) => each.name === 'worker CPU per job')!;
    // The median pair is 48 vs 20 ms: (48 − 4) / 20.
    expect(target.note).toContain("klingflow's own activity code is 4 ms of a job");
    expect(target.note).toContain('the ratio would still be 2.20×');

    const section = cpuSection(
      [burst('klingflow', 44), burst('trivial', 20)],
      undefined,
      pairs,
      ownActivity,
    );
    expect(section).toContain('costs 4 ms of CPU a job, 2 ms of it on the event loop');
    expect(section).toContain('the median pair would still be 2.20× the trivial job');
  });
});
