import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import {
  type ClientRequest,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { FakeProviderServer } from '../../src/simulated/fake-server.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { childEnvironment } from '../support/child-environment.js';
import { endProcesses, runningProcesses, startWorkerProcess } from '../support/processes.js';
import { waitUntil } from '../support/wait-until.js';

/**
 * A real `klingflow worker` process is killed with SIGKILL in the middle of a job, a fresh one
 * is started, and the job must still finish: same task at the provider (one submission), the
 * exact bytes the provider serves, and a download that resumes instead of starting over.
 */
describe('a worker process killed with SIGKILL mid-job', () => {
  let connection: Connection;
  let client: Client;
  let providers: SimulatedProviderSet;
  let hyprlab: FakeProviderServer;
  let storageDirectory: string;
  let taskQueue: string;
  let workerEnvironment: NodeJS.ProcessEnv;
  let handles: WorkflowHandle[];

  beforeEach(async () => {
    const address = inject('temporalAddress');
    connection = await Connection.connect({ address });
    client = new Client({ connection, namespace: 'default' });
    providers = await startSimulatedProviders({ renderMs: 300, only: ['hyprlab'] });
    hyprlab = providers.fakes.hyprlab;
    storageDirectory = await mkdtemp(join(tmpdir(), 'klingflow-e2e-'));
    taskQueue = `e2e-${randomUUID()}`;
    handles = [];
    workerEnvironment = childEnvironment({
      ...providers.environment,
      TEMPORAL_ADDRESS: address,
      KLINGFLOW_TASK_QUEUE: taskQueue,
      KLINGFLOW_STORAGE_DIR: storageDirectory,
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
      KLINGFLOW_POLL_INTERVAL: '200ms',
      KLINGFLOW_INITIAL_WAIT: '0',
    });
  });

  afterEach(async (context) => {
    const output = await endProcesses();
    if (context.task.result?.state === 'fail') console.error(output);
    // Nothing is left running on the shared dev server, whatever the test's outcome.
    await Promise.all(handles.map((handle) => handle.terminate().catch(() => {})));
    expect(runningProcesses()).toEqual([]);
    await providers.stop();
    await connection.close();
    await rm(storageDirectory, { recursive: true, force: true });
  });

  async function startJob(): Promise<WorkflowHandle> {
    const handle = await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue,
      workflowId: `e2e-crash-${randomUUID()}`,
      args: [
        {
          request: parseUnifiedRequest({ prompt: 'a lighthouse in a storm', model: 'kling-v1.6' }),
          providers: ['hyprlab'],
        } satisfies GenerateVideoInput,
      ],
    });
    handles.push(handle);
    return handle;
  }

  it('finishes the job with exactly one submission after the worker is killed mid-poll', async () => {
    hyprlab.renderMs = 4_000;
    const first = await startWorkerProcess(workerEnvironment);
    const handle = await startJob();

    // Killed between two polls: a status call answered "still rendering" and the next waits on
    // its retry timer. (A kill during a status call instead costs the poll's startToCloseTimeout.)
    await waitUntil(
      'the worker has polled at least once and waits to poll again',
      async () =>
        hyprlab.requestsFor('status').length >= 1 &&
        (await pendingActivity(handle, 'checkTask'))?.state === PENDING_ACTIVITY_SCHEDULED,
      { processes: [first] },
    );
    const [task] = [...hyprlab.tasks.values()];
    expect(task).toBeDefined();
    expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
    // The kill must land while the provider is still rendering, or nothing was left to recover.
    expect(hyprlab.taskState(task!)).not.toBe('succeeded');
    expect(hyprlab.requestsFor('download')).toEqual([]);
    const pollsBeforeKill = hyprlab.requestsFor('status').length;

    const second = await startWorkerProcess(workerEnvironment);
    const result: GenerationStatus = await handle.result();

    expect(second.hasExited).toBe(false);
    expect(result).toMatchObject({ status: 'succeeded', phase: 'done', provider: 'hyprlab' });
    expect(hyprlab.submissions).toBe(1);
    expect(hyprlab.requestsFor('submit')).toHaveLength(1);
    // The second worker picked up the polling where the first one stopped.
    expect(hyprlab.requestsFor('status').length).toBeGreaterThan(pollsBeforeKill);
    expect(result.videos).toHaveLength(1);
    const stored = await readFile(result.videos[0]!.path);
    expect(sha256(stored)).toBe(sha256(hyprlab.videoBuffer));
    expect(result.videos[0]!.sha256).toBe(sha256(hyprlab.videoBuffer));
  }, 120_000);

  it('resumes a large download with a Range request after the worker is killed mid-download', async () => {
    const size = 200 * 1024 * 1024;
    const stallAt = Math.floor(size * 0.4);
    hyprlab.setVideoSize(size);
    const expectedSha256 = sha256(hyprlab.videoBuffer);
    const gate = await stallFirstDownload(hyprlab, stallAt);
    try {
      const first = await startWorkerProcess(workerEnvironment);
      const handle = await startJob();
      const partial = join(storageDirectory, '.partial', `${handle.workflowId}.mp4.part`);

      // The first response stops at 40 % and stays open, so the kill always lands mid-download.
      await waitUntil(
        'the partial file holds more than 20 % of the video',
        async () => (await stat(partial)).size > size * 0.2,
        { processes: [first], timeoutMs: 60_000 },
      );
      const checkpointAtKill = await recordedDownloadOffset(handle);
      expect(await first.kill('SIGKILL')).toEqual({ code: null, signal: 'SIGKILL' });
      // Measured once the writer is dead: the download went on between the wait and the kill.
      const partialAtKill = (await stat(partial)).size;
      expect(partialAtKill).toBeLessThanOrEqual(stallAt);
      expect(hyprlab.requestsFor('download')).toHaveLength(1);

      // The server retries the download once its 10 s heartbeat timeout has expired.
      const second = await startWorkerProcess(workerEnvironment);
      const result: GenerationStatus = await handle.result();

      expect(second.hasExited).toBe(false);
      expect(result.status).toBe('succeeded');
      const downloads = hyprlab.requestsFor('download');
      expect(downloads).toHaveLength(2);
      expect(downloads[0]!.headers.range).toBeUndefined();
      const resumedFrom = Number(/^bytes=(\d+)-$/.exec(String(downloads[1]!.headers.range))?.[1]);
      expect(resumedFrom).toBeGreaterThan(0);
      expect(resumedFrom).toBeLessThanOrEqual(partialAtKill);
      expect(resumedFrom).toBeGreaterThanOrEqual(checkpointAtKill ?? 1);

      const [video] = result.videos;
      expect(video).toMatchObject({ bytes: size, sha256: expectedSha256 });
      expect(await sha256OfFile(video!.path)).toBe(expectedSha256);
      expect(hyprlab.submissions).toBe(1);
      expect(hyprlab.requestsFor('submit')).toHaveLength(1);
      await expect(stat(partial)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await gate.stop();
    }
  }, 180_000);

  it('checkpoints download progress on the server within seconds, so a crash loses seconds of transfer', async () => {
    // The design's promise: a heartbeat about every second or 8 MiB. What a retry resumes from is
    // what the server recorded, so that is what is measured (not what the worker meant to send).
    // (The SDK throttles heartbeats to 80 % of the heartbeatTimeout unless the worker sets
    // maxHeartbeatThrottleInterval: with a 30 s timeout, the server hears of progress every 24 s.)
    const size = 100 * 1024 * 1024;
    hyprlab.setVideoSize(size);
    const gate = await stallFirstDownload(hyprlab, Math.floor(size * 0.4));
    try {
      const worker = await startWorkerProcess(workerEnvironment);
      const handle = await startJob();
      const partial = join(storageDirectory, '.partial', `${handle.workflowId}.mp4.part`);
      await waitUntil(
        'the partial file holds more than 20 % of the video',
        async () => (await stat(partial)).size > size * 0.2,
        { processes: [worker], timeoutMs: 60_000 },
      );
      await waitUntil(
        "the server's recorded download offset has passed 20 % too",
        async () => ((await recordedDownloadOffset(handle)) ?? 0) > size * 0.2,
        { processes: [worker], timeoutMs: 5_000, intervalMs: 100 },
      );
    } finally {
      await gate.stop();
    }
  }, 120_000);
});

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function sha256OfFile(path: string): Promise<string> {
  return sha256(await readFile(path));
}

/** temporal.api.enums.v1.PendingActivityState.PENDING_ACTIVITY_STATE_SCHEDULED: waiting for a retry. */
const PENDING_ACTIVITY_SCHEDULED = 1;

async function pendingActivity(handle: WorkflowHandle, type: string) {
  const { raw } = await handle.describe();
  return raw.pendingActivities?.find((pending) => pending.activityType?.name === type);
}

/**
 * The byte offset the download's last heartbeat recorded on the server, if any: a job polls
 * and downloads in one activity (`job-v6`, checkTask).
 */
async function recordedDownloadOffset(handle: WorkflowHandle): Promise<number | undefined> {
  const payload = (await pendingActivity(handle, 'checkTask'))?.heartbeatDetails?.payloads?.[0];
  if (!payload) return undefined;
  return defaultPayloadConverter.fromPayload<{ offset?: number }>(payload as Payload).offset;
}

/**
 * A pass-through in front of the fake's `/files` route (so the fake still logs every download
 * request and serves the bytes, Range included). The first response is cut off after `stallAt`
 * bytes and held open, so a kill lands mid-download at a known offset; later ones pass unchanged.
 */
async function stallFirstDownload(
  fake: FakeProviderServer,
  stallAt: number,
): Promise<{ stop(): Promise<void> }> {
  let responses = 0;
  const upstreams = new Set<ClientRequest>();
  const sockets = new Set<Socket>();
  const server = createServer((request, response) => {
    const stalls = responses++ === 0;
    const upstream = httpRequest(
      `${fake.origin}${request.url}`,
      { method: 'GET', headers: forwardedHeaders(request.headers) },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        if (!stalls) return void answer.pipe(response);
        let sent = 0;
        answer.on('data', (chunk: Buffer) => {
          const part = chunk.subarray(0, Math.max(0, stallAt - sent));
          sent += part.length;
          const flowing = response.write(part);
          if (sent >= stallAt) answer.pause();
          else if (!flowing) {
            answer.pause();
            response.once('drain', () => answer.resume());
          }
        });
      },
    );
    upstreams.add(upstream);
    upstream.on('error', () => response.destroy());
    upstream.on('close', () => upstreams.delete(upstream));
    response.on('close', () => upstream.destroy());
    upstream.end();
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  fake.videoUrl = (task) => `http://127.0.0.1:${port}/files/${task.id}.mp4`;
  return {
    async stop() {
      for (const upstream of upstreams) upstream.destroy();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function forwardedHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const forwarded: Record<string, string> = {};
  for (const name of ['range', 'if-range', 'accept-encoding']) {
    const value = headers[name];
    if (typeof value === 'string') forwarded[name] = value;
  }
  return forwarded;
}
