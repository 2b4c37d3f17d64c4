import { parseDuration } from '../config/duration.js';
import type { KlingflowSettings } from '../config/environment.js';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError } from '../errors.js';
import { startSimulatedProviders as startFakes } from '../simulated/index.js';

export interface SimulatedProviders {
  /** Provider keys and base URLs pointing at the loopback fakes. */
  environment: NodeJS.ProcessEnv;
  renderMs: number;
  stop(): Promise<void>;
}

/**
 * With no provider key set, klingflow runs against the same loopback fakes its tests use, so
 * the whole pipeline (submit, wait, download, verify, store) can be tried without paying.
 * KLINGFLOW_SIMULATED_RENDER_TIME sets how long a simulated render takes (default 10s).
 */
export async function startSimulatedProviders(
  environment: NodeJS.ProcessEnv = process.env,
): Promise<SimulatedProviders> {
  const given = environment[VARIABLES.simulatedRenderTime];
  const renderMs = given ? parseDuration(given) : 10_000;
  if (renderMs === undefined || renderMs <= 0) {
    throw new ConfigurationError(
      VARIABLES.simulatedRenderTime,
      `${JSON.stringify(given)} is not a duration (examples: 10s, 2m)`,
    );
  }
  // Restarted empty with each embedded server: a job resumed with --id still finds its task.
  const fakes = await startFakes({ renderMs, recoverUnknownTasks: true });
  return { environment: fakes.environment, renderMs, stop: fakes.stop };
}

/**
 * A worker on the simulated providers: their loopback addresses are allowed, and since their
 * renders take seconds, the first poll comes at 80% of one and polls follow each second, unless
 * KLINGFLOW_INITIAL_WAIT or KLINGFLOW_POLL_INTERVAL says otherwise.
 */
export function fitSettingsToSimulation(
  settings: KlingflowSettings,
  environment: NodeJS.ProcessEnv,
  renderMs: number,
): void {
  settings.allowPrivateNetwork = true;
  settings.initialWaitMs ??= Math.round(renderMs * 0.8);
  if (!environment[VARIABLES.pollInterval]) settings.pollIntervalMs = 1_000;
}
