import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { WorkflowFailedError } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { childEnvironment } from '../support/child-environment.js';
import { freePort } from '../support/free-port.js';
import {
  endProcesses,
  runKlingflow,
  runningProcesses,
  spawnKlingflow,
} from '../support/processes.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';

/** Value of the sample `name{labels}` in Prometheus text, summed over samples matching labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    const match = line.match(/^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/);
    if (!match || match[1] !== name) continue;
    const present = Object.fromEntries(
      [...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map(([, key, value]) => [key, value]),
    );
    if (Object.entries(labels).every(([key, value]) => present[key] === value)) {
      total += Number(match[3]);
      found = true;
    }
  }
  return found ? total : Number.NaN;
}

describe('/metrics after real jobs', () => {
  let context: IntegrationContext;

  beforeEach(async () => {
    // Renders long enough that a poll sees "still rendering" first (detection latency).
    context = await createIntegrationContext({ providers: ['hyprlab', 'kling'], renderMs: 3_000 });
  });

  afterEach(async () => {
    const orphans = runningProcesses().length;
    await endProcesses();
    await context.teardown();
    expect(orphans).toBe(0);
  });

  function start(providers: ProviderId[], prompt: string) {
    const request = parseUnifiedRequest({ prompt, model: 'kling-v1.6' });
    return context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `metrics-${Math.random().toString(36).slice(2)}`,
      args: [{ providers, request } satisfies GenerateVideoInput],
    });
  }

  it('serves klingflow business metrics and the SDK worker metrics from one endpoint', async () => {
    const port = await freePort();
    const environment = childEnvironment({
      ...context.providers.environment,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KLINGFLOW_TASK_QUEUE: context.taskQueue,
      KLINGFLOW_STORAGE_DIR: context.storageDirectory,
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
      KLINGFLOW_POLL_INTERVAL: '200ms',
      KLINGFLOW_INITIAL_WAIT: '0',
    });
    const worker = spawnKlingflow(['worker', '--metrics-port', String(port)], environment);
    await worker.waitForOutput(/worker connected to /);
    const scrape = async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const { hyprlab, kling } = context.providers.fakes;

    // 1. Through the CLI: hyprlab renders it.
    const cli = await runKlingflow(
      [
        'generate',
        ...['--prompt', 'a paper boat', '--model', 'kling-v1.6', '--providers', 'hyprlab'],
        ...['--wait', '--json'],
      ],
      environment,
    );
    expect(cli.code, cli.output).toBe(0);
    const first = JSON.parse(cli.stdout) as GenerationStatus;
    // 2. hyprlab is out of credit (402 on submit): the job fails over to kling.
    hyprlab.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'status', status: 402, body: { error: { message: 'Insufficient credits' } } },
    });
    const failedOver: GenerationStatus = await (
      await start(['hyprlab', 'kling'], 'a paper plane')
    ).result();
    expect(failedOver.provider).toBe('kling');
    // 3. hyprlab refuses the content after accepting the task: the job fails, no failover.
    hyprlab.queueOutcome({ type: 'fail', message: 'Content policy violation: sensitive content' });
    const refused = await (await start(['hyprlab', 'kling'], 'a paper kite'))
      .result()
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(WorkflowFailedError);
    // 4. A task that never finishes is in flight until its job is cancelled.
    hyprlab.queueOutcome({ type: 'stuck' });
    const stuck = await start(['hyprlab'], 'a paper crane');
    await waitUntil(
      'the stuck task shows as in flight',
      async () =>
        sample(await scrape(), 'klingflow_tasks_in_flight', { provider: 'hyprlab' }) === 1,
      { processes: [worker], timeoutMs: 30_000 },
    );
    await stuck.cancel();
    await expect(stuck.result()).rejects.toThrow();

    const text = await waitUntil(
      'the cancelled job and the SDK metrics show up in the scrape',
      async () => {
        const body = await scrape();
        return body.includes('temporal_worker_task_slots_available') &&
          sample(body, 'klingflow_jobs_ended_total', { outcome: 'cancelled' }) === 1
          ? body
          : undefined;
      },
      { processes: [worker], timeoutMs: 30_000 },
    );
    const model = 'kling-v1.6';
    expect(sample(text, 'klingflow_jobs_started_total', { provider: 'hyprlab', model })).toBe(4);
    const ended = (provider: string, outcome: string) =>
      sample(text, 'klingflow_jobs_ended_total', { provider, model, outcome });
    expect(ended('hyprlab', 'succeeded')).toBe(1);
    expect(ended('kling', 'succeeded')).toBe(1);
    expect(ended('hyprlab', 'failed')).toBe(1);
    expect(ended('hyprlab', 'cancelled')).toBe(1);
    expect(
      sample(text, 'klingflow_failovers_total', {
        from: 'hyprlab',
        to: 'kling',
        reason: 'provider-unavailable',
      }),
    ).toBe(1);
    expect(sample(text, 'klingflow_failovers_total')).toBe(1);
    // Paid tasks: hyprlab accepted jobs 1, 3 and 4, kling job 2.
    expect(hyprlab.submissions).toBe(3);
    expect(kling.submissions).toBe(1);
    expect(sample(text, 'klingflow_provider_tasks_total', { provider: 'hyprlab', model })).toBe(3);
    expect(sample(text, 'klingflow_provider_tasks_total', { provider: 'kling', model })).toBe(1);
    // Estimated spend of ended jobs, from their ledgers (the cancelled job's stuck task included).
    const hyprlabPrice = first.estimatedCost!;
    const klingPrice = failedOver.estimatedCost!;
    expect(
      sample(text, 'klingflow_estimated_spend_total', {
        provider: 'hyprlab',
        unit: hyprlabPrice.unit,
      }),
    ).toBeCloseTo(3 * hyprlabPrice.amount, 6);
    expect(
      sample(text, 'klingflow_estimated_spend_total', { provider: 'kling', unit: klingPrice.unit }),
    ).toBeCloseTo(klingPrice.amount, 6);
    expect(
      sample(text, 'klingflow_provider_task_outcomes_total', {
        provider: 'hyprlab',
        state: 'failed',
      }),
    ).toBe(1);
    // Render time per provider and final state; detection windows after a "still rendering".
    const renders = (provider: string, state: string) =>
      sample(text, 'klingflow_render_seconds_count', { provider, state });
    expect(renders('hyprlab', 'succeeded')).toBe(1);
    expect(renders('kling', 'succeeded')).toBe(1);
    expect(renders('hyprlab', 'failed')).toBe(1);
    expect(sample(text, 'klingflow_render_seconds_sum', { provider: 'kling' })).toBeGreaterThan(
      0.5,
    );
    expect(sample(text, 'klingflow_detection_latency_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'klingflow_detection_latency_seconds_sum')).toBeLessThan(30);
    // Provider HTTP answers by status class: the one 402, and the accepted calls.
    expect(
      sample(text, 'klingflow_provider_http_responses_total', {
        provider: 'hyprlab',
        class: '4xx',
      }),
    ).toBe(1);
    expect(
      sample(text, 'klingflow_provider_http_responses_total', { provider: 'kling', class: '2xx' }),
    ).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'klingflow_tasks_in_flight', { provider: 'hyprlab' })).toBe(0);
    // Downloads and stores: jobs 1 and 2.
    const bytes = first.videos[0]!.bytes + failedOver.videos[0]!.bytes;
    expect(sample(text, 'klingflow_videos_stored_total')).toBe(2);
    expect(sample(text, 'klingflow_download_bytes_total')).toBe(bytes);
    expect(sample(text, 'klingflow_download_seconds_count')).toBe(2);
    expect(
      sample(text, 'klingflow_activity_executions_total', {
        activity: 'submitTask',
        outcome: 'completed',
      }),
    ).toBe(4);
    // The SDK's own metrics, per task queue: the provider queue ran the submits (three accepted,
    // one refused with 402).
    expect(
      sample(text, 'temporal_activity_execution_latency_count', {
        task_queue: `${context.taskQueue}.hyprlab`,
        activity_type: 'submitTask',
      }),
    ).toBe(4);
    expect(sample(text, 'temporal_worker_task_slots_available')).toBeGreaterThan(0);
    // Every klingflow metric the provisioned Grafana dashboard charts is served.
    const dashboard = readFileSync(
      fileURLToPath(new URL('../../deploy/grafana/dashboards/klingflow.json', import.meta.url)),
      'utf8',
    );
    const charted = new Set(
      (dashboard.match(/klingflow_[a-z_]+/g) ?? []).map((name) =>
        name.replace(/_(total|bucket|count|sum)$/, ''),
      ),
    );
    expect(charted.size).toBeGreaterThan(10);
    for (const name of charted) expect(text).toContain(`# TYPE ${name}`);
    // Labels are ids and outcomes, never prompts.
    expect(text).not.toContain('paper');
    expect((await worker.kill('SIGTERM')).code).toBe(0);
  });
});
