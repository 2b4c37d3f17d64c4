import { parseDuration } from '../config/duration.js';
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
  const fakes = await startFakes({ renderMs });
  return { environment: fakes.environment, renderMs, stop: fakes.stop };
}
