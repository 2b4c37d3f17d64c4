import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { s3Environment } from '../setup/s3-server.js';
import { childEnvironment } from '../support/child-environment.js';
import { freePort } from '../support/free-port.js';
import { endProcesses, runningProcesses, spawnKlingflow } from '../support/processes.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

type LogLine = Record<string, unknown>;

describe('KLINGFLOW_LOG_FORMAT=json and OTEL_EXPORTER_OTLP_ENDPOINT on a real worker', () => {
  let context: IntegrationContext;

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['hyprlab', 'kling'] });
  });

  afterEach(async () => {
    const orphans = runningProcesses().length;
    await endProcesses();
    await context.teardown();
    expect(orphans).toBe(0);
  });

  it('makes every line the worker writes one JSON object, with job fields and no secrets', async () => {
    // A stand-in OTLP/HTTP collector: the same worker exports its traces there.
    const exported: string[] = [];
    const collector = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      request.on('end', () => {
        if (request.url === '/v1/traces') exported.push(body);
        response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
    const collectorPort = (collector.address() as AddressInfo).port;
    const environment = childEnvironment({
      ...context.providers.environment,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KLINGFLOW_TASK_QUEUE: context.taskQueue,
      KLINGFLOW_STORAGE_DIR: context.storageDirectory,
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
      KLINGFLOW_POLL_INTERVAL: '200ms',
      KLINGFLOW_INITIAL_WAIT: '0',
      KLINGFLOW_LOG_FORMAT: 'json',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${collectorPort}`,
      // S3 storage loads the AWS SDK, whose Node-version notice (on Node 20) is free text.
      ...s3Environment(inject('s3Endpoint'), `json-logs/${randomUUID()}`),
    });
    // Unset, as in production: JSON lines then default to info, the lines this test reads.
    delete environment.KLINGFLOW_LOG_LEVEL;
    const port = await freePort();
    const worker = spawnKlingflow(['worker', '--metrics-port', String(port)], environment);
    await worker.waitForOutput(/worker connected to /);
    // hyprlab is down for the submit (a warning with the failure), kling renders the video.
    context.providers.fakes.hyprlab.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'status', status: 402, body: { error: { message: 'Insufficient credits' } } },
    });
    const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `json-logs-${Math.random().toString(36).slice(2)}`,
      args: [
        {
          providers: ['hyprlab', 'kling'],
          request: parseUnifiedRequest({ prompt: 'a windmill at dusk', model: 'kling-v1.6' }),
        } satisfies GenerateVideoInput,
      ],
    });
    const result: GenerationStatus = await handle.result();
    expect(result.provider).toBe('kling');
    expect(result.videos[0]?.path).toMatch(/^s3:\/\//);
    const exit = await worker.kill('SIGTERM');
    expect(exit.code, worker.output).toBe(0);

    const lines = `${worker.stdout}${worker.stderr}`.split('\n').filter((line) => line !== '');
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as LogLine;
      } catch {
        throw new Error(`not a JSON line: ${line}`);
      }
    });
    for (const line of parsed) {
      expect(line).toEqual(
        expect.objectContaining({
          time: expect.any(String),
          level: expect.any(String),
          message: expect.any(String),
        }),
      );
    }
    // klingflow's own notes, the SDK runtime's lines and the activity events all come as JSON.
    const messages = parsed.map((line) => line.message as string);
    expect(messages.some((message) => message.startsWith('worker connected to'))).toBe(true);
    expect(parsed.some((line) => line.sdkComponent === 'worker')).toBe(true);
    const accepted = parsed.find(
      (line) => line.message === 'provider accepted the task' && line.provider === 'kling',
    );
    expect(accepted).toMatchObject({
      workflowId: handle.workflowId,
      provider: 'kling',
      taskId: result.providerTaskId,
      activityType: 'submitTask',
    });
    expect(
      parsed.find((line) => line.message === 'provider task finished' && line.provider === 'kling'),
    ).toMatchObject({ workflowId: handle.workflowId, taskId: result.providerTaskId });
    expect(
      parsed.find(
        (line) => line.message === 'activity attempt failed' && line.provider === 'hyprlab',
      ),
    ).toMatchObject({ workflowId: handle.workflowId, level: 'WARN' });
    // No key and no prompt anywhere.
    const output = lines.join('\n');
    for (const key of [
      context.providers.environment.HYPRLAB_API_KEY,
      context.providers.environment.KLING_SECRET_KEY,
    ]) {
      expect(key).toBeTruthy();
      expect(output).not.toContain(key);
    }
    expect(output).not.toContain('windmill');

    // OTEL_EXPORTER_OTLP_ENDPOINT: the spans reached the collector (flushed at shutdown).
    collector.closeAllConnections();
    await new Promise((resolve) => collector.close(resolve));
    const traces = exported.join('\n');
    expect(traces).toContain('RunWorkflow:generateVideo');
    expect(traces).toContain('RunActivity:submitTask');
    expect(traces).toContain('provider.http POST');
    expect(traces).not.toContain('windmill');
    expect(traces).not.toContain(context.providers.environment.HYPRLAB_API_KEY);
  });
});
