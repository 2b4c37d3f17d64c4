import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import {
  makeWorkflowExporter,
  OpenTelemetryActivityInboundInterceptor,
  OpenTelemetryActivityOutboundInterceptor,
  type OpenTelemetrySinks,
} from '@temporalio/interceptors-opentelemetry';
import type { ActivityInterceptorsFactory, InjectedSinks, WorkerOptions } from '@temporalio/worker';
import { activityLogInterceptor } from './activity-log-interceptor.js';
import { jobEventSinks } from './job-events.js';
import type { KlingflowSinks } from './job-report.js';
import type { KlingflowMetrics } from './klingflow-metrics.js';
import { metricsInterceptor } from './metrics-interceptor.js';
import type { KlingflowTracing } from './tracing.js';

// `.ts` when run from the sources, `.js` in the compiled package.
const EXTENSION = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

const JOB_METRICS_MODULE = fileURLToPath(
  new URL(`./job-metrics-workflow-interceptor${EXTENSION}`, import.meta.url),
);

/**
 * Workflow interceptor modules of a traced workflow bundle (build, tests): OpenTelemetry's
 * workflow spans, and the job events behind the job metrics.
 */
export const WORKFLOW_INTERCEPTOR_MODULES = [
  createRequire(import.meta.url).resolve(
    '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors',
  ),
  JOB_METRICS_MODULE,
];

/**
 * The modules a worker's workflow code needs: the span interceptors only with tracing on. They
 * cost CPU and memory on every workflow task even when the span sink drops everything (about
 * 13 ms a job and 100 MB at 100 in-flight jobs in bench/quick-throughput.ts), and they only add
 * headers and spans, never commands, so either bundle replays the other's histories.
 */
export function workflowInterceptorModules(traced: boolean): string[] {
  return traced ? WORKFLOW_INTERCEPTOR_MODULES : [JOB_METRICS_MODULE];
}

/** Activity interceptors: the trace span outermost, so metrics, logs and HTTP spans run in it. */
export function activityTelemetry(
  metrics: KlingflowMetrics,
  tracing: KlingflowTracing | undefined,
): ActivityInterceptorsFactory[] {
  const traced: ActivityInterceptorsFactory[] = tracing
    ? [
        (context) => ({
          inbound: new OpenTelemetryActivityInboundInterceptor(context),
          outbound: new OpenTelemetryActivityOutboundInterceptor(context),
        }),
      ]
    : [];
  return [...traced, metricsInterceptor(metrics), activityLogInterceptor()];
}

/** The sinks the workflow interceptor modules call. */
export function workflowSinks(
  metrics: KlingflowMetrics,
  tracing: KlingflowTracing | undefined,
): WorkerOptions['sinks'] {
  const spans: InjectedSinks<OpenTelemetrySinks> = {
    exporter: tracing
      ? makeWorkflowExporter(tracing.spanProcessor, tracing.resource)
      : { export: { fn: () => {}, callDuringReplay: false } },
  };
  const jobs: InjectedSinks<KlingflowSinks> = jobEventSinks(metrics);
  return { ...jobs, ...spans };
}

/**
 * Sinks that drop what they are given, for a worker whose jobs must not count: a replay worker
 * (replay tests, `startDebugReplayer`) or a test worker with stub activities. It runs the
 * bundled interceptor modules too, and must not log "unregistered external sink".
 */
export function discardingSinks(): WorkerOptions['sinks'] {
  const ignore = { fn: () => {}, callDuringReplay: false };
  return {
    klingflowJobs: {
      taskAccepted: ignore,
      taskSettled: ignore,
      taskRendered: ignore,
      runEnded: ignore,
      jobEnded: ignore,
    },
    exporter: { export: ignore },
  };
}
