import { Client } from '@temporalio/client';
import { KlingflowClient } from '../client/klingflow-client.js';
import { readSettings } from '../config/environment.js';
import {
  configuredBaseUrls,
  configuredProviderIds,
  providerKeyNames,
} from '../config/provider-variables.js';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError, TemporalUnreachableError } from '../errors.js';
import { assertFetchableUrl, findBlockedAddressError } from '../http/guarded-agent.js';
import { notifySigner } from '../notify/notify-secret.js';
import { logFormat } from '../observability/log-format.js';
import { tracingFromEnvironment } from '../observability/tracing.js';
import { PROVIDER_IDS } from '../request/unified-request.js';
import {
  connectWorker,
  isTemporalReachable,
  resolveTemporalTarget,
  type TemporalTarget,
} from '../temporal/connection.js';
import {
  type DevServerOptions,
  type RunningDevServer,
  startDevServer,
} from '../temporal/dev-server.js';
import { installQuietRuntime, logLevelFrom, workerLogLevel } from '../temporal/sdk-logging.js';
import { type CallbackServer, createCallbackServer } from '../webhooks/callback-server.js';
import {
  callbackUrlBuilder,
  resolveWebhookSecret,
  WEBHOOK_SECRET_VARIABLE,
  type WebhookSecret,
} from '../webhooks/callback-token.js';
import { createKlingflowWorker, type KlingflowWorker, type NativeConnection } from '../worker.js';
import { afterInterruption, type FollowedWork } from './interrupted-wait.js';
import { note } from './output.js';
import { portProblem } from './port-problem.js';
import {
  fitSettingsToSimulation,
  type SimulatedProviders,
  startSimulatedProviders,
} from './simulated-providers.js';
import { onStopSignals, type StopSignal, signalExitCode } from './stop-signals.js';

export interface WorkerRuntime {
  /** Resolves when the worker (and its callback server, if any) has stopped. */
  running: Promise<void>;
  simulated: SimulatedProviders | undefined;
  /** The callback server beside the worker, when webhooks are on. */
  callbackServer: CallbackServer | undefined;
  /** For the readiness probe (`/readyz`). */
  worker: KlingflowWorker;
  connection: NativeConnection;
  stop(): Promise<void>;
}

/** `klingflow worker --webhook-port P --public-url URL`: receive provider callbacks. */
export interface WebhookOptions {
  port: number;
  /** Interface to bind; all interfaces when omitted. */
  host?: string;
  /** Where providers reach the callback server (a reverse proxy or tunnel in front of it). */
  publicUrl: string;
}

export interface WorkerRuntimeOptions {
  log: (message: string) => void;
  environment?: NodeJS.ProcessEnv;
  webhooks?: WebhookOptions;
  /**
   * With no provider key, serve the simulated providers (`dev` and the embedded server always;
   * `klingflow worker` only with KLINGFLOW_SIMULATED=1) instead of refusing to start.
   */
  simulateWithoutKeys: boolean;
}

/**
 * The worker's settings that can be wrong, read before anything starts (`dev` checks them before
 * its server), so a mistake exits 2 at once naming the variable. Returns the webhook secret
 * when webhooks are on.
 */
export function checkWorkerSettings(
  environment: NodeJS.ProcessEnv,
  webhooks: boolean,
): WebhookSecret | undefined {
  readSettings(environment);
  workerLogLevel(environment, logFormat(environment));
  // The notify activity reads it at each attempt; a malformed one would only show as every
  // job's failed notification, after the job was paid for.
  if (environment[VARIABLES.notifySecret]?.trim()) notifySigner(environment);
  return webhooks ? resolveWebhookSecret(environment) : undefined;
}

/**
 * Starts a klingflow worker in this process. With no provider key configured it starts the
 * simulated providers first and points the worker at them (saying so on stderr).
 */
export async function startWorkerRuntime(
  target: TemporalTarget,
  options: WorkerRuntimeOptions,
): Promise<WorkerRuntime> {
  const baseEnvironment = options.environment ?? process.env;
  const secret = checkWorkerSettings(baseEnvironment, options.webhooks !== undefined);
  installQuietRuntime();
  let simulated: SimulatedProviders | undefined;
  let environment = baseEnvironment;
  if (configuredProviderIds(baseEnvironment).length === 0) {
    if (!options.simulateWithoutKeys) {
      // A worker whose keys failed to mount must not deliver the sample video as everyone's job.
      throw new ConfigurationError(
        VARIABLES.simulated,
        `not set, and no provider API key is set (${PROVIDER_IDS.map(providerKeyNames).join(
          ', ',
        )}): set one, or ${VARIABLES.simulated}=1 to serve the simulated providers (a demo: nothing is billed, every video is the same sample)`,
      );
    }
    simulated = await startSimulatedProviders(baseEnvironment);
    environment = { ...baseEnvironment, ...simulated.environment };
    options.log(
      `no provider API key set: using the built-in simulated providers (loopback fakes, ${simulated.renderMs / 1000} s renders, nothing is billed)`,
    );
  }
  const settings = readSettings(environment);
  // Each job's route is planned on whichever worker takes it: a provider this one cannot pay
  // would be skipped by its plans, however the other workers are configured.
  const configured = configuredProviderIds(environment);
  const unpaid = settings.providerOrder?.filter((id) => !configured.includes(id)) ?? [];
  if (unpaid.length > 0) {
    options.log(
      `${VARIABLES.providers} lists ${unpaid.join(', ')}, which this worker has no key for: the jobs it plans skip ${unpaid.length === 1 ? 'it' : 'them'} (set ${unpaid.map(providerKeyNames).join(', ')})`,
    );
  }
  if (simulated) {
    fitSettingsToSimulation(settings, environment, simulated.renderMs);
  } else {
    checkProviderHosts(environment, settings.allowPrivateNetwork);
  }
  let connection: Awaited<ReturnType<typeof connectWorker>> | undefined;
  let callbackServer: CallbackServer | undefined;
  // OTEL_EXPORTER_OTLP_ENDPOINT turns tracing on (observability/tracing.ts).
  const tracing = tracingFromEnvironment(baseEnvironment);
  try {
    connection = await connectWorker(target);
    let callbackUrl: CallbackUrl | undefined;
    if (options.webhooks && secret) {
      ({ callbackServer, callbackUrl } = await startCallbacks(
        options.webhooks,
        secret,
        new Client({ connection, namespace: target.namespace }),
        options.log,
      ));
    }
    const worker = await createKlingflowWorker({
      connection,
      namespace: target.namespace,
      settings,
      environment,
      ...(callbackUrl ? { callbackUrl } : {}),
      ...(tracing ? { tracing } : {}),
    });
    const workerConnection = connection;
    const server = callbackServer;
    const running = worker.run().finally(async () => {
      // Callbacks stop first: they need the connection to signal.
      await server?.close();
      await workerConnection.close().catch(() => {});
      await simulated?.stop();
      // Sends the spans still buffered (the last activities, the workflow spans).
      await tracing?.shutdown().catch(() => {});
    });
    return {
      running,
      simulated,
      callbackServer: server,
      worker,
      connection: workerConnection,
      async stop() {
        await server?.close();
        if (worker.getState() === 'RUNNING') worker.shutdown();
        await running;
      },
    };
  } catch (error) {
    await callbackServer?.close();
    await connection?.close().catch(() => {});
    await simulated?.stop();
    await tracing?.shutdown().catch(() => {});
    throw error;
  }
}

/**
 * A base URL the network guard will refuse (a loopback or private IP literal, `localhost`)
 * fails every call to that provider: exit 2 naming the variable now, not a failed attempt per
 * job. Names that resolve inward are only known at connect time, where the guard refuses them.
 */
function checkProviderHosts(environment: NodeJS.ProcessEnv, allowPrivateNetwork: boolean): void {
  for (const { variable, value } of configuredBaseUrls(environment)) {
    try {
      assertFetchableUrl(value, allowPrivateNetwork);
    } catch (error) {
      if (!findBlockedAddressError(error)) throw error;
      throw new ConfigurationError(variable, (error as Error).message, { cause: error });
    }
  }
}

type CallbackUrl = (workflowId: string, attempt: number) => string | undefined;

/**
 * The callback server for `--webhooks`; the worker's own connection carries its signals
 * (NativeConnection is ConnectionLike).
 */
async function startCallbacks(
  webhooks: NonNullable<WorkerRuntimeOptions['webhooks']>,
  secret: NonNullable<ReturnType<typeof resolveWebhookSecret>>,
  client: Client,
  log: WorkerRuntimeOptions['log'],
): Promise<{ callbackServer: CallbackServer; callbackUrl: CallbackUrl }> {
  const { port, host, publicUrl } = webhooks;
  if (secret.generated) {
    log(
      `${WEBHOOK_SECRET_VARIABLE} is not set: using a random secret, so callbacks only verify on this worker until it restarts (set the same ${WEBHOOK_SECRET_VARIABLE} on every worker that serves webhooks)`,
    );
  }
  const callbackServer = await createCallbackServer({
    port,
    ...(host ? { host } : {}),
    client,
    secret: secret.secret,
    basePath: new URL(publicUrl).pathname,
    log: { debug: () => {}, warn: (message) => log(message) },
  }).catch((cause: unknown) => {
    throw portProblem('--webhook-port', `cannot receive callbacks on port ${port}`, cause);
  });
  const callbackUrl = callbackUrlBuilder(publicUrl, secret.secret);
  log(
    `receiving provider callbacks on port ${callbackServer.port} (providers call ${publicUrl}/callbacks/…)`,
  );
  return { callbackServer, callbackUrl };
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
  webhooks?: WebhookOptions,
): Promise<EmbeddedStack> {
  checkWorkerSettings(process.env, webhooks !== undefined);
  // Its own process group: a Ctrl-C reaches this process alone, which stops the worker before
  // the server, so the answer of a submit in flight can still be recorded.
  const server = await startDevServer({ ...serverOptions, ownProcessGroup: true, log });
  const address = server.address;
  try {
    const worker = await startWorkerRuntime(
      { ...target, address, connectionOptions: { address } },
      { log, simulateWithoutKeys: true, ...(webhooks ? { webhooks } : {}) },
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

/**
 * A client for TEMPORAL_ADDRESS, or, when no server answers there and none is configured, for an
 * embedded dev server and worker started for this one command (`--wait` only: without waiting
 * nothing would be left to run the work). `close()` stops whatever was started.
 *
 * While a command waits, Ctrl-C (or SIGTERM, SIGHUP) ends it with the signal's exit status and
 * says how to pick the work up again (`following` names it); an embedded worker and server are
 * stopped first, in that order, so a submit in flight is recorded before the server goes.
 */
export async function connectOrEmbed(options: { wait: boolean; purpose: string }): Promise<{
  client: KlingflowClient;
  following(work: FollowedWork): void;
  close(): Promise<void>;
}> {
  const target = resolveTemporalTarget();
  let stack: EmbeddedStack | undefined;
  let followed: FollowedWork | undefined;
  const interrupted = async (signal: StopSignal) => {
    const hint = afterInterruption(followed, {
      embedded: stack !== undefined,
      simulated: stack?.worker.simulated !== undefined,
    });
    if (stack) {
      note(
        `${signal}: stopping the embedded worker and dev server (a submit in flight is recorded first)`,
      );
      await stack.stop().catch(() => {});
      note(hint ?? 'stopped');
    } else note(`${signal}: ${hint ?? 'stopped'}`);
    process.exit(signalExitCode(signal));
  };
  const stopListening = options.wait
    ? onStopSignals((signal) => void interrupted(signal), note)
    : () => {};
  try {
    if (!(await isTemporalReachable(target))) {
      if (!options.wait || target.explicitlyConfigured) {
        // --wait embeds a server only where none is configured: a set address is never replaced.
        const instead = target.explicitlyConfigured
          ? `; --wait runs an embedded one only when no address is configured (TEMPORAL_ADDRESS, a Temporal profile)`
          : `, or use --wait to run an embedded one for this ${options.purpose}`;
        throw new TemporalUnreachableError(
          `cannot reach Temporal at ${target.address}; start one with \`klingflow dev\`${instead}`,
        );
      }
      const port = Number(target.address.split(':').pop()) || 7233;
      // The command prints the job's outcome itself: the embedded worker's own warnings (a
      // failed attempt, a failed job) would only repeat it, unless KLINGFLOW_LOG_LEVEL asks.
      installQuietRuntime({
        level: logLevelFrom(process.env, 'ERROR'),
      });
      note(
        `no Temporal server at ${target.address}: starting an embedded dev server and worker for this ${options.purpose}`,
      );
      stack = await startEmbeddedStack(
        {
          port,
          portSetting: 'TEMPORAL_ADDRESS',
          dbFilenameSetting: "the embedded server's database",
          headless: true,
          output: 'ignore',
          log: note,
        },
        target,
        note,
      ).catch(async (error: unknown) => {
        // Two commands started at once: the other one's embedded server took the port first.
        if (!(await isTemporalReachable(target))) throw error;
        throw new TemporalUnreachableError(
          `another command started a Temporal server at ${target.address} while this one was starting its own (nothing was submitted); to run several at once, start one with \`klingflow dev\` first`,
          { cause: error },
        );
      });
    }
    const address = stack?.server.address;
    const client = await KlingflowClient.connect({
      target: address ? { ...target, address, connectionOptions: { address } } : target,
    });
    return {
      client,
      following(work) {
        followed = work;
      },
      async close() {
        stopListening();
        await client.close();
        await stack?.stop();
      },
    };
  } catch (error) {
    stopListening();
    await stack?.stop();
    throw error;
  }
}
