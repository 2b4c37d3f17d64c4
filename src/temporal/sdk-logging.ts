import { type LogLevel, Runtime } from '@temporalio/worker';
import { VARIABLES } from '../config/variables.js';
import { ConfigurationError } from '../errors.js';
import { type LogFormat, logFormat, runtimeLogger } from '../observability/log-format.js';

/** KLINGFLOW_LOG_LEVEL: the Temporal SDK's log level in a worker process (default warn). */
export const LOG_LEVEL_VARIABLE = VARIABLES.logLevel;
const LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR'];

/**
 * KLINGFLOW_LOG_LEVEL (any case; `warning` is taken for warn), else `fallback`. A value that is no
 * level stops the program naming the variable: dropping it silently would hide the very lines
 * it asked for.
 */
export function logLevelFrom(
  environment: NodeJS.ProcessEnv = process.env,
  fallback: LogLevel = 'WARN',
): LogLevel {
  const given = environment[LOG_LEVEL_VARIABLE]?.trim();
  if (!given) return fallback;
  const wanted = given.toUpperCase() === 'WARNING' ? 'WARN' : given.toUpperCase();
  const level = LEVELS.find((candidate) => candidate === wanted);
  if (level) return level;
  throw new ConfigurationError(
    LOG_LEVEL_VARIABLE,
    `${JSON.stringify(given)} is not a log level (allowed: ${LEVELS.map((name) => name.toLowerCase()).join(', ')})`,
  );
}

/**
 * A worker process's level: KLINGFLOW_LOG_LEVEL when set; else warnings for people, and for JSON
 * lines (machines, which filter) the info lines that follow a job.
 */
export function workerLogLevel(environment: NodeJS.ProcessEnv, format: LogFormat): LogLevel {
  return logLevelFrom(environment, format === 'json' ? 'INFO' : 'WARN');
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
  const format = logFormat();
  const level = options.level ?? workerLogLevel(process.env, format);
  const logger = runtimeLogger(format, level);
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
