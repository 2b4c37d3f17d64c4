import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { callbacksOf } from '../../src/simulated/fake-callbacks.js';
import { type CallbackServer, createCallbackServer } from '../../src/webhooks/callback-server.js';
import { callbackUrlBuilder } from '../../src/webhooks/callback-token.js';
import { createKlingflowWorker } from '../../src/worker.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';
import { waitUntil } from '../support/wait-until.js';
import { finalStatus } from './stub-activities.js';

/**
 * fal.ai and Replicate through the whole workflow on a real Temporal dev server: submit to the
 * fake, the provider's own callback (fal `fal_webhook`, Replicate `webhook` with its large
 * prediction body) wakes the workflow long before the 60 s poll, and the video is stored.
 */

const SLOW_POLLING_MS = 60_000;

describe('fal.ai and Replicate on a real Temporal dev server', () => {
  let context: IntegrationContext;
  let callbackServer: CallbackServer;
  let workerConnection: NativeConnection | undefined;
  const secret = randomBytes(32);

  beforeEach(async () => {
    context = await createIntegrationContext({
      providers: ['fal', 'replicate', 'hyprlab'],
      renderMs: 800,
    });
    callbackServer = await createCallbackServer({
      port: 0,
      host: '127.0.0.1',
      client: context.client,
      secret,
    });
  });

  afterEach(async () => {
    await callbackServer.close();
    await context.teardown();
    await workerConnection?.close();
    workerConnection = undefined;
  });

  /** A worker that serves callbacks (so Replicate's lookup can match the webhook URL). */
  const startWorker = async (pollIntervalMs = SLOW_POLLING_MS) => {
    workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
    return createKlingflowWorker({
      connection: workerConnection,
      namespace: 'default',
      settings: { ...context.settings, pollIntervalMs, initialWaitMs: pollIntervalMs },
      environment: context.providers.environment,
      workflowBundle: { codePath: inject('workflowBundlePath') },
      callbackUrl: callbackUrlBuilder(`http://127.0.0.1:${callbackServer.port}`, secret),
    });
  };
  const startJob = (provider: ProviderId, fields: Record<string, unknown>) =>
    context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `${provider}-${Math.random().toString(36).slice(2)}`,
      args: [
        {
          request: parseUnifiedRequest({ prompt: 'a cat in a garden', ...fields }),
          providers: [provider],
          pollIntervalMs: 500,
        } satisfies GenerateVideoInput,
      ],
    });

  describe('Replicate: an ambiguous submit is looked up by its webhook URL', () => {
    it('adopts the prediction a gateway page hid: one task, the job succeeds', async () => {
      const fake = context.providers.fakes.replicate;
      fake.injectFault({ route: 'submit', fault: { type: 'accept-then-gateway-page' }, times: 1 });
      const worker = await startWorker(500);
      const handle = await startJob('replicate', { model: 'kling-v1.6' });
      const status = await worker.runUntil(finalStatus(handle));

      expect(status.status).toBe('succeeded');
      expect(fake.submissions).toBe(1);
      expect(fake.requestsFor('submit')).toHaveLength(1);
      expect(fake.requestsFor('list').length).toBeGreaterThanOrEqual(1);
      const [task] = fake.tasks.values();
      expect(status.spend.tasks).toEqual([
        expect.objectContaining({ provider: 'replicate', taskId: task?.id, outcome: 'delivered' }),
      ]);
    });

    it('fails ambiguous-submit when the listing does not show it: never re-sent', async () => {
      const fake = context.providers.fakes.replicate;
      fake.injectFault({
        route: 'submit',
        fault: { type: 'status', status: 502, body: '<html>502 Bad Gateway</html>' },
        times: 1,
      });
      const worker = await startWorker(500);
      const handle = await startJob('replicate', { model: 'kling-v1.6' });
      const status = await worker.runUntil(finalStatus(handle));

      expect(status.status).toBe('failed');
      expect(status.attempts.map((attempt) => attempt.errorKind)).toEqual(['ambiguous-submit']);
      expect(fake.requestsFor('submit')).toHaveLength(1);
      expect(fake.requestsFor('list').length).toBeGreaterThanOrEqual(1);
      expect(fake.submissions).toBe(0);
      expect(status.spend.tasks).toEqual([
        expect.objectContaining({ provider: 'replicate', outcome: 'ambiguous' }),
      ]);
    });
  });

  describe('a cancelled job', () => {
    const cancelWhileRendering = async (provider: ProviderId, fields: Record<string, unknown>) => {
      const fake = context.providers.fakes[provider];
      fake.renderMs = 120_000;
      const worker = await startWorker(500);
      const handle = await startJob(provider, fields);
      return worker.runUntil(async () => {
        await waitUntil(
          'the job waits for its task',
          async () => (await handle.query(statusQuery)).phase === 'waiting',
        );
        await handle.cancel();
        await expect(handle.result()).rejects.toThrow();
        return { fake, status: await handle.query(statusQuery) };
      });
    };

    it('fal: the task is cancelled at fal and the ledger says so', async () => {
      const { fake, status } = await cancelWhileRendering('fal', {
        model: 'kling-v2.1',
        startImage: 'https://images.example/cat.png',
      });
      expect(status.status).toBe('cancelled');
      expect(fake.requestsFor('cancel')).toHaveLength(1);
      const [task] = fake.tasks.values();
      expect(task?.meta.cancelled).toBe('true');
      expect(status.spend.tasks).toEqual([
        expect.objectContaining({
          taskId: task?.id,
          outcome: 'abandoned',
          cancelAttempt: 'cancelled',
        }),
      ]);
    });

    it('hyprlab (no cancel call): nothing is asked, nothing recorded, the job still cancels', async () => {
      const { fake, status } = await cancelWhileRendering('hyprlab', { model: 'kling-v1.6' });
      expect(status.status).toBe('cancelled');
      expect(fake.requests.filter((request) => request.method !== 'GET')).toHaveLength(1);
      expect(status.spend.tasks).toHaveLength(1);
      expect(status.spend.tasks[0]?.cancelAttempt).toBeUndefined();
    });
  });

  it.each([
    ['fal', { model: 'kling-v2.1', startImage: 'https://images.example/cat.png' }],
    ['replicate', { model: 'kling-v1.6' }],
  ] as const)(
    '%s: the callback ends the wait and the video is stored',
    async (provider, fields) => {
      const fake = callbacksOf(context.providers.fakes[provider as ProviderId]);
      if (provider === 'replicate') Object.assign(fake, { webhookLogBytes: 100_000 });
      workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
      const worker = await createKlingflowWorker({
        connection: workerConnection,
        namespace: 'default',
        settings: {
          ...context.settings,
          pollIntervalMs: SLOW_POLLING_MS,
          initialWaitMs: SLOW_POLLING_MS,
        },
        environment: context.providers.environment,
        workflowBundle: { codePath: inject('workflowBundlePath') },
        callbackUrl: callbackUrlBuilder(`http://127.0.0.1:${callbackServer.port}`, secret),
      });
      const request = parseUnifiedRequest({ prompt: 'a cat in a garden', ...fields });
      const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: context.taskQueue,
        workflowId: `${provider}-${Math.random().toString(36).slice(2)}`,
        args: [
          {
            request,
            providers: [provider as ProviderId],
            pollIntervalMs: SLOW_POLLING_MS,
          } satisfies GenerateVideoInput,
        ],
      });
      const startedAt = Date.now();
      const result: GenerationStatus = await worker.runUntil(handle.result());

      expect(result.status).toBe('succeeded');
      expect(result.provider).toBe(provider);
      expect(Date.now() - startedAt).toBeLessThan(30_000);
      expect(result.videos).toHaveLength(1);
      expect(fake.sentCallbacks).toContainEqual(expect.objectContaining({ status: 200 }));
      expect(fake.submissions).toBe(1);
    },
  );
});
