import { DefaultLogger, type LogLevel, Runtime } from '@temporalio/worker';
import { VARIABLES } from '../config/variables.js';

/** KLINGFLOW_LOG_LEVEL: the Temporal SDK's log level in a worker process (default warn). */
export const LOG_LEVEL_VARIABLE = VARIABLES.logLevel;
const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

export function logLevelFrom(environment: NodeJS.ProcessEnv = process.env): LogLevel {
  const wanted = environment[LOG_LEVEL_VARIABLE]?.trim().toUpperCase();
  return LEVELS.find((level) => level === wanted) ?? 'WARN';
}

let runtimeInstalled = false;

/**
 * Keeps the SDK's own logging to warnings (or KLINGFLOW_LOG_LEVEL) so klingflow's progress, and
 * a test run's failures, stay readable. Provider workers poll activities only, by design, so the
 * SDK's "no workflows registered" notice is dropped. Installed once per process, before the
 * first worker or native connection.
 */
export function installQuietRuntime(
  options: { level?: LogLevel; sdkMetricsAddress?: string } = {},
): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  const logger = new DefaultLogger(options.level ?? logLevelFrom(), (entry) => {
    if (entry.message.startsWith('No workflows registered')) return;
    process.stderr.write(
      `${new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString()} [${entry.level}] ${entry.message}${
        entry.meta ? ` ${JSON.stringify(entry.meta, errorFields)}` : ''
      }\n`,
    );
  });
  Runtime.install({
    logger,
    // The worker's /metrics appends what the SDK exports here (observability/metrics-source.ts).
    ...(options.sdkMetricsAddress
      ? {
          telemetryOptions: {
            metrics: { prometheus: { bindAddress: options.sdkMetricsAddress } },
          },
        }
      : {}),
  });
}

/** Errors serialise to `{}` by default; an operator needs their type and message in the log. */
function errorFields(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const failure = value as Error & { type?: string; nonRetryable?: boolean };
  return {
    name: failure.name,
    message: failure.message,
    type: failure.type,
    nonRetryable: failure.nonRetryable,
  };
}
