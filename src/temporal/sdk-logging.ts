import { type LogLevel, Runtime } from '@temporalio/worker';
import { VARIABLES } from '../config/variables.js';
import { logFormat, runtimeLogger } from '../observability/log-format.js';

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
  const format = logFormat();
  // JSON lines are for machines, which filter: they keep the info lines that follow a job.
  const level = options.level ?? (format === 'json' ? 'INFO' : logLevelFrom());
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
