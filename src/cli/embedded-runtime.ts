import { DefaultLogger, Runtime } from '@temporalio/worker';
import { readSettings } from '../config/environment.js';
import { configuredProviderIds } from '../providers/configured-providers.js';
import { connectWorker, type TemporalTarget } from '../temporal/connection.js';
import {
  type DevServerOptions,
  type RunningDevServer,
  startDevServer,
} from '../temporal/dev-server.js';
import { createKlingflowWorker } from '../worker.js';
import { type SimulatedProviders, startSimulatedProviders } from './simulated-providers.js';

export interface WorkerRuntime {
  /** Resolves when the worker has stopped. */
  running: Promise<void>;
  simulated: SimulatedProviders | undefined;
  stop(): Promise<void>;
}

let runtimeInstalled = false;

/** Keeps the SDK's own logging to warnings so klingflow's progress stays readable. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('WARN') });
}

/**
 * Starts a klingflow worker in this process. With no provider key configured it starts the
 * simulated providers first and points the worker at them (saying so on stderr).
 */
export async function startWorkerRuntime(
  target: TemporalTarget,
  options: { log: (message: string) => void; environment?: NodeJS.ProcessEnv } = { log: () => {} },
): Promise<WorkerRuntime> {
  installQuietRuntime();
  const baseEnvironment = options.environment ?? process.env;
  let simulated: SimulatedProviders | undefined;
  let environment = baseEnvironment;
  if (configuredProviderIds(baseEnvironment).length === 0) {
    simulated = await startSimulatedProviders(baseEnvironment);
    environment = { ...baseEnvironment, ...simulated.environment };
    options.log(
      `no provider API key set: using the built-in simulated providers (loopback fakes, ${simulated.renderMs / 1000} s renders, nothing is billed)`,
    );
  }
  const settings = readSettings(environment);
  if (simulated) {
    settings.allowPrivateNetwork = true;
    settings.initialWaitMs ??= Math.round(simulated.renderMs * 0.8);
    settings.pollIntervalMs = Math.min(settings.pollIntervalMs, 1_000);
  }
  const connection = await connectWorker(target);
  const worker = await createKlingflowWorker({
    connection,
    namespace: target.namespace,
    settings,
    environment,
  });
  const running = worker.run().finally(async () => {
    await connection.close().catch(() => {});
    await simulated?.stop();
  });
  return {
    running,
    simulated,
    async stop() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await running;
    },
  };
}

export interface EmbeddedStack {
  server: RunningDevServer;
  worker: WorkerRuntime;
  stop(): Promise<void>;
}

/** The dev server and a worker together (`klingflow dev`, and `generate --wait` with no server). */
export async function startEmbeddedStack(
  serverOptions: DevServerOptions,
  target: TemporalTarget,
  log: (message: string) => void,
): Promise<EmbeddedStack> {
  const server = await startDevServer({ ...serverOptions, log });
  const address = server.address;
  try {
    const worker = await startWorkerRuntime(
      { ...target, address, connectionOptions: { address } },
      { log },
    );
    return {
      server,
      worker,
      async stop() {
        await worker.stop().catch(() => {});
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}
