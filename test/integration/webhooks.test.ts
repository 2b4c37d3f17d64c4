import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it, type TestContext } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { type CallbackingFakeServer, callbacksOf } from '../../src/simulated/fake-callbacks.js';
import { createCallbackServer } from '../../src/webhooks/callback-server.js';
import { callbackToken, callbackUrlBuilder } from '../../src/webhooks/callback-token.js';
import type { KlingflowWorker } from '../../src/worker.js';
import { createIntegrationContext } from '../support/stack.js';

/**
 * Provider callbacks end the wait early: with a 60 s initial wait and a 60 s poll interval, a
 * ~1 s render still finishes within seconds, because the fake provider POSTs to the per-task
 * callback URL and the callback server signals the workflow, which confirms with one status
 * call. Forged, duplicated and late callbacks change nothing.
 */

const SLOW_POLLING_MS = 60_000;
const RENDER_MS = 1_000;

describe('provider callbacks on a real Temporal dev server', () => {
  const secret = randomBytes(32);

  /**
   * The test's own stack: fakes, callback server, and a worker that polls only every 60 s and
   * hands providers callback URLs for that server. Torn down when the test ends; the tests share
   * nothing and mostly wait on renders, so they run side by side.
   */
  async function setUp(onTestFinished: TestContext['onTestFinished']) {
    const context = await createIntegrationContext({
      providers: ['kling', 'apimodels'],
      renderMs: RENDER_MS,
    });
    const logs: string[] = [];
    const callbackServer = await createCallbackServer({
      port: 0,
      host: '127.0.0.1',
      client: context.client,
      secret,
      log: {
        debug: (message) => logs.push(`debug: ${message}`),
        warn: (message) => logs.push(`warn: ${message}`),
      },
    });
    const publicUrl = `http://127.0.0.1:${callbackServer.port}`;
    onTestFinished(async () => {
      await callbackServer.close();
      await context.teardown();
    });

    return {
      logs,
      publicUrl,
      createWorker(): Promise<KlingflowWorker> {
        return context.createWorker(
          { pollIntervalMs: SLOW_POLLING_MS, initialWaitMs: SLOW_POLLING_MS },
          { callbackUrl: callbackUrlBuilder(publicUrl, secret) },
        );
      },
      start(provider: ProviderId = 'kling', model = 'kling-v1.6') {
        const request = parseUnifiedRequest({ prompt: 'a cat in a garden', model });
        return context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
          taskQueue: context.taskQueue,
          workflowId: `webhook-${Math.random().toString(36).slice(2)}`,
          args: [
            {
              request,
              providers: [provider],
              pollIntervalMs: SLOW_POLLING_MS,
            } satisfies GenerateVideoInput,
          ],
        });
      },
      fake(provider: ProviderId = 'kling'): CallbackingFakeServer {
        return callbacksOf(context.providers.fakes[provider]);
      },
    };
  }

  /** Status calls the provider received after the first callback was sent (the confirmation). */
  function statusCallsAfterCallback(provider: CallbackingFakeServer) {
    const firstCallback = provider.sentCallbacks[0];
    if (!firstCallback) throw new Error('no callback was sent');
    const statusCalls = provider.requestsFor('status');
    return {
      before: statusCalls.filter((call) => call.at < firstCallback.sentAt).length,
      after: statusCalls.filter((call) => call.at >= firstCallback.sentAt).length,
    };
  }

  it.concurrent('ends the wait within seconds of the callback although polling is every 60 s', async ({
    onTestFinished,
  }) => {
    const { fake, createWorker, start } = await setUp(onTestFinished);
    const kling = fake();
    const worker = await createWorker();
    const startedAt = Date.now();
    const handle = await start();

    const result: GenerationStatus = await worker.runUntil(
      within(handle.result(), 20_000, 'the callback did not wake the workflow'),
    );
    const elapsedMs = Date.now() - startedAt;

    expect(result.status).toBe('succeeded');
    expect(elapsedMs).toBeLessThan(10_000);
    expect(kling.sentCallbacks).toEqual([
      expect.objectContaining({ state: 'succeeded', status: 200 }),
    ]);
    // The body is the official task object, bare; the workflow never reads it.
    expect(kling.sentCallbacks[0]?.body).toMatchObject({
      task_id: result.providerTaskId,
      task_status: 'succeed',
    });
    // Nothing polled during the 60 s initial wait; the callback led to one confirming call.
    const { before, after } = statusCallsAfterCallback(kling);
    expect(before).toBe(0);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThanOrEqual(2);
    expect(await signalCount(handle)).toBe(1);
  });

  it.concurrent('sends the provider a per-task URL whose token never enters workflow history', async ({
    onTestFinished,
  }) => {
    const { fake, createWorker, start, publicUrl, logs } = await setUp(onTestFinished);
    const kling = fake();
    const worker = await createWorker();
    const handle = await start();
    await worker.runUntil(within(handle.result(), 20_000, 'the job did not finish'));

    const submitted = kling.requestsFor('submit')[0]?.json as Record<string, unknown>;
    const token = callbackToken(secret, handle.workflowId, 1);
    expect(submitted.callback_url).toBe(
      `${publicUrl}/callbacks/${encodeURIComponent(handle.workflowId)}/1/${token}`,
    );
    const history = historyText(await handle.fetchHistory());
    // The history's payloads were decoded (the prompt is there), and the token is not.
    expect(history).toContain('a cat in a garden');
    expect(history).not.toContain(token);
    expect(history).not.toContain('/callbacks/');
    expect(logs.join('\n')).not.toContain(token);
  });

  it.concurrent('wakes the workflow from an apimodels.app callback (its query `data` as the body)', async ({
    onTestFinished,
  }) => {
    const { fake, createWorker, start } = await setUp(onTestFinished);
    const apimodels = fake('apimodels');
    const worker = await createWorker();
    const startedAt = Date.now();
    const handle = await start('apimodels', 'kling-v2.6');

    const result: GenerationStatus = await worker.runUntil(
      within(handle.result(), 20_000, 'the callback did not wake the workflow'),
    );

    expect(result.status).toBe('succeeded');
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    expect(apimodels.sentCallbacks).toEqual([
      expect.objectContaining({
        status: 200,
        body: expect.objectContaining({ taskId: result.providerTaskId, state: 'completed' }),
      }),
    ]);
    const { before, after } = statusCallsAfterCallback(apimodels);
    expect(before).toBe(0);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThanOrEqual(2);
  });

  it.concurrent('shrugs off duplicate callbacks: one submission, one success, at most one extra status call', async ({
    onTestFinished,
  }) => {
    const { fake, createWorker, start } = await setUp(onTestFinished);
    const kling = fake();
    kling.callbacks.duplicate = true;
    const worker = await createWorker();
    const handle = await start();

    const result: GenerationStatus = await worker.runUntil(
      within(handle.result(), 20_000, 'the callback did not wake the workflow'),
    );
    const sent = await kling.waitForCallbacks(2);

    expect(result.status).toBe('succeeded');
    expect(result.attempts).toEqual([expect.objectContaining({ outcome: 'succeeded' })]);
    expect(result.videos).toHaveLength(1);
    expect(kling.submissions).toBe(1);
    expect(kling.requestsFor('submit')).toHaveLength(1);
    expect(sent.map((callback) => callback.status)).toEqual([200, 200]);
    const { after } = statusCallsAfterCallback(kling);
    expect(after).toBeGreaterThanOrEqual(1);
    expect(after).toBeLessThanOrEqual(2);
    // The second copy reached the running workflow, or found it finished: both harmless.
    const signals = await signalCount(handle);
    expect(signals).toBeGreaterThanOrEqual(1);
    expect(signals).toBeLessThanOrEqual(2);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
  });

  it.concurrent('rejects a forged callback (wrong token) with 404 and the job keeps waiting', async ({
    onTestFinished,
  }) => {
    const { fake, createWorker, start, publicUrl } = await setUp(onTestFinished);
    const kling = fake();
    kling.renderMs = 10 * 60_000; // the fake's own callback is not due during this test
    const worker = await createWorker();
    const handle = await start();

    await worker.runUntil(async () => {
      const waiting = await until(
        () => handle.query(statusQuery),
        (status) => status.phase === 'waiting',
      );
      const taskId = waiting.providerTaskId!;
      const path = `/callbacks/${encodeURIComponent(handle.workflowId)}/1`;
      const forgedTokens = [
        'A'.repeat(32),
        callbackToken(randomBytes(32), handle.workflowId, 1), // another secret
        callbackToken(secret, `${handle.workflowId}-other`, 1), // another workflow's token
      ];

      for (const token of forgedTokens) {
        const answer = await fetch(`${publicUrl}${path}/${token}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ task_id: taskId, task_status: 'succeed' }),
        });
        expect(answer.status).toBe(404);
      }

      // Still waiting, nothing polled, no signal reached the workflow.
      const status = await handle.query(statusQuery);
      expect(status).toMatchObject({ status: 'running', phase: 'waiting', polls: 0 });
      expect(kling.requestsFor('status')).toHaveLength(0);
      expect(await signalCount(handle)).toBe(0);

      // The genuine callback, once the render is done, still ends the job.
      kling.completeTask(taskId);
      const result = await within(handle.result(), 20_000, 'the genuine callback did not land');
      expect(result.status).toBe('succeeded');
      expect(await signalCount(handle)).toBe(1);
    });
  });

  it.concurrent('answers a late callback after the job finished with 200 and changes nothing', async ({
    onTestFinished,
  }) => {
    const { fake, createWorker, start, logs } = await setUp(onTestFinished);
    const kling = fake();
    const worker = await createWorker();
    const handle = await start();
    const result: GenerationStatus = await worker.runUntil(
      within(handle.result(), 20_000, 'the callback did not wake the workflow'),
    );
    const submitted = kling.requestsFor('submit')[0]?.json as { callback_url: string } | undefined;
    const url = submitted?.callback_url ?? '';
    expect(url).toContain('/callbacks/');
    const signalsBefore = await signalCount(handle);

    const answer = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(kling.sentCallbacks[0]?.body),
    });

    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({ ok: true });
    expect(await signalCount(handle)).toBe(signalsBefore);
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    expect(await handle.result()).toEqual(result);
    expect(logs).toContainEqual(expect.stringMatching(/^debug: .*closed or unknown/));
    expect(logs.filter((line) => line.startsWith('warn:'))).toEqual([]);
  });
});

/** Rejects with `message` unless the promise settles within `ms` (no test waits out 60 s). */
function within<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Reads `read` until `done` holds (a workflow query: there is nothing to subscribe to). */
async function until<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function signalCount(handle: WorkflowHandle): Promise<number> {
  const history = await handle.fetchHistory();
  return (history.events ?? []).filter((event) => event.workflowExecutionSignaledEventAttributes)
    .length;
}

/** Every string and payload (decoded as UTF-8) in a history, to search for secrets. */
function historyText(history: unknown): string {
  const parts: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') parts.push(value);
    else if (value instanceof Uint8Array) parts.push(Buffer.from(value).toString('utf8'));
    else if (Array.isArray(value)) value.forEach(visit);
    else if (value && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(history);
  return parts.join('\n');
}
