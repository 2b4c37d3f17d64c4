import { randomBytes } from 'node:crypto';
import { NativeConnection } from '@temporalio/worker';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { callbacksOf } from '../../src/simulated/fake-callbacks.js';
import { type CallbackServer, createCallbackServer } from '../../src/webhooks/callback-server.js';
import { callbackUrlBuilder } from '../../src/webhooks/callback-token.js';
import { createKlingflowWorker } from '../../src/worker.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

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
    context = await createIntegrationContext({ providers: ['fal', 'replicate'], renderMs: 800 });
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
