import type { Command } from 'commander';
import { isTruthy } from '../../config/environment.js';
import { VARIABLES } from '../../config/variables.js';
import { ValidationError } from '../../errors.js';
import { type HealthServer, startHealthServer } from '../../observability/health-server.js';
import { logFormat, logProcessWarnings, workerLog } from '../../observability/log-format.js';
import { combinedMetrics, freeLoopbackPort } from '../../observability/metrics-source.js';
import { checkWorkerReadiness } from '../../observability/worker-readiness.js';
import { resolveTemporalTarget } from '../../temporal/connection.js';
import { installQuietRuntime } from '../../temporal/sdk-logging.js';
import {
  startWorkerRuntime,
  type WebhookOptions,
  type WorkerRuntime,
} from '../embedded-runtime.js';
import { CommandExit, exitCodeFor } from '../exit-codes.js';
import { parsePort } from '../parse-options.js';
import { portProblem } from '../port-problem.js';
import { onStopSignals } from '../stop-signals.js';

export interface WebhookFlags {
  webhookPort?: string;
  webhookHost?: string;
  publicUrl?: string;
}

export interface WorkerFlags extends WebhookFlags {
  metricsPort?: string;
}

export function registerWorkerCommand(program: Command): void {
  program
    .command('worker')
    .description('run a klingflow worker against TEMPORAL_ADDRESS, in the foreground')
    .option(
      '--webhook-port <port>',
      'also receive provider callbacks on this port (needs --public-url)',
    )
    .option(
      '--public-url <url>',
      'http(s) URL at which providers reach the webhook port, e.g. https://hooks.example.com',
    )
    .option('--webhook-host <host>', 'interface the webhook port binds to (default: all)')
    .option(
      '--metrics-port <port>',
      'serve /healthz, /readyz and Prometheus /metrics on this port (env KLINGFLOW_METRICS_PORT)',
    )
    .action(async (flags: WorkerFlags) => {
      // KLINGFLOW_LOG_FORMAT=json: every line this process writes is one JSON object, the
      // error that ends it included.
      const format = logFormat();
      const note = workerLog(format);
      if (format === 'json') logProcessWarnings(note);
      try {
        await runWorker(flags, note);
      } catch (error) {
        if (format === 'text') throw error;
        note(error instanceof Error ? error.message : String(error), 'ERROR');
        throw new CommandExit(exitCodeFor(error));
      }
    });
}

async function runWorker(flags: WorkerFlags, note: (message: string) => void): Promise<void> {
  // Flags are checked before anything connects, so a mistake exits 2 straight away.
  const webhooks = parseWebhookFlags(flags);
  const metricsPort = parseMetricsPort(flags.metricsPort);
  const target = resolveTemporalTarget();
  // Up before the worker connects: /healthz answers and /readyz says 503 meanwhile.
  let runtime: WorkerRuntime | undefined;
  const health =
    metricsPort === undefined
      ? undefined
      : await startOperationsPort(metricsPort, flags.metricsPort, () => runtime, note);
  try {
    runtime = await startWorkerRuntime(target, {
      log: note,
      simulateWithoutKeys: isTruthy(process.env[VARIABLES.simulated]),
      ...(webhooks ? { webhooks } : {}),
    });
  } catch (error) {
    await health?.close();
    throw error;
  }
  note(`worker connected to ${target.address} (namespace ${target.namespace}); Ctrl-C stops it`);
  onStopSignals((signal) => {
    note(
      `${signal}: stopping the worker${webhooks ? ' and the callback server' : ''} (in-flight downloads checkpoint first)`,
    );
    void runtime?.stop();
  }, note);
  await runtime.running.finally(() => health?.close());
}

async function startOperationsPort(
  port: number,
  flag: string | undefined,
  current: () => WorkerRuntime | undefined,
  note: (message: string) => void,
): Promise<HealthServer> {
  // The SDK's metrics exporter must be configured before the runtime starts (first connection).
  const sdkMetricsAddress = `127.0.0.1:${await freeLoopbackPort()}`;
  installQuietRuntime({ sdkMetricsAddress });
  const server = await startHealthServer({
    port,
    ...(process.env[VARIABLES.metricsHost] ? { host: process.env[VARIABLES.metricsHost] } : {}),
    readiness: () => checkWorkerReadiness(current()?.worker, current()?.connection),
    metrics: combinedMetrics(sdkMetricsAddress),
  }).catch((cause: unknown) => {
    throw portProblem(
      process.env[VARIABLES.metricsPort] && !flag ? VARIABLES.metricsPort : '--metrics-port',
      `cannot serve health and metrics on port ${port}`,
      cause,
    );
  });
  note(`health and metrics on port ${server.port} (/healthz, /readyz, /metrics)`);
  return server;
}

/** `--metrics-port`, else KLINGFLOW_METRICS_PORT; off when neither is set. */
export function parseMetricsPort(
  flag: string | undefined,
  environment: NodeJS.ProcessEnv = process.env,
): number | undefined {
  if (flag !== undefined) return parsePort(flag, '--metrics-port');
  const variable = environment[VARIABLES.metricsPort];
  return variable ? parsePort(variable, VARIABLES.metricsPort) : undefined;
}

/** `--webhook-port` and `--public-url` go together; the URL must be http(s). */
export function parseWebhookFlags(flags: WebhookFlags): WebhookOptions | undefined {
  const { webhookPort, publicUrl, webhookHost } = flags;
  if (webhookPort === undefined && publicUrl === undefined) {
    if (webhookHost !== undefined) {
      throw new ValidationError([
        { field: '--webhook-host', message: 'needs --webhook-port and --public-url' },
      ]);
    }
    return undefined;
  }
  if (webhookPort === undefined) {
    throw new ValidationError([
      {
        field: '--public-url',
        message: 'needs --webhook-port (the local port the callbacks arrive on)',
      },
    ]);
  }
  if (publicUrl === undefined) {
    throw new ValidationError([
      {
        field: '--webhook-port',
        message: 'needs --public-url (the URL at which providers reach that port)',
      },
    ]);
  }
  return {
    port: parsePort(webhookPort, '--webhook-port'),
    publicUrl: parsePublicUrl(publicUrl),
    ...(webhookHost ? { host: webhookHost } : {}),
  };
}

function parsePublicUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ValidationError([
      {
        field: '--public-url',
        message: `"${value}" is not a URL`,
        allowed: ['http://…', 'https://…'],
      },
    ]);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ValidationError([
      {
        field: '--public-url',
        message: `must be an http or https URL, not ${url.protocol.replace(/:$/, '')}`,
      },
    ]);
  }
  if (url.search || url.hash) {
    throw new ValidationError([
      { field: '--public-url', message: 'must not have a query string or fragment' },
    ]);
  }
  if (url.username || url.password) {
    throw new ValidationError([
      { field: '--public-url', message: 'must not carry credentials (user:password@)' },
    ]);
  }
  return url.href.replace(/\/+$/, '');
}
