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
    ratioRange: [0.35, 0.45],
    klingflowCpuSeconds: 1.6,
    ceilingCpuSeconds: 0.6,
    plainWorkCpuSeconds: 1.5,
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
  it('explains a missed ceiling target by what the same work reaches written plainly', () => {
    const { section, targets } = downloadReport(measured());
    const ceiling = targets.find((target) => target.name === "download vs Node's ceiling")!;

    expect(ceiling.met).toBe(false);
    expect(ceiling.measured).toBe('40%');
    expect(ceiling.note).toContain('reaches 42% of the ceiling');
    expect(ceiling.note).toContain("not klingflow's code");
    expect(ceiling.note).toContain("runs at 95% of that plain code's speed");
    expect(section).toContain('| 400 | 1000 | 40% (35%–45%) | 420 (42%) | 95% |');
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
