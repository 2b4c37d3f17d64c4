import { afterEach, describe, expect, it, vi } from 'vitest';
import { probeRun } from '../../../bench/lib/probe-run.js';

describe('probeRun', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('refuses to measure without a collection first (node --expose-gc)', async () => {
    vi.stubGlobal('gc', undefined);
    const run = vi.fn(async () => ({}));
    await expect(probeRun(run)).rejects.toThrow('--expose-gc');
    expect(run).not.toHaveBeenCalled();
  });

  it('collects before taking the baseline, then prints the run with its growth and CPU', async () => {
    const order: string[] = [];
    vi.stubGlobal('gc', () => order.push('gc'));
    const printed = vi.spyOn(console, 'log').mockImplementation(() => {});
    await probeRun(async () => {
      order.push('run');
      return { bytes: 42 };
    });
    expect(order).toEqual(['gc', 'run']);
    const line = JSON.parse(String(printed.mock.calls[0]?.[0]));
    expect(line).toMatchObject({ bytes: 42 });
    expect(line.rssGrowthBytes).toBeGreaterThanOrEqual(0);
    expect(line.cpuSeconds).toBeGreaterThanOrEqual(0);
  });
});
