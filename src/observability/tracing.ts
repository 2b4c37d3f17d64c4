import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** Where spans go: the worker registers Temporal's interceptors and sinks with these. */
export interface KlingflowTracing {
  spanProcessor: SpanProcessor;
  resource: Resource;
  /** Sends what is still buffered; call before the process exits. */
  shutdown(): Promise<void>;
}

/**
 * Tracing from the standard OpenTelemetry variables: on when `OTEL_EXPORTER_OTLP_ENDPOINT` (or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set, exporting OTLP over HTTP (the exporter reads
 * those variables and `OTEL_EXPORTER_OTLP_HEADERS` itself). Off otherwise.
 */
export function tracingFromEnvironment(
  environment: NodeJS.ProcessEnv = process.env,
): KlingflowTracing | undefined {
  if (!environment.OTEL_EXPORTER_OTLP_ENDPOINT && !environment.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT)
    return undefined;
  return startTracing(
    new BatchSpanProcessor(new OTLPTraceExporter()),
    environment.OTEL_SERVICE_NAME || 'klingflow-worker',
  );
}

let registered: KlingflowTracing | undefined;

/**
 * Registers a tracer provider for this process, with an async-local context so spans made in an
 * activity (provider HTTP calls) become its children, and W3C propagation so activity spans join
 * their workflow's trace. Once per process: OpenTelemetry's globals cannot be replaced.
 */
export function startTracing(
  spanProcessor: SpanProcessor,
  serviceName = 'klingflow-worker',
): KlingflowTracing {
  if (registered) return registered;
  const resource = new Resource({ 'service.name': serviceName });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager() });
  registered = { spanProcessor, resource, shutdown: () => provider.shutdown() };
  return registered;
}
