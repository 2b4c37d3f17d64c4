import type { WorkflowHandle } from '@temporalio/client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
} from '../../src/contracts/generation.js';
import {
  initialJobSearchAttributes,
  KLING_MODEL,
  KLING_PHASE,
  KLING_PROVIDER,
  KLING_STATUS,
} from '../../src/contracts/search-attributes.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { patchIdOf } from '../support/patch-markers.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

/**
 * Each search-attribute update is a billable action. A job started with its first attributes
 * (as the client and batches do) publishes only its long phase, waiting (with the provider),
 * and its final status; the short phases show in the status query. Each `patched()` a new run
 * asks is one more update, so the current version asks one.
 */
describe('search-attribute updates per job', () => {
  let context: IntegrationContext;

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['hyprlab'], renderMs: 600 });
  });

  afterEach(async () => {
    await context.teardown();
  });

  async function runJob(startedWithAttributes: boolean): Promise<WorkflowHandle> {
    const request = parseUnifiedRequest({ prompt: 'a cat in a garden', model: 'kling-v1.6' });
    const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `upserts-${Math.random().toString(36).slice(2)}`,
      args: [{ request, providers: ['hyprlab'], pollIntervalMs: 200 } satisfies GenerateVideoInput],
      ...(startedWithAttributes
        ? { typedSearchAttributes: initialJobSearchAttributes(request.model) }
        : {}),
    });
    await handle.result();
    return handle;
  }

  /** klingflow's own updates (key → value), and its patches (each one more update). */
  async function updates(
    handle: WorkflowHandle,
  ): Promise<{ kling: Record<string, unknown>[]; patches: string[] }> {
    const events = (await handle.fetchHistory()).events ?? [];
    const kling = events.flatMap((event) => {
      const fields =
        event.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {};
      const keys = Object.keys(fields).filter((key) => key.startsWith('Kling'));
      if (keys.length === 0) return [];
      return [
        Object.fromEntries(
          keys.sort().map((key) => [key, JSON.parse(Buffer.from(fields[key]!.data!).toString())]),
        ),
      ];
    });
    const patches = events.flatMap((event) => {
      const id = patchIdOf(event.markerRecordedEventAttributes);
      return id === undefined ? [] : [id];
    });
    return { kling, patches };
  }

  async function attributes(handle: WorkflowHandle): Promise<Record<string, unknown>> {
    const { typedSearchAttributes } = await handle.describe();
    return {
      provider: typedSearchAttributes.get(KLING_PROVIDER),
      model: typedSearchAttributes.get(KLING_MODEL),
      phase: typedSearchAttributes.get(KLING_PHASE),
      status: typedSearchAttributes.get(KLING_STATUS),
    };
  }

  it('publishes waiting (with the provider), asks one patch, and a success ends with no update', async () => {
    const worker = await context.createWorker();
    const [started, bare] = await worker.runUntil(() => Promise.all([runJob(true), runJob(false)]));
    // A succeeded job keeps its last running values; its execution status says it is done.
    const final = { provider: 'hyprlab', model: 'kling-v1.6', phase: 'waiting', status: 'running' };
    const waiting = { KlingPhase: 'waiting', KlingProvider: 'hyprlab' };

    // No SDK-internal patch either: a polled job's first wait is no `condition()` timer.
    expect(await updates(started)).toEqual({ kling: [waiting], patches: ['job-v6'] });
    expect(await attributes(started)).toEqual(final);
    expect((await started.describe()).status.name).toBe('COMPLETED');
    // A starter that set no attributes costs one update more: the job sets them itself.
    const planning = { KlingModel: 'kling-v1.6', KlingPhase: 'planning', KlingStatus: 'running' };
    expect(await updates(bare)).toEqual({ kling: [planning, waiting], patches: ['job-v6'] });
    expect(await attributes(bare)).toEqual(final);
  });
});
