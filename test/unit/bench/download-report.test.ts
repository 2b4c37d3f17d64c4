import { describe, expect, it } from 'vitest';
import { type DownloadBenchmark, downloadReport } from '../../../bench/download.js';

function measured(overrides: Partial<DownloadBenchmark> = {}): DownloadBenchmark {
  return {
    fileMb: 500,
    runs: 5,
    klingflowMbPerSecond: 400,
    ceilingMbPerSecond: 1000,
    curlMbPerSecond: 900,
    plainWorkMbPerSecond: 420,
    ratio: 0.4,
    plainWorkRatio: 0.42,
    klingflowVsPlainWork: 0.95,
    hashOnlyMbPerSecond: 700,
    hashOnlyRatio: 0.7,
    hashOnlyCpuSeconds: 0.8,
    hashOnlyEventLoopCpuSeconds: 0.55,
    diskMbPerSecond: 2000,
    diskRatio: 2,
    diskRatioRange: [0.3, 2.1],
    diskCpuSeconds: 0.2,
    diskEventLoopCpuSeconds: 0.05,
    ratioRange: [0.35, 0.45],
    klingflowCpuSeconds: 1.6,
    ceilingCpuSeconds: 0.6,
    plainWorkCpuSeconds: 1.5,
    serverCpuSeconds: 0.4,
    klingflowEventLoopCpuSeconds: 0.9,
    ceilingEventLoopCpuSeconds: 0.5,
    cpuRatio: 0.38,
    rssGrowthMb: 60,
    rssGrowthRangeMb: [50, 63],
    ceilingRssGrowthMb: 67,
    sha256Verified: true,
    loadAverage: [1, 1.2],
    ...overrides,
  };
}

describe('the download report', () => {
  it('explains a missed ceiling target by the cores the step and the server would need at 80%', () => {
    const { section, targets } = downloadReport(measured());
    const ceiling = targets.find((target) => target.name === "download vs Node's ceiling")!;

    expect(ceiling.met).toBe(false);
    expect(ceiling.measured).toBe('40%');
    // 500 MB at 80% of 1000 MB/s is 0.625 s; (1.6 + 0.4) CPU s in it is 3.2 cores.
    expect(ceiling.note).toContain('reads the file in 0.63 s');
    expect(ceiling.note).toContain('the fake server needs 0.4 s to serve it: 3.2 cores');
    expect(ceiling.note).toContain('reaches 42% of the ceiling, and klingflow');
    expect(ceiling.note).toContain('runs at 95% of its speed');
    expect(ceiling.note).toContain(
      'its event loop alone needs 0.9 s (undici alone 0.5 s), more than',
    );
    expect(section).toContain('| 400 | 1000 | 40% (35%–45%) | 420 (42%) | 95% |');
  });

  it('names the limits measured beside the step: sha256 on the event loop, and the disk', () => {
    const { section, targets } = downloadReport(measured());
    const ceiling = targets.find((target) => target.name === "download vs Node's ceiling")!;

    expect(ceiling.note).toContain(
      'undici and sha256 alone, nothing written, reach 70% of the ceiling: no step that hashes',
    );
    expect(ceiling.note).toContain(
      'the disk alone, writing and syncing the same bytes from memory, ran at 2000 MB/s (200% of the ceiling, runs 30%–210%)',
    );
    expect(ceiling.note).not.toContain('the writes alone stay under 80% here');
    expect(section).toContain(
      '| undici and sha256 on the event loop, nothing written | 700 | 70% | 0.8 | 0.55 |',
    );
    expect(section).toContain('| 2000 | 200% (runs 30%–210%) | 0.2 | 0.05 |');

    const slowDisk = downloadReport(measured({ diskMbPerSecond: 300, diskRatio: 0.3 })).targets;
    expect(slowDisk.find((target) => target.name === "download vs Node's ceiling")!.note).toContain(
      'ran at 300 MB/s (30% of the ceiling, runs 30%–210%): the writes alone stay under 80% here',
    );
    const fastHash = downloadReport(measured({ hashOnlyRatio: 0.9 })).targets;
    expect(
      fastHash.find((target) => target.name === "download vs Node's ceiling")!.note,
    ).not.toContain('no step that hashes');
  });

  it('says when klingflow is faster than the same work written plainly', () => {
    const { targets } = downloadReport(
      measured({
        ratio: 0.62,
        klingflowVsPlainWork: 1.43,
        klingflowCpuSeconds: 0.3,
        klingflowEventLoopCpuSeconds: 0.25,
      }),
    );
    const ceiling = targets.find((target) => target.name === "download vs Node's ceiling")!;

    expect(ceiling.note).toContain("klingflow's step is faster than the same work written plainly");
    expect(ceiling.note).toContain('runs at 143% of its speed');
    // (0.3 + 0.4) CPU s in 0.625 s is 1.1 cores: the note must not claim the cores run out.
    expect(ceiling.note).toContain('1.1 cores, within the machine');
    expect(ceiling.note).not.toContain('more than those');
  });

  it('says a target met without a reason for missing it', () => {
    const { targets } = downloadReport(measured({ ratio: 0.85 }));
    const ceiling = targets.find((target) => target.name === "download vs Node's ceiling")!;
    const rss = targets.find((target) => target.name === 'download RSS growth')!;

    expect(ceiling.met).toBe(true);
    expect(ceiling.note).toBeUndefined();
    expect(rss.met).toBe(true);
    expect(rss.note).not.toContain('missed');
  });
});
