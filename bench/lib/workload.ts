import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
} from '../../src/contracts/generation.js';
import { initialJobSearchAttributes } from '../../src/contracts/search-attributes.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { childEnvironment } from '../../test/support/child-environment.js';
import { KLINGFLOW_BIN } from '../../test/support/processes.js';
import { monitorProcess, percentile } from './process-stats.js';
import { type ProviderProcess, startProviderProcess } from './provider-process.js';
import { spawnNode } from './worker-process.js';

export type WorkloadName = 'klingflow' | 'trivial';

const TRIVIAL_WORKER = fileURLToPath(new URL('../trivial/trivial-worker.ts', import.meta.url));

export interface WorkloadOptions {
  address: string;
  workload: WorkloadName;
  renderMs: number;
  pollIntervalMs: number;
  /** Sleep before the first poll; the render time (the known render) by default. */
  initialWaitMs?: number;
  /** Node options for the worker process (`--cpu-prof`, …). */
  nodeArguments?: string[];
}

/** How one job went, from the server's start and close times. */
export interface JobOutcome {
  ok: boolean;
  endToEndMs: number;
  closedAt: number;
  /** History events of the closed workflow. */
  events: number;
  /** Why it failed, when it did. */
  error?: string;
}

/**
 * One workload's worker process, measured as a process tree from /proc, on its own task queue
 * and storage, with the simulated provider (klingflow) in a process of its own. Both workers are
 * the node process that runs the worker itself: `klingflow worker` registers tsx in-process
 * (bin/klingflow.js), and the trivial worker is started with `node --import tsx`, not through the
 * tsx CLI, whose wrapper process would be the one measured.
 */
export interface RunningWorkload {
  name: WorkloadName;
  client: Client;
  taskQueue: string;
  /** The simulated provider klingflow's jobs call (provider-process.ts). */
  providers: ProviderProcess;
  monitor: ReturnType<typeof monitorProcess>;
  pid: number;
  /** Starts job number `index`. */
  start(index: number): Promise<WorkflowHandle>;
  /** Stops the worker (SIGTERM, so a --cpu-prof profile is written) and everything else. */
  close(): Promise<void>;
}

export async function startWorkload(options: WorkloadOptions): Promise<RunningWorkload> {
  const storage = await mkdtemp(join(tmpdir(), 'klingflow-bench-'));
  // Not in this process: it starts and awaits every job, and a provider answering from its
  // event loop would charge klingflow's submits and polls for that work.
  const providers = await startProviderProcess({ provider: 'hyprlab', renderMs: options.renderMs });
  const taskQueue = `bench-${randomUUID()}`;
  const environment = childEnvironment({
    ...providers.environment,
    TEMPORAL_ADDRESS: options.address,
    KLINGFLOW_TASK_QUEUE: taskQueue,
    KLINGFLOW_STORAGE_DIR: storage,
    KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
    KLINGFLOW_POLL_INTERVAL: `${options.pollIntervalMs}ms`,
    // Sleep through the known render time, as the default 80% of a typical render would.
    KLINGFLOW_INITIAL_WAIT: `${options.initialWaitMs ?? options.renderMs}ms`,
  });
  const script =
    options.workload === 'klingflow'
      ? [KLINGFLOW_BIN, 'worker']
      : ['--import', 'tsx', TRIVIAL_WORKER];
  const worker = spawnNode([...(options.nodeArguments ?? []), ...script], environment);
  await worker.waitFor('worker connected to', 180_000);
  const pid = worker.child.pid!;
  const monitor = monitorProcess(pid);
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection });
  const request = parseUnifiedRequest({ prompt: 'benchmark', model: 'kling-v1.6' });
  return {
    name: options.workload,
    client,
    taskQueue,
    providers,
    monitor,
    pid,
    start(index) {
      const workflowId = `${taskQueue}-${index}`;
      return options.workload === 'klingflow'
        ? client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
            taskQueue,
            workflowId,
            args: [{ request, providers: ['hyprlab'] } satisfies GenerateVideoInput],
            // As the klingflow client starts a job: its first search attributes come with it.
            typedSearchAttributes: initialJobSearchAttributes(request.model),
          })
        : client.workflow.start('trivialJob', { taskQueue, workflowId, args: [options.renderMs] });
    },
    async close() {
      monitor.stop();
      await connection.close();
      await worker.kill('SIGTERM');
      await providers.stop();
      await rm(storage, { recursive: true, force: true });
    },
  };
}

/** Waits for the job and reads its start and close time from the server. */
export async function jobOutcome(handle: WorkflowHandle): Promise<JobOutcome> {
  try {
    await handle.result();
    const description = await handle.describe();
    const closedAt = description.closeTime?.getTime() ?? Date.now();
    return {
      ok: true,
      endToEndMs: closedAt - description.startTime.getTime(),
      closedAt,
      events: description.historyLength,
    };
  } catch (error) {
    const cause = (error as { cause?: unknown }).cause;
    return {
      ok: false,
      endToEndMs: Number.NaN,
      closedAt: Date.now(),
      events: 0,
      error: String(cause ?? error).slice(0, 300),
    };
  }
}

/** p50 and p95 of end-to-end time minus the render, over the jobs that succeeded. */
export function overheads(outcomes: JobOutcome[], renderMs: number) {
  const values = outcomes
    .filter((outcome) => outcome.ok)
    .map((outcome) => outcome.endToEndMs - renderMs);
  return {
    p50Ms: Math.round(percentile(values, 0.5)),
    p95Ms: Math.round(percentile(values, 0.95)),
  };
}

export function round(value: number, digits = 2): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
