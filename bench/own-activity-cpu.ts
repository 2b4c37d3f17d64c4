import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startSimulatedProviders } from '../src/simulated/index.js';
import { childEnvironment } from '../test/support/child-environment.js';

const PROBE = fileURLToPath(new URL('./own-activity-probe.ts', import.meta.url));

/** klingflow's own activity code per polled job, outside Temporal (own-activity-probe.ts). */
export interface OwnActivityCpu {
  jobs: number;
  concurrency: number;
  runs: number;
  /** Medians over the runs: CPU of every thread of the probe, and of its event loop alone. */
  cpuMsPerJob: number;
  eventLoopMsPerJob: number;
}

/**
 * Runs the probe `runs` times in its own process against a simulated provider served from this
 * one (renders done at once), so the figure is the activities' work and nothing else.
 */
export async function measureOwnActivityCpu(options: {
  jobs: number;
  concurrency: number;
  runs: number;
}): Promise<OwnActivityCpu> {
  const providers = await startSimulatedProviders({ renderMs: 0, only: ['hyprlab'] });
  const results: { cpuMsPerJob: number; eventLoopMsPerJob: number }[] = [];
  try {
    for (let run = 0; run < options.runs; run++) {
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--import', 'tsx', PROBE, String(options.jobs), String(options.concurrency)],
        { env: childEnvironment(providers.environment), maxBuffer: 1024 * 1024 },
      );
      results.push(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
    }
  } finally {
    await providers.stop();
  }
  const median = (values: number[]) =>
    [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)] ?? Number.NaN;
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    ...options,
    cpuMsPerJob: round(median(results.map((result) => result.cpuMsPerJob))),
    eventLoopMsPerJob: round(median(results.map((result) => result.eventLoopMsPerJob))),
  };
}
