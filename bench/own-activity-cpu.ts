import { fileURLToPath } from 'node:url';
import { startSimulatedProviders } from '../src/simulated/index.js';
import { childEnvironment } from '../test/support/child-environment.js';
import { runProbeProcess } from './lib/probe-process.js';
import { median } from './lib/process-stats.js';

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
      results.push(
        await runProbeProcess(PROBE, [String(options.jobs), String(options.concurrency)], {
          env: childEnvironment(providers.environment),
        }),
      );
    }
  } finally {
    await providers.stop();
  }
  const round = (value: number) => Math.round(value * 10) / 10;
  return {
    ...options,
    cpuMsPerJob: round(median(results.map((result) => result.cpuMsPerJob))),
    eventLoopMsPerJob: round(median(results.map((result) => result.eventLoopMsPerJob))),
  };
}
