import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import { createRenderTimeStore, renderTimeStorePath } from '../../src/storage/render-time-store.js';
import { quantile } from '../../src/workflows/generation/poll-policy.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

/**
 * The first status call follows render times the worker learned from earlier jobs (kept in its
 * storage directory, so a restarted worker knows them), instead of a share of the catalog's
 * typical render time: fewer paid polls before the render is done. A request with no history
 * still polls from the catalog guess.
 */

const RENDER_MS = 5_000;
const LEARNED_KEY = 'hyprlab/kling-v1.6/std/5s';
const UNLEARNED_KEY = 'hyprlab/kling-v1.6/std/10s';
/** Earlier renders of 4.6–4.95 s, as an earlier worker on this storage directory recorded them. */
const EARLIER_RENDERS = Array.from({ length: 8 }, (_, index) => 4_600 + index * 50);
/** 210 s typical × this share = a 1.5 s catalog guess (its cap of 4× leaves room to learn). */
const CATALOG_SHARE = 1_500 / 210_000;

describe('first poll from learned render times', () => {
  let context: IntegrationContext;

  beforeEach(async () => {
    context = await createIntegrationContext({ providers: ['hyprlab'], renderMs: RENDER_MS });
  });

  afterEach(async () => {
    await context.teardown();
  });

  async function runJob(duration: 5 | 10): Promise<{ polls: number; firstPollAfterMs: number }> {
    const handle = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
      taskQueue: context.taskQueue,
      workflowId: `learned-first-poll-${duration}-${Math.random().toString(36).slice(2)}`,
      args: [
        {
          request: parseUnifiedRequest({ prompt: 'a fox', model: 'kling-v1.6', duration }),
          providers: ['hyprlab'],
          pollIntervalMs: 300,
        } satisfies GenerateVideoInput,
      ],
    });
    const result: GenerationStatus = await handle.result();
    expect(result.status).toBe('succeeded');
    const fake = context.providers.fakes.hyprlab;
    const task = fake.tasks.get(result.providerTaskId ?? '');
    expect(task).toBeDefined();
    const statusCalls = fake
      .requestsFor('status')
      .filter((entry) => entry.path.includes(task?.id ?? '-'));
    return {
      polls: statusCalls.length,
      firstPollAfterMs: (statusCalls[0]?.at ?? Number.NaN) - (task?.createdAt ?? 0),
    };
  }

  it('waits for the learned low percentile, polls less, and learns from the finished job', async () => {
    const earlier = createRenderTimeStore({ path: renderTimeStorePath(context.storageDirectory) });
    for (const ms of EARLIER_RENDERS) await earlier.record(LEARNED_KEY, ms);

    const worker = await context.createWorker(
      { initialWaitMs: undefined },
      { routing: { initialWaitShare: CATALOG_SHARE } },
    );
    const [learned, unlearned] = await worker.runUntil(() => Promise.all([runJob(5), runJob(10)]));

    const learnedDelay = quantile(EARLIER_RENDERS, 0.1);
    expect(learned.firstPollAfterMs).toBeGreaterThanOrEqual(learnedDelay);
    expect(learned.polls).toBeLessThanOrEqual(3);
    // The same render with no history polls from the 1.5 s catalog guess.
    expect(unlearned.firstPollAfterMs).toBeLessThan(learnedDelay - 1_000);
    expect(unlearned.polls).toBeGreaterThan(learned.polls);

    // Both finished jobs taught the store (read back as a restarted worker would).
    const restarted = createRenderTimeStore({
      path: renderTimeStorePath(context.storageDirectory),
    });
    const learnedSamples = await restarted.samples(LEARNED_KEY);
    expect(learnedSamples).toHaveLength(EARLIER_RENDERS.length + 1);
    expect(learnedSamples.at(-1)).toBeGreaterThan(RENDER_MS - 1_000);
    expect(learnedSamples.at(-1)).toBeLessThan(RENDER_MS + 2_000);
    expect(await restarted.samples(UNLEARNED_KEY)).toHaveLength(1);
  });
});
