import { randomUUID } from 'node:crypto';
import { Context } from '@temporalio/activity';
import { Client, Connection, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure, ApplicationFailureCategory } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import {
  type CancelTaskOutput,
  FailureTypes,
  type FindTaskInput,
  type FindTaskOutput,
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
  type PollDelivery,
  type PollOutput,
  type RouteEntry,
  type SubmitInput,
  type SubmitOutput,
} from '../../src/contracts/generation.js';
import { providerTaskQueue } from '../../src/contracts/task-queues.js';
import { discardingSinks } from '../../src/observability/worker-telemetry.js';
import type { TaskHandle } from '../../src/providers/provider.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';

/**
 * Fast workflow branch tests: the real generateVideo workflow on the shared dev server, with
 * plain functions as its activities. Each test scripts what the provider "does" (submit,
 * lookup, status) and reads back exactly which calls the workflow made.
 */
export interface ProviderScript {
  submit?: (input: SubmitInput, call: number) => SubmitOutput;
  find?: (input: FindTaskInput, call: number) => FindTaskOutput;
  status?: (handle: TaskHandle, call: number) => PollOutput['status'];
  cancel?: (handle: TaskHandle, call: number) => CancelTaskOutput;
}

export interface StubCalls {
  submits: SubmitInput[];
  finds: FindTaskInput[];
  statuses: TaskHandle[];
  cancels: TaskHandle[];
  /** When each status call that was not part of a poll (a callback's confirmation) came. */
  confirmations: number[];
  /** When each poll until done counts the render from (`renderTiming.acceptedAt`), if it knows. */
  pollsAcceptedAt: (number | undefined)[];
  /** Every download started: by the download activity, or by the poll (`byPoll`, job-v6). */
  downloads: { url: string; key: string; byPoll?: true }[];
  discarded: string[][];
}

export const PROVIDERS: ProviderId[] = ['hyprlab', 'kling'];

export function routeEntry(provider: ProviderId, overrides: Partial<RouteEntry> = {}): RouteEntry {
  return {
    provider,
    price: { amount: 0.2, unit: 'USD', usd: 0.2 },
    warnings: [],
    initialWaitMs: 0,
    idempotentSubmit: provider === 'kling',
    ...overrides,
  };
}

/** A provider's own answer, as the activities raise it. */
export function providerFailure(type: string, retryable = false, retryAfterMs?: number) {
  return ApplicationFailure.create({
    type,
    message: `scripted ${type}`,
    nonRetryable: !retryable,
    ...(retryAfterMs !== undefined ? { details: [{ retryAfterMs }] } : {}),
  });
}

export const accept = (provider: ProviderId, call: number): SubmitOutput => ({
  taskId: `${provider}-task-${call}`,
  handle: { provider, taskId: `${provider}-task-${call}` },
});

function storedVideo(key: string, url: string) {
  return { path: `/videos/${key}.mp4`, sha256: '0'.repeat(64), bytes: 1, sourceUrl: url };
}

export const done: PollOutput['status'] = {
  state: 'succeeded',
  videos: [{ url: 'https://x/v.mp4' }],
};

export interface StubStack {
  client: Client;
  calls: StubCalls;
  /** Per-provider scripts; change them before starting a job. */
  scripts: Partial<Record<ProviderId, ProviderScript>>;
  route: RouteEntry[];
  downloadFails: boolean;
  start(input?: Partial<GenerateVideoInput>, workflowId?: string): Promise<WorkflowHandle>;
  stop(): Promise<void>;
}

export async function startStubStack(): Promise<StubStack> {
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const workerConnection = await NativeConnection.connect({ address });
  const taskQueue = `stub-${randomUUID()}`;
  const calls: StubCalls = {
    submits: [],
    finds: [],
    statuses: [],
    cancels: [],
    confirmations: [],
    pollsAcceptedAt: [],
    downloads: [],
    discarded: [],
  };
  const stack: StubStack = {
    client,
    calls,
    scripts: {},
    route: PROVIDERS.map((provider) => routeEntry(provider)),
    downloadFails: false,
    start: (input = {}, workflowId = `stub-${randomUUID()}`) =>
      client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue,
        workflowId,
        args: [
          {
            request: parseUnifiedRequest({ prompt: 'a stubbed cat', model: 'kling-v1.6' }),
            pollIntervalMs: 100,
            ...input,
          } satisfies GenerateVideoInput,
        ],
      }),
    stop: async () => {},
  };
  const counts = new Map<string, number>();
  const next = (name: string) => {
    const value = (counts.get(name) ?? 0) + 1;
    counts.set(name, value);
    return value;
  };
  const providerActivities = {
    async submitTask(input: SubmitInput): Promise<SubmitOutput> {
      calls.submits.push(input);
      const call = next(`submit:${input.provider}`);
      const script = stack.scripts[input.provider]?.submit;
      return script ? script(input, call) : accept(input.provider, call);
    },
    async findTask(input: FindTaskInput): Promise<FindTaskOutput> {
      calls.finds.push(input);
      const script = stack.scripts[input.provider]?.find;
      if (!script) throw providerFailure(FailureTypes.providerUnavailable);
      return script(input, next(`find:${input.provider}`));
    },
    async cancelTask(input: { handle: TaskHandle }): Promise<CancelTaskOutput> {
      calls.cancels.push(input.handle);
      const script = stack.scripts[input.handle.provider]?.cancel;
      const call = next(`cancel:${input.handle.provider}`);
      return script ? script(input.handle, call) : { outcome: 'cancelled' };
    },
    async checkTask(input: {
      handle: TaskHandle;
      untilDone: boolean;
      delivery?: PollDelivery;
      renderTiming?: { acceptedAt: number };
    }): Promise<PollOutput> {
      calls.statuses.push(input.handle);
      if (!input.untilDone) calls.confirmations.push(Date.now());
      else calls.pollsAcceptedAt.push(input.renderTiming?.acceptedAt);
      const script = stack.scripts[input.handle.provider]?.status;
      const status = script ? script(input.handle, next(`status:${input.handle.provider}`)) : done;
      if (input.untilDone && (status.state === 'running' || status.state === 'queued')) {
        throw ApplicationFailure.create({
          type: FailureTypes.notReady,
          message: 'running',
          category: ApplicationFailureCategory.BENIGN,
        });
      }
      const polls = Context.current().info.attempt;
      // Like deliver-in-poll.ts: one video is delivered by the poll; a failed download is left
      // to the download activity.
      const [video] = status.state === 'succeeded' ? status.videos : [];
      if (!input.delivery || !video || status.state !== 'succeeded' || status.videos.length !== 1)
        return { status, polls };
      calls.downloads.push({ url: video.url, key: input.delivery.key, byPoll: true });
      if (stack.downloadFails) return { status, polls };
      return { status, polls, stored: storedVideo(input.delivery.key, video.url) };
    },
  };
  const mainActivities = {
    async planRoute() {
      return { route: stack.route, skipped: [], pollIntervalMs: 100 };
    },
    async requestProviderSlot() {},
    async downloadVideo(input: { url: string; key: string }) {
      calls.downloads.push(input);
      if (stack.downloadFails) throw providerFailure('DownloadBlocked');
      return {
        tempPath: `/nowhere/${input.key}`,
        sha256: '0'.repeat(64),
        bytes: 1,
        sourceUrl: input.url,
      };
    },
    async downloadVideoToStorage(input: { url: string; key: string }) {
      calls.downloads.push({ url: input.url, key: input.key });
      if (stack.downloadFails) throw providerFailure('DownloadBlocked');
      return storedVideo(input.key, input.url);
    },
    async storeVideo(input: { key: string; sha256: string; bytes: number; sourceUrl: string }) {
      return {
        path: `/videos/${input.key}.mp4`,
        sha256: input.sha256,
        bytes: input.bytes,
        sourceUrl: input.sourceUrl,
      };
    },
    async discardPartialDownloads(input: { keys: string[] }) {
      calls.discarded.push(input.keys);
    },
  };
  const workers = [
    await Worker.create({
      connection: workerConnection,
      taskQueue,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      activities: mainActivities,
      sinks: discardingSinks(),
    }),
    ...(await Promise.all(
      PROVIDERS.map((provider) =>
        Worker.create({
          connection: workerConnection,
          taskQueue: providerTaskQueue(taskQueue, provider),
          activities: providerActivities,
        }),
      ),
    )),
  ];
  const running = Promise.all(workers.map((worker) => worker.run()));
  stack.stop = async () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
    await workerConnection.close();
    await connection.close();
  };
  return stack;
}

/** The final status of a job, whether it succeeded (result) or failed (failure details). */
export async function finalStatus(handle: WorkflowHandle): Promise<GenerationStatus> {
  try {
    return (await handle.result()) as GenerationStatus;
  } catch (error) {
    if (!(error instanceof WorkflowFailedError)) throw error;
    return (error.cause as ApplicationFailure).details?.[0] as GenerationStatus;
  }
}
