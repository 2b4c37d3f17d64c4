import type { WorkflowHandle } from '@temporalio/client';
import { GENERATE_VIDEO_WORKFLOW } from '../src/contracts/generation.js';
import { initialJobSearchAttributes } from '../src/contracts/search-attributes.js';
import { parseUnifiedRequest } from '../src/request/parse-request.js';
import { percentile } from './lib/process-stats.js';
import { startWorkerWithFakes } from './lib/worker-with-fakes.js';

export interface DetectionLatency {
  variant: string;
  samples: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

/**
 * Time from the provider finishing a render to klingflow starting the download, with the
 * default polling (10 s interval, first poll at 80% of the expected render) and with webhooks.
 * Renders vary between jobs (16–24 s) so polling meets them at different points of its cycle.
 */
export async function measureDetectionLatency(options: {
  address: string;
  jobs?: number;
  log?: (message: string) => void;
}): Promise<{ latencies: DetectionLatency[]; notes: string }> {
  const jobs = options.jobs ?? 8;
  const latencies: DetectionLatency[] = [];
  for (const webhooks of [false, true]) {
    options.log?.(
      `detection latency: ${jobs} jobs, ${webhooks ? 'webhooks' : 'polling every 10 s'}`,
    );
    const result = await runJobs({ address: options.address, jobs, webhooks });
    latencies.push({
      variant: webhooks
        ? 'webhook (callback → signal → one status call)'
        : 'polling (10 s interval)',
      samples: result.latencies.length,
      p50Ms: Math.round(percentile(result.latencies, 0.5)),
      p95Ms: Math.round(percentile(result.latencies, 0.95)),
      maxMs: Math.round(Math.max(...result.latencies)),
    });
  }
  return {
    latencies,
    notes:
      'Measured at the fake provider: render end (task creation + render time) to the first download request. Polling detection is bounded by the poll interval; a webhook wakes the job at once.',
  };
}

async function runJobs(options: { address: string; jobs: number; webhooks: boolean }) {
  const { client, worker, providers, taskQueue, close } = await startWorkerWithFakes({
    address: options.address,
    name: 'detect',
    providers: ['kling'],
    pollIntervalMs: 10_000,
    initialWaitMs: 16_000,
    webhooks: options.webhooks,
  });
  const fake = providers.fakes.kling;
  const request = parseUnifiedRequest({ prompt: 'detection', model: 'kling-v1.6' });
  try {
    return await worker.runUntil(async () => {
      const handles: WorkflowHandle[] = [];
      for (let index = 0; index < options.jobs; index++) {
        fake.renderMs = 16_000 + Math.round((8_000 * index) / Math.max(1, options.jobs - 1));
        handles.push(
          await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
            taskQueue,
            workflowId: `${taskQueue}-${index}`,
            args: [{ request, providers: ['kling'] }],
            typedSearchAttributes: initialJobSearchAttributes(request.model),
          }),
        );
        while (fake.tasks.size < index + 1) await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await Promise.all(handles.map((handle) => handle.result()));
      const downloads = fake.requestsFor('download');
      const latencies = [...fake.tasks.values()].map((task) => {
        const firstDownload = downloads.find((entry) => entry.path.includes(task.id));
        return (firstDownload?.at ?? Number.NaN) - (task.createdAt + task.renderMs);
      });
      return { latencies };
    });
  } finally {
    await close();
  }
}
