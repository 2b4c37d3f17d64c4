import { WorkflowFailedError } from '@temporalio/client';
import type { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { createFilesystemStorage } from '../../src/storage/filesystem-storage.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

describe('a bad request image', () => {
  let context: IntegrationContext;

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['kling', 'hyprlab'] });
  });

  afterEach(async () => {
    await context.teardown();
  });

  it('fails the job once, naming the image, without failing over or submitting anywhere', async () => {
    // A stored "image" that is not one: every provider would refuse it the same way.
    const storage = createFilesystemStorage({ rootDirectory: context.storageDirectory });
    const startImage = await storage.putBlob(Buffer.from('not an image at all'), 'image/png');
    const request = parseUnifiedRequest({
      prompt: 'a lighthouse in a storm',
      model: 'kling-v1.6',
      startImage,
    });
    const worker = await context.createWorker();
    const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `bad-image-${Math.random().toString(36).slice(2)}`,
      args: [{ request, providers: ['kling', 'hyprlab'] } satisfies GenerateVideoInput],
    });
    const failure = await worker.runUntil(
      handle.result().then(
        () => undefined,
        (error: unknown) => error,
      ),
    );

    expect(failure).toBeInstanceOf(WorkflowFailedError);
    const cause = (failure as WorkflowFailedError).cause as ApplicationFailure;
    const status = cause.details?.[0] as GenerationStatus;
    expect(status.attempts.map((attempt) => [attempt.provider, attempt.errorKind])).toEqual([
      ['kling', 'invalid-request'],
    ]);
    expect(status.error).toMatch(/startImage: .*not a JPEG, PNG or WebP image/);
    expect(context.providers.fakes.kling.submissions).toBe(0);
    expect(context.providers.fakes.hyprlab.submissions).toBe(0);
  });
});
