import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { parseUnifiedRequest } from '../src/request/parse-request.js';
import { startSimulatedProviders } from '../src/simulated/index.js';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
} from '../src/workflows/generation-types.js';
import { megabytes, monitorProcess, percentile } from './lib/process-stats.js';
import { spawnNode, startWorkerProcess } from './lib/worker-process.js';

export interface ThroughputResult {
  workload: 'klingflow' | 'trivial';
  jobs: number;
  renderMs: number;
  succeeded: number;
  wallSeconds: number;
  jobsPerSecond: number;
  overheadP50Ms: number;
  overheadP95Ms: number;
  workerPeakRssMb: number;
  workerCpuSeconds: number;
}

const TRIVIAL_WORKER = fileURLToPath(new URL('./trivial/trivial-worker.ts', import.meta.url));
const TSX = fileURLToPath(new URL('../node_modules/tsx/dist/cli.mjs', import.meta.url));

/**
 * N generations started at once on the simulated providers with a fixed render time, one
 * worker process and the dev server. Overhead = end-to-end time minus the render time.
 */
export async function measureThroughput(options: {
  address: string;
  jobs: number;
  renderMs: number;
  pollIntervalMs: number;
  workload: 'klingflow' | 'trivial';
}): Promise<ThroughputResult> {
  const storage = await mkdtemp(join(tmpdir(), 'klingflow-bench-'));
  const providers = await startSimulatedProviders({
    renderMs: options.renderMs,
    only: ['hyprlab'],
  });
  const taskQueue = `bench-${randomUUID()}`;
  const environment: NodeJS.ProcessEnv = {
    ...process.env,
    ...providers.environment,
    TEMPORAL_ADDRESS: options.address,
    KLINGFLOW_TASK_QUEUE: taskQueue,
    KLINGFLOW_STORAGE_DIR: storage,
    KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
    KLINGFLOW_POLL_INTERVAL: `${options.pollIntervalMs}ms`,
    // Sleep through the known render time, as the default 80% of a typical render would.
    KLINGFLOW_INITIAL_WAIT: `${options.renderMs}ms`,
  };
  const worker =
    options.workload === 'klingflow'
      ? await startWorkerProcess(environment)
      : spawnNode([TSX, TRIVIAL_WORKER], environment);
  if (options.workload === 'trivial') await worker.waitFor('worker connected to');
  const monitor = monitorProcess(worker.child.pid!);
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection });
  try {
    const request = parseUnifiedRequest({ prompt: 'benchmark', model: 'kling-v1.6' });
    const started = Date.now();
    const handles = await Promise.all(
      Array.from({ length: options.jobs }, (_, index) =>
        options.workload === 'klingflow'
          ? client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
              taskQueue,
              workflowId: `${taskQueue}-${index}`,
              args: [{ request, providers: ['hyprlab'] } satisfies GenerateVideoInput],
            })
          : client.workflow.start('trivialJob', {
              taskQueue,
              workflowId: `${taskQueue}-${index}`,
              args: [options.renderMs],
            }),
      ),
    );
    const outcomes = await Promise.all(
      handles.map(async (handle) => {
        try {
          await handle.result();
          const description = await handle.describe();
          return {
            ok: true,
            endToEndMs:
              (description.closeTime?.getTime() ?? Date.now()) - description.startTime.getTime(),
            closedAt: description.closeTime?.getTime() ?? Date.now(),
          };
        } catch {
          return { ok: false, endToEndMs: Number.NaN, closedAt: Date.now() };
        }
      }),
    );
    const stats = monitor.stop();
    const succeeded = outcomes.filter((outcome) => outcome.ok);
    const wallSeconds = (Math.max(...outcomes.map((outcome) => outcome.closedAt)) - started) / 1000;
    const overheads = succeeded.map((outcome) => outcome.endToEndMs - options.renderMs);
    return {
      workload: options.workload,
      jobs: options.jobs,
      renderMs: options.renderMs,
      succeeded: succeeded.length,
      wallSeconds: round(wallSeconds),
      jobsPerSecond: round(succeeded.length / wallSeconds),
      overheadP50Ms: Math.round(percentile(overheads, 0.5)),
      overheadP95Ms: Math.round(percentile(overheads, 0.95)),
      workerPeakRssMb: megabytes(stats.peakRssBytes),
      workerCpuSeconds: round(stats.cpuSeconds),
    };
  } finally {
    await connection.close();
    await worker.kill();
    await providers.stop();
    await rm(storage, { recursive: true, force: true });
  }
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
