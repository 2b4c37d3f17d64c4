import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { statusQuery } from '../../src/contracts/messages.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { type IntegrationContext, itWithContext } from '../support/stack.js';

/** A failed generation carries its final status as the failure's details. */
function failedStatus(error: unknown): GenerationStatus {
  const cause = (error as WorkflowFailedError).cause;
  expect(cause).toBeInstanceOf(ApplicationFailure);
  return (cause as ApplicationFailure).details?.[0] as GenerationStatus;
}

/**
 * Each test gets a context of its own (fakes, task queue, storage), so the tests run
 * concurrently: most of their time is spent waiting on renders and polls.
 */
const it = itWithContext({ providers: ['hyprlab', 'apimodels', 'kling'] });

describe.concurrent('generateVideo on a real Temporal dev server', () => {
  function start(
    context: IntegrationContext,
    input: Partial<GenerateVideoInput> & { request?: Record<string, unknown> },
  ) {
    const request = parseUnifiedRequest({
      prompt: 'a cat in a garden',
      model: 'kling-v1.6',
      ...input.request,
    });
    return context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `generate-${Math.random().toString(36).slice(2)}`,
      args: [{ ...input, request } satisfies GenerateVideoInput],
    });
  }

  it('submits once, polls, downloads a verified MP4 and stores it with a sidecar', async ({
    context,
  }) => {
    const worker = await context.createWorker();
    const handle = await start(context, { providers: ['hyprlab'] });
    const result: GenerationStatus = await worker.runUntil(handle.result());

    expect(result.status).toBe('succeeded');
    expect(result.provider).toBe('hyprlab');
    expect(result.estimatedCost).toEqual({ amount: 0.2, unit: 'USD' });
    expect(context.providers.fakes.hyprlab.submissions).toBe(1);
    const [video] = result.videos;
    expect(video).toBeDefined();
    const bytes = await readFile(video!.path);
    expect(video!.bytes).toBe(bytes.length);
    expect(video!.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
    expect(bytes.subarray(4, 8).toString('ascii')).toBe('ftyp');
    const sidecar = JSON.parse(await readFile(video!.path.replace(/\.mp4$/, '.json'), 'utf8'));
    expect(sidecar).toMatchObject({
      provider: 'hyprlab',
      sha256: video!.sha256,
      workflowId: handle.workflowId,
      // Written by the poll, before the workflow settled the ledger: as it is at the end.
      spend: result.spend,
    });
    expect(result.spend.tasks.map((task) => task.outcome)).toEqual(['delivered']);

    const history = await handle.fetchHistory();
    const activityTypes = (history.events ?? [])
      .map((event) => event.activityTaskScheduledEventAttributes?.activityType?.name)
      .filter(Boolean);
    // The poll that finds the task done also downloads, verifies and stores the video
    // (`job-v6`), on one host: no download activity after it, and no storeVideo local activity,
    // which could run on a worker that does not have the staged file.
    expect(activityTypes).toEqual(['submitTask', 'checkTask']);
    const localActivities = (history.events ?? []).flatMap((event) => {
      const marker = event.markerRecordedEventAttributes;
      if (marker?.markerName !== 'core_local_activity') return [];
      const data = marker.details?.data?.payloads?.[0]?.data;
      return [JSON.parse(Buffer.from(data ?? new Uint8Array()).toString('utf8')).activity_type];
    });
    expect(localActivities).toEqual(['planRoute']);
  });

  it('answers the status query with phase, provider and attempts while running', async ({
    context,
  }) => {
    context.providers.fakes.hyprlab.renderMs = 3_000;
    const worker = await context.createWorker();
    const handle = await start(context, { providers: ['hyprlab'] });
    await worker.runUntil(async () => {
      let status: GenerationStatus | undefined;
      for (let tries = 0; tries < 100; tries++) {
        status = await handle.query(statusQuery);
        if (status.phase === 'waiting') break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(status).toMatchObject({
        status: 'running',
        phase: 'waiting',
        provider: 'hyprlab',
        model: 'kling-v1.6',
      });
      expect(status?.attempts).toEqual([
        expect.objectContaining({
          provider: 'hyprlab',
          outcome: 'running',
          providerTaskId: expect.any(String),
        }),
      ]);
      await handle.result();
    });
  });

  it('fails over to the next provider when the first is out of credit, and records both attempts', async ({
    context,
  }) => {
    context.providers.fakes.hyprlab.injectFault({
      route: 'submit',
      fault: { type: 'status', status: 402, body: { error: { message: 'Insufficient credits' } } },
    });
    const worker = await context.createWorker();
    const handle = await start(context, { providers: ['hyprlab', 'kling'] });
    const result: GenerationStatus = await worker.runUntil(handle.result());

    expect(result.status).toBe('succeeded');
    expect(result.provider).toBe('kling');
    expect(
      result.attempts.map((attempt) => [attempt.provider, attempt.outcome, attempt.errorKind]),
    ).toEqual([
      ['hyprlab', 'failed', 'provider-unavailable'],
      ['kling', 'succeeded', undefined],
    ]);
    expect(context.providers.fakes.hyprlab.submissions).toBe(0);
    expect(context.providers.fakes.kling.submissions).toBe(1);
  });

  it('fails the job without failover when the provider rejects the content', async ({
    context,
  }) => {
    context.providers.fakes.hyprlab.queueOutcome({
      type: 'fail',
      message: 'Content policy violation: sensitive content',
    });
    const worker = await context.createWorker();
    const handle = await start(context, { providers: ['hyprlab', 'kling'] });
    const error = await worker.runUntil(handle.result().catch((failure: unknown) => failure));

    expect(error).toBeInstanceOf(WorkflowFailedError);
    const status = failedStatus(error);
    expect(status.status).toBe('failed');
    expect(status.attempts).toEqual([
      expect.objectContaining({
        provider: 'hyprlab',
        outcome: 'failed',
        errorKind: 'content-rejected',
      }),
    ]);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });
});
