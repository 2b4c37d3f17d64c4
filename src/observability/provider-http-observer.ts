import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { ProviderHttpObserver } from '../providers/kit/provider-http.js';
import type { KlingflowMetrics } from './klingflow-metrics.js';

/**
 * Every provider HTTP call: counted by status class, and traced as a client span under the
 * activity's span (a no-op unless tracing is on, see tracing.ts). Span attributes are the
 * provider, method, host, path and status: never the query string, headers or bodies, which
 * can carry keys and prompts.
 */
export function providerHttpObserver(metrics: KlingflowMetrics): ProviderHttpObserver {
  const tracer = trace.getTracer('klingflow');
  return {
    start({ provider, method, url }) {
      const where = safeUrl(url);
      const span = tracer.startSpan(
        `provider.http ${method}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'klingflow.provider': provider,
            'http.request.method': method,
            'server.address': where.host,
            'url.path': where.path,
          },
        },
        context.active(),
      );
      return (outcome) => {
        try {
          if ('status' in outcome) {
            span.setAttribute('http.response.status_code', outcome.status);
            if (outcome.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
            metrics.providerResponse(provider, outcome.status);
          } else {
            span.setAttribute('error.type', outcome.error);
            span.setStatus({ code: SpanStatusCode.ERROR });
            metrics.providerResponse(provider, undefined);
          }
        } finally {
          span.end();
        }
      };
    },
  };
}

function safeUrl(raw: string): { host: string; path: string } {
  try {
    const url = new URL(raw);
    return { host: url.hostname, path: url.pathname };
  } catch {
    return { host: 'invalid', path: '' };
  }
}
