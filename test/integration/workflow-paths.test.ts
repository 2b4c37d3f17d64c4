import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { hyprLabNotFoundFault } from '../../src/simulated/hyprlab-fake.js';
import { officialFault } from '../../src/simulated/official-format-fake.js';
import { createFilesystemStorage } from '../../src/storage/filesystem-storage.js';
import { sha256Hex } from '../../src/storage/local-files.js';
import { videoStorageKey } from '../../src/storage/storage-key.js';
import { type IntegrationContext, itWithContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';

/** The final status of a job, whether it succeeded (result) or failed (failure details). */
async function outcome(handle: WorkflowHandle): Promise<GenerationStatus> {
  try {
    return (await handle.result()) as GenerationStatus;
  } catch (error) {
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    return (cause as ApplicationFailure).details?.[0] as GenerationStatus;
  }
}

/** The activities a job scheduled, in order, with the options its history recorded. */
async function scheduledActivities(handle: WorkflowHandle) {
  const { events } = await handle.fetchHistory();
  return (events ?? []).flatMap((event) => event.activityTaskScheduledEventAttributes ?? []);
}

async function waitForPhase(
  handle: WorkflowHandle,
  phase: GenerationStatus['phase'],
): Promise<void> {
  for (let tries = 0; tries < 200; tries++) {
    if ((await handle.query(statusQuery)).phase === phase) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job never reached phase ${phase}`);
}

/**
 * Each test gets a context of its own (fakes, task queue, storage), so the tests run
 * concurrently: most of their time is spent waiting on renders, polls and retries.
 */
const it = itWithContext({ providers: ['hyprlab', 'kling'] });

describe.concurrent('every path of a generation, with exact submission counts from the fakes', () => {
  function start(
    context: IntegrationContext,
    providers: ProviderId[],
    extra: Partial<GenerateVideoInput> = {},
  ) {
    const request = parseUnifiedRequest({ prompt: 'a lighthouse in a storm', model: 'kling-v1.6' });
    return context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `path-${Math.random().toString(36).slice(2)}`,
      args: [{ request, providers, ...extra } satisfies GenerateVideoInput],
    });
  }

  const attemptsOf = (status: GenerationStatus) =>
    status.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.errorKind]);

  it('retries a rate-limited submit on the same provider after Retry-After, paying once', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.injectFault({
      route: 'submit',
      times: 2,
      fault: { type: 'status', status: 429, headers: { 'retry-after': '1' } },
    });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['hyprlab', 'kling'])));

    expect(status.status).toBe('succeeded');
    expect(attemptsOf(status)).toEqual([['hyprlab', 'succeeded', undefined]]);
    expect(hyprlab.requestsFor('submit')).toHaveLength(3);
    expect(hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('fails over after repeated 5xx on submit, and the failing provider created no task', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.injectFault({
      route: 'submit',
      fault: { type: 'status', status: 503, headers: { 'retry-after': '1' } },
    });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['hyprlab', 'kling'])));

    expect(status.status).toBe('succeeded');
    expect(attemptsOf(status)).toEqual([
      ['hyprlab', 'failed', 'provider-unavailable'],
      ['kling', 'succeeded', undefined],
    ]);
    expect(hyprlab.requestsFor('submit')).toHaveLength(5);
    expect(hyprlab.submissions).toBe(0);
    expect(context.providers.fakes.kling.submissions).toBe(1);
  });

  it('keeps a stuck accepted task pinned past the attempt deadline, then fails naming it', async ({
    context,
  }) => {
    // Before the money-safety rules this failed over at the attempt deadline and paid twice.
    context.providers.fakes.hyprlab.queueOutcome({ type: 'stuck' });
    const worker = await context.createWorker();
    const status = await worker.runUntil(
      outcome(
        await start(context, ['hyprlab', 'kling'], { attemptDeadlineMs: 1_000, deadlineMs: 4_000 }),
      ),
    );

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'provider-unavailable']]);
    const taskId = [...context.providers.fakes.hyprlab.tasks.keys()][0];
    expect(status.error).toContain(`hyprlab task ${taskId} did not finish before the job deadline`);
    expect(status.spend.tasks).toEqual([
      expect.objectContaining({ provider: 'hyprlab', taskId, outcome: 'abandoned' }),
    ]);
    expect(context.providers.fakes.hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('submits nothing for an id whose video is already stored, from a run Temporal no longer has', async ({
    context,
  }) => {
    const workflowId = `path-taken-${Math.random().toString(36).slice(2)}`;
    // What a run of this id left before its history went (retention, a deleted dev database).
    const storage = createFilesystemStorage({ rootDirectory: context.storageDirectory });
    const earlier = storage.videoPath(videoStorageKey(workflowId));
    await mkdir(dirname(earlier), { recursive: true });
    await writeFile(earlier, 'an earlier video');
    const request = parseUnifiedRequest({ prompt: 'a lighthouse in a storm', model: 'kling-v1.6' });
    const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId,
      args: [{ request, providers: ['hyprlab', 'kling'] } satisfies GenerateVideoInput],
    });
    const status = await (await context.createWorker()).runUntil(outcome(handle));

    expect(status.status).toBe('failed');
    expect(status.error).toContain(`a video is already stored as ${earlier}`);
    expect(status.error).toContain('nothing was submitted');
    expect(status.attempts).toEqual([]);
    expect(context.providers.fakes.hyprlab.submissions).toBe(0);
    expect(context.providers.fakes.kling.submissions).toBe(0);
    expect(await readFile(earlier, 'utf8')).toBe('an earlier video');
  });

  it('delivers a paid task that finished while no worker ran past the job deadline', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    const handle = await start(context, ['hyprlab', 'kling'], { deadlineMs: 3_000 });
    // A worker takes the submit, then the fleet is down past the deadline (an outage, a stalled
    // deploy): the render finishes unseen and the poll times out on the server.
    await (await context.createWorker()).runUntil(waitForPhase(handle, 'waiting'));
    await waitUntil('the poll timed out with no worker', async () =>
      ((await handle.fetchHistory()).events ?? []).some(
        (event) => event.activityTaskTimedOutEventAttributes,
      ),
    );

    const status = await (await context.createWorker()).runUntil(outcome(handle));

    expect(status.status).toBe('succeeded');
    expect(attemptsOf(status)).toEqual([['hyprlab', 'succeeded', undefined]]);
    expect(status.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);
    expect(status.videos).toHaveLength(1);
    expect(hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('fails over a stuck task only when opted in, keeping the abandoned task in the ledger', async ({
    context,
  }) => {
    context.providers.fakes.hyprlab.queueOutcome({ type: 'stuck' });
    const worker = await context.createWorker();
    const status = await worker.runUntil(
      outcome(await start(context, ['hyprlab', 'kling'], { failoverStuckAfterMs: 1_500 })),
    );

    expect(status.status).toBe('succeeded');
    expect(attemptsOf(status)).toEqual([
      ['hyprlab', 'failed', 'provider-unavailable'],
      ['kling', 'succeeded', undefined],
    ]);
    expect(status.spend.tasks.map((task) => [task.provider, task.outcome])).toEqual([
      ['hyprlab', 'abandoned'],
      ['kling', 'delivered'],
    ]);
    expect(context.providers.fakes.hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(1);
  });

  it('fails over when the provider rejects the credentials', async ({ context }) => {
    context.providers.fakes.kling.injectFault({ route: 'submit', fault: officialFault(1000) });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['kling', 'hyprlab'])));

    expect(attemptsOf(status)).toEqual([
      ['kling', 'failed', 'provider-unavailable'],
      ['hyprlab', 'succeeded', undefined],
    ]);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('fails over when the account is in arrears, although Kling answers HTTP 429', async ({
    context,
  }) => {
    context.providers.fakes.kling.injectFault({ route: 'submit', fault: officialFault(1101) });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['kling', 'hyprlab'])));

    expect(attemptsOf(status)).toEqual([
      ['kling', 'failed', 'provider-unavailable'],
      ['hyprlab', 'succeeded', undefined],
    ]);
    expect(context.providers.fakes.kling.requestsFor('submit')).toHaveLength(1);
  });

  it('fails the job without failover when the provider calls the request invalid', async ({
    context,
  }) => {
    context.providers.fakes.kling.injectFault({ route: 'submit', fault: officialFault(1201) });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['kling', 'hyprlab'])));

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['kling', 'failed', 'invalid-request']]);
    expect(context.providers.fakes.hyprlab.requests).toHaveLength(0);
  });

  it('resolves an ambiguous submit to the official API by external_task_id: one task, job done', async ({
    context,
  }) => {
    const kling = context.providers.fakes.kling;
    kling.injectFault({ route: 'submit', times: 1, fault: { type: 'accept-then-cut' } });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['kling', 'hyprlab'])));

    expect(status.status).toBe('succeeded');
    expect(attemptsOf(status)).toEqual([['kling', 'succeeded', undefined]]);
    expect(kling.submissions).toBe(1);
    expect(kling.requestsFor('submit')).toHaveLength(1);
    expect(context.providers.fakes.hyprlab.requests).toHaveLength(0);
  });

  it('never re-sends an ambiguous submit to a provider without idempotency keys', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.injectFault({ route: 'submit', times: 1, fault: { type: 'accept-then-cut' } });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['hyprlab', 'kling'])));

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'ambiguous-submit']]);
    expect(status.error).toMatch(/not re-sent/);
    expect(hyprlab.requestsFor('submit')).toHaveLength(1);
    expect(hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('survives transient status errors and malformed JSON while polling', async ({ context }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.injectFault({ route: 'status', times: 2, fault: { type: 'status', status: 500 } });
    hyprlab.injectFault({ route: 'status', times: 1, fault: { type: 'malformed-json' } });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['hyprlab'])));

    expect(status.status).toBe('succeeded');
    expect(hyprlab.submissions).toBe(1);
    expect(status.polls).toBeGreaterThanOrEqual(4);
  });

  it("keeps checking a task its provider answers 'no such task' for, and pays no other provider", async ({
    context,
  }) => {
    // A read replica behind the write: HyprLab's own not-found envelope, once, for a task it took.
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.injectFault({ route: 'status', times: 1, fault: hyprLabNotFoundFault() });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['hyprlab', 'kling'])));

    expect(status.status).toBe('succeeded');
    expect(status.provider).toBe('hyprlab');
    expect(hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
    expect(status.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);
  });

  it('hands a download that failed in the poll over to the download activity, which delivers it', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.injectFault({ route: 'download', times: 1, fault: { type: 'status', status: 503 } });
    const worker = await context.createWorker();
    const handle = await start(context, ['hyprlab']);
    const status = await worker.runUntil(outcome(handle));

    expect(status.status).toBe('succeeded');
    expect(hyprlab.submissions).toBe(1);
    expect(hyprlab.requestsFor('download')).toHaveLength(2);
    const scheduled = await scheduledActivities(handle);
    expect(scheduled.map((activity) => activity.activityType?.name)).toEqual([
      'submitTask',
      'checkTask',
      'downloadVideoToStorage',
    ]);
    expect(status.videos).toHaveLength(1);
    expect(status.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);
    // The video is paid for: its download outlasts a half-hour CDN or bucket outage.
    const retry = scheduled.find(
      (activity) => activity.activityType?.name === 'downloadVideoToStorage',
    )?.retryPolicy;
    const seconds = (duration: { seconds?: unknown } | null | undefined) =>
      Number(duration?.seconds ?? 0);
    let waited = 0;
    for (let retries = 0; retries < (retry?.maximumAttempts ?? 0) - 1; retries++) {
      waited += Math.min(
        seconds(retry?.initialInterval) * (retry?.backoffCoefficient ?? 1) ** retries,
        seconds(retry?.maximumInterval),
      );
    }
    expect(waited).toBeGreaterThanOrEqual(30 * 60);
  });

  it('asks the provider for the result again when its URL answers 403, as an expired signed link does', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    // The poll's own download and the download activity both meet the expired link.
    hyprlab.injectFault({ route: 'download', times: 2, fault: { type: 'status', status: 403 } });
    const worker = await context.createWorker();
    const handle = await start(context, ['hyprlab']);
    const status = await worker.runUntil(outcome(handle));

    expect(status.status).toBe('succeeded');
    expect(hyprlab.submissions).toBe(1);
    expect(hyprlab.requestsFor('download')).toHaveLength(3);
    expect(
      (await scheduledActivities(handle)).map((activity) => activity.activityType?.name),
    ).toEqual([
      'submitTask',
      'checkTask',
      'downloadVideoToStorage',
      'checkTask',
      'downloadVideoToStorage',
    ]);
    expect(status.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);
  });

  it('asks for the result again when its URL serves a page in place of the MP4', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    // Some CDNs answer an expired link with an error page and HTTP 200.
    hyprlab.injectFault({
      route: 'download',
      times: 2,
      fault: { type: 'status', status: 200, body: { error: 'link expired' } },
    });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['hyprlab'])));

    expect(status.status).toBe('succeeded');
    expect(hyprlab.submissions).toBe(1);
    expect(hyprlab.requestsFor('download')).toHaveLength(3);
    expect(status.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);
  });

  it('fails a job whose result stays gone after one fresh status call, paying no one else', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.injectFault({ route: 'download', times: 10, fault: { type: 'status', status: 404 } });
    const worker = await context.createWorker();
    const status = await worker.runUntil(outcome(await start(context, ['hyprlab', 'kling'])));

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'download-failed']]);
    expect(status.error).toMatch(/the result file is gone \(HTTP 404\)/);
    expect(hyprlab.requestsFor('download')).toHaveLength(3);
    expect(hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  /**
   * Runs a HyprLab job and, while it renders, places a video under its key (with `sidecarOf`'s
   * sidecar, if any) and makes its result URL answer 404: what a retry finds after a worker was
   * killed around a commit, once the signed URL has expired.
   */
  async function withVideoStoredWhileRendering(
    context: IntegrationContext,
    sidecarOf: (workflowId: string) => Record<string, unknown> | undefined,
  ): Promise<GenerationStatus> {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.renderMs = 3_000;
    const worker = await context.createWorker();
    return worker.runUntil(async () => {
      const handle = await start(context, ['hyprlab', 'kling']);
      await waitForPhase(handle, 'waiting');
      const storage = createFilesystemStorage({ rootDirectory: context.storageDirectory });
      const placed = storage.videoPath(videoStorageKey(handle.workflowId));
      await mkdir(dirname(placed), { recursive: true });
      await writeFile(placed, hyprlab.videoBuffer);
      const sidecar = sidecarOf(handle.workflowId);
      if (sidecar) await writeFile(placed.replace(/\.mp4$/, '.json'), JSON.stringify(sidecar));
      hyprlab.injectFault({ route: 'download', fault: { type: 'status', status: 404 } });
      return outcome(handle);
    });
  }

  it('finishes with the video an attempt stored before it died, when the result URL is gone', async ({
    context,
  }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    // What a worker killed after placing the video, before its sidecar and before reporting
    // back, leaves behind; by the time another attempt runs, the signed URL has expired.
    const status = await withVideoStoredWhileRendering(context, () => undefined);

    expect(status.status).toBe('succeeded');
    expect(status.videos).toEqual([
      expect.objectContaining({
        sha256: sha256Hex(hyprlab.videoBuffer),
        bytes: hyprlab.videoBuffer.length,
      }),
    ]);
    expect(status.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);
    expect(hyprlab.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
    const sidecar = JSON.parse(
      await readFile(status.videos[0]!.path.replace(/\.mp4$/, '.json'), 'utf8'),
    );
    expect(sidecar).toMatchObject({
      workflowId: status.workflowId,
      sha256: sha256Hex(hyprlab.videoBuffer),
    });
  });

  it('does not take a stored video whose sidecar names another task, when the result URL is gone', async ({
    context,
  }) => {
    // An earlier run of the same id, committed whole, for another task.
    const status = await withVideoStoredWhileRendering(context, (workflowId) => ({
      workflowId,
      providerTaskId: 'an-earlier-task',
    }));

    expect(status.status).toBe('failed');
    expect(attemptsOf(status)).toEqual([['hyprlab', 'failed', 'download-failed']]);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('ends cancelled when cancelled while it polls', async ({ context }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.queueOutcome({ type: 'stuck' });
    const worker = await context.createWorker();
    const handle = await start(context, ['hyprlab']);
    await worker.runUntil(async () => {
      await waitForPhase(handle, 'waiting');
      // At least one status call has been made: the poll activity is between retries.
      for (let tries = 0; tries < 100 && hyprlab.requestsFor('status').length === 0; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(hyprlab.requestsFor('status').length).toBeGreaterThan(0);
      await handle.cancel();
      await handle.result().catch(() => undefined);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      expect((await handle.query(statusQuery)).status).toBe('cancelled');
    });
  });

  it('ends cancelled with no partial file when cancelled mid-download', async ({ context }) => {
    const hyprlab = context.providers.fakes.hyprlab;
    hyprlab.setVideoSize(256 * 1024 * 1024);
    const worker = await context.createWorker();
    const handle = await start(context, ['hyprlab']);
    const partialDirectory = join(context.storageDirectory, '.partial');
    await worker.runUntil(async () => {
      // The poll that found the task done is downloading it (`job-v6`): its phase is still
      // `waiting`, so wait for the partial file itself.
      await waitUntil(
        'a partial download',
        async () => (await readdir(partialDirectory).catch(() => [])).length > 0,
      );
      await handle.cancel();
      const error = await handle.result().catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((await handle.describe()).status.name).toBe('CANCELLED');
      const status = await handle.query(statusQuery);
      expect(status.status).toBe('cancelled');
    });
    const partials = await readdir(partialDirectory).catch(() => []);
    expect(partials).toEqual([]);
    const stored = (await readdir(context.storageDirectory)).filter((name) =>
      name.endsWith('.mp4'),
    );
    expect(stored).toEqual([]);
  });
});
