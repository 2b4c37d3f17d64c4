import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';
import { VARIABLES } from '../config/variables.js';
import { ValidationError } from '../errors.js';

export type LogFormat = 'text' | 'json';

/** `KLINGFLOW_LOG_FORMAT`: `json` for one JSON object per line, `text` (the default) for people. */
export function logFormat(environment: NodeJS.ProcessEnv = process.env): LogFormat {
  const value = environment[VARIABLES.logFormat]?.trim().toLowerCase();
  if (!value || value === 'text') return 'text';
  if (value === 'json') return 'json';
  throw new ValidationError([
    {
      field: VARIABLES.logFormat,
      message: `unknown log format "${environment[VARIABLES.logFormat]}"`,
      allowed: ['text', 'json'],
    },
  ]);
}

/**
 * Fields a log line may carry from the SDK's metadata: ids, names, states and errors. Anything
 * else (an activity's arguments, should a future SDK add them) is dropped, so a prompt or a key
 * cannot reach the log through it.
 */
const KEPT_FIELDS = new Set([
  'sdkComponent',
  'namespace',
  'taskQueue',
  'workflowId',
  'runId',
  'workflowType',
  'activityId',
  'activityType',
  'attempt',
  'isLocal',
  'provider',
  'taskId',
  'state',
  'errorType',
  'error',
  'durationMs',
  'trace_id',
  'span_id',
  'trace_flags',
]);

/** One log line in `format`; JSON lines have `time`, `level`, `message` and the kept fields. */
export function formatLogLine(
  format: LogFormat,
  entry: { level: string; message: string; time: Date; meta?: Record<string, unknown> },
): string {
  const fields = Object.fromEntries(
    Object.entries(entry.meta ?? {})
      .filter(([key, value]) => KEPT_FIELDS.has(key) && value !== undefined)
      .map(([key, value]) => [key, value instanceof Error ? errorSummary(value) : value]),
  );
  if (format === 'json') {
    return `${JSON.stringify({ time: entry.time.toISOString(), level: entry.level, message: entry.message, ...fields })}\n`;
  }
  const extra = Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  return `${entry.time.toISOString()} [${entry.level}] ${entry.message}${extra}\n`;
}

/** Errors serialise to `{}` by default; an operator needs their type and message. */
function errorSummary(error: Error): Record<string, unknown> {
  const failure = error as Error & { type?: string; nonRetryable?: boolean };
  return {
    name: failure.name,
    message: failure.message,
    type: failure.type,
    nonRetryable: failure.nonRetryable,
  };
}

/**
 * The SDK runtime's logger (its own lines, and workflow and activity logs). Text keeps to warnings
 * so klingflow's progress stays readable; JSON is for machines, which filter, so it includes the
 * info lines that follow a job (task accepted, finished, video stored). Provider workers poll
 * activities only, by design, so the SDK's "no workflows registered" notice is dropped.
 */
export function runtimeLogger(
  format: LogFormat,
  level: LogLevel = format === 'json' ? 'INFO' : 'WARN',
): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    if (entry.message.startsWith('No workflows registered')) return;
    process.stderr.write(
      formatLogLine(format, {
        level: entry.level,
        message: entry.message,
        time: new Date(Number(entry.timestampNanos / 1_000_000n)),
        ...(entry.meta ? { meta: entry.meta } : {}),
      }),
    );
  });
}

/** klingflow's own worker notes (connected, stopping, …) in `format`, on stderr. */
export function workerLog(
  format: LogFormat,
): (message: string, level?: 'INFO' | 'WARN' | 'ERROR') => void {
  if (format === 'text') return (message) => process.stderr.write(`klingflow: ${message}\n`);
  return (message, level = 'INFO') =>
    process.stderr.write(
      formatLogLine('json', {
        level,
        message,
        time: new Date(),
        meta: { sdkComponent: 'klingflow' },
      }),
    );
}

/**
 * With JSON logs, Node's own warnings (deprecations, a library's notices) become JSON lines too:
 * Node prints them as free text by default, which would break "one JSON object per line". The
 * default printer is the only 'warning' listener Node installs, so it is replaced.
 */
export function logProcessWarnings(
  note: (message: string, level: 'WARN') => void,
  target: NodeJS.Process = process,
): void {
  target.removeAllListeners('warning');
  target.on('warning', (warning: Error) => {
    note(`${warning.name}: ${warning.message}`, 'WARN');
  });
}
