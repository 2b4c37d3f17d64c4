import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
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
    context = await createIntegrationContext({ providers: ['apimodels'] });
  });

  afterEach(async () => {
    const orphans = runningProcesses().length;
    await endProcesses();
    await context.teardown();
    expect(orphans).toBe(0);
  });

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

    const jobs = 2;
    let bytes = 0;
    for (let job = 0; job < jobs; job++) {
      const result = await runKlingflow(
        [
          'generate',
          '--prompt',
          `a paper boat ${job}`,
          '--model',
          'kling-v2.6',
          '--providers',
          'apimodels',
          '--wait',
          '--json',
        ],
        environment,
      );
      expect(result.code, result.output).toBe(0);
      const status = JSON.parse(result.stdout) as { videos: { bytes: number }[] };
      bytes += status.videos.reduce((sum, video) => sum + video.bytes, 0);
    }

    const text = await waitUntil(
      'the SDK metrics show up in the scrape',
      async () => {
        const body = await scrape();
        return body.includes('temporal_worker_task_slots_available') ? body : undefined;
      },
      { processes: [worker], timeoutMs: 30_000 },
    );
    expect(sample(text, 'klingflow_jobs_started_total', { model: 'kling-v2.6' })).toBe(jobs);
    expect(
      sample(text, 'klingflow_provider_tasks_total', {
        provider: 'apimodels',
        model: 'kling-v2.6',
      }),
    ).toBe(jobs);
    expect(context.providers.fakes.apimodels.submissions).toBe(jobs);
    expect(
      sample(text, 'klingflow_provider_task_outcomes_total', {
        provider: 'apimodels',
        state: 'succeeded',
      }),
    ).toBe(jobs);
    expect(sample(text, 'klingflow_videos_stored_total')).toBe(jobs);
    expect(sample(text, 'klingflow_download_bytes_total')).toBe(bytes);
    expect(sample(text, 'klingflow_download_seconds_count')).toBe(jobs);
    expect(
      sample(text, 'klingflow_activity_executions_total', {
        activity: 'submitTask',
        outcome: 'completed',
      }),
    ).toBe(jobs);
    // The SDK's own metrics, per task queue: the provider queue ran the submits.
    expect(
      sample(text, 'temporal_activity_execution_latency_count', {
        task_queue: `${context.taskQueue}.apimodels`,
        activity_type: 'submitTask',
      }),
    ).toBe(jobs);
    expect(sample(text, 'temporal_worker_task_slots_available')).toBeGreaterThan(0);
    // Every klingflow metric the provisioned Grafana dashboard charts is served.
    const dashboard = readFileSync(
      fileURLToPath(new URL('../../deploy/grafana/dashboards/klingflow.json', import.meta.url)),
      'utf8',
    );
    const charted = new Set(dashboard.match(/klingflow_[a-z_]+/g));
    expect(charted.size).toBeGreaterThan(3);
    for (const name of charted) expect(text).toContain(`# TYPE ${name.replace(/_total$/, '')}`);
    // Labels are ids and outcomes, never prompts.
    expect(text).not.toContain('paper boat');
    expect((await worker.kill('SIGTERM')).code).toBe(0);
  });
});
