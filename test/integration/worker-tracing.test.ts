import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NativeConnection } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { startTracing } from '../../src/observability/tracing.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { createKlingflowWorker } from '../../src/worker.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

const PROMPT = 'a lighthouse in a storm, traced';

describe('tracing a job through OpenTelemetry', () => {
  let context: IntegrationContext;
  let connection: NativeConnection;
  const exporter = new InMemorySpanExporter();
  // Once per process, as the worker does when OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = startTracing(new SimpleSpanProcessor(exporter), 'klingflow-test');

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['hyprlab'] });
    connection = await NativeConnection.connect({ address: inject('temporalAddress') });
    exporter.reset();
  });

  afterEach(async () => {
    await connection.close();
    await context.teardown();
  });

  it('traces the workflow, its activities and the provider HTTP calls under them', async () => {
    const worker = await createKlingflowWorker({
      connection,
      namespace: 'default',
      settings: context.settings,
      environment: context.providers.environment,
      workflowBundle: { codePath: inject('tracedWorkflowBundlePath') },
      tracing,
    });
    const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `traced-${Math.random().toString(36).slice(2)}`,
      args: [
        {
          providers: ['hyprlab'],
          request: parseUnifiedRequest({ prompt: PROMPT, model: 'kling-v1.6' }),
        } satisfies GenerateVideoInput,
      ],
    });
    const result: GenerationStatus = await worker.runUntil(handle.result());
    expect(result.status).toBe('succeeded');

    const spans = exporter.getFinishedSpans();
    const named = (name: string) => spans.filter((span) => span.name === name);
    const [workflow] = named('RunWorkflow:generateVideo');
    expect(workflow, spans.map((span) => span.name).join(', ')).toBeDefined();
    const traceId = workflow!.spanContext().traceId;
    const [submit] = named('RunActivity:submitTask');
    expect(submit).toBeDefined();
    expect(submit!.spanContext().traceId).toBe(traceId);
    expect(submit!.attributes.temporalWorkflowId).toBe(handle.workflowId);
    // The poll that finds the task done also downloads it (`job-v6`): no download activity.
    expect(named('RunActivity:checkTask').length).toBeGreaterThan(0);
    expect(named('RunActivity:downloadVideoToStorage')).toHaveLength(0);

    // The submit's HTTP call is a child of the submit activity's span, with provider and status.
    const http = spans.filter((span) => span.name.startsWith('provider.http'));
    const submitCall = http.find((span) => span.parentSpanId === submit!.spanContext().spanId);
    expect(submitCall?.name).toBe('provider.http POST');
    expect(submitCall?.spanContext().traceId).toBe(traceId);
    expect(submitCall?.attributes).toMatchObject({
      'klingflow.provider': 'hyprlab',
      'http.request.method': 'POST',
      'http.response.status_code': 200,
    });
    expect(http.some((span) => span.attributes['http.request.method'] === 'GET')).toBe(true);

    // No key, prompt or query string in any span.
    const key = context.providers.environment.HYPRLAB_API_KEY;
    expect(key).toBeTruthy();
    const everything = JSON.stringify(
      spans.map((span) => ({ name: span.name, attributes: span.attributes, events: span.events })),
    );
    expect(everything).not.toContain(key);
    expect(everything).not.toContain('lighthouse');
    expect(everything).not.toContain('?');
  });
});
