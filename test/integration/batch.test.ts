import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import type { BatchEntry } from '../../src/client/batch-file.js';
import type { KlingflowClient } from '../../src/client/klingflow-client.js';
import {
  BATCH_GENERATE_WORKFLOW,
  BATCH_ITEM_ID_SCHEME,
  type BatchInput,
  type BatchResult,
  type BatchStatus,
  batchItemWorkflowId,
  batchWorkflowId,
} from '../../src/contracts/batch.js';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
  type GenerationStatus,
} from '../../src/contracts/generation.js';
import { ValidationError } from '../../src/errors.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import {
  batchEntries,
  readManifest,
  uniqueBatchId,
  useBatchStack,
} from '../support/batch-stack.js';
import { waitUntil } from '../support/wait-until.js';

describe('batchGenerate on a real Temporal dev server', () => {
  const setUp = useBatchStack();

  /** Polls the status until `predicate` holds (a condition, not a fixed sleep). */
  async function statusWhen(
    client: KlingflowClient,
    batchId: string,
    predicate: (status: BatchStatus) => boolean,
  ): Promise<BatchStatus> {
    for (let tries = 0; tries < 300; tries++) {
      try {
        const status = await client.getBatchStatus(batchId);
        if (predicate(status)) return status;
      } catch {
        // not started or no worker has answered yet
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`batch ${batchId} never reached the expected status`);
  }

  /** How many runs the batch's workflow id has had (each start or re-run is one). */
  async function batchRuns(client: KlingflowClient, batchId: string): Promise<number> {
    let runs = 0;
    for await (const _ of client.temporal.workflow.list({
      query: `WorkflowId = '${batchWorkflowId(batchId)}'`,
    }))
      runs++;
    return runs;
  }

  it('runs every item as its own job, stores the videos and writes a JSONL manifest', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('small');
    const items: BatchEntry[] = [
      { id: 'intro', line: 1, request: { prompt: 'a lighthouse at dusk', model: 'kling-v1.6' } },
      { line: 2, request: { prompt: 'waves on rocks', model: 'kling-v1.6' } },
      { id: 'outro', line: 3, request: { prompt: 'gulls at sunrise', model: 'kling-v1.6' } },
    ];

    const result = await worker.runUntil(async () => {
      const started = await client.startBatch(items, { batchId, concurrency: 2 });
      expect(started).toEqual({
        batchId,
        workflowId: batchWorkflowId(batchId),
        attached: false,
        rerun: false,
        total: 3,
        itemIdScheme: BATCH_ITEM_ID_SCHEME,
      });
      return client.waitForBatch(batchId, { intervalMs: 100 });
    });

    expect(result).toMatchObject({
      batchId,
      total: 3,
      succeeded: 3,
      failed: 0,
      skipped: 0,
      stoppedByBudget: false,
      estimatedSpend: 0.6,
    });
    expect(fake.submissions).toBe(3);
    // Items keep batch order; keys are the line's id or its line number.
    expect(result.items.map((item) => [item.key, item.workflowId, item.status])).toEqual([
      ['intro', batchItemWorkflowId(batchId, 'intro', BATCH_ITEM_ID_SCHEME), 'succeeded'],
      ['2', batchItemWorkflowId(batchId, '2', BATCH_ITEM_ID_SCHEME), 'succeeded'],
      ['outro', batchItemWorkflowId(batchId, 'outro', BATCH_ITEM_ID_SCHEME), 'succeeded'],
    ]);
    for (const item of result.items) {
      expect(item).toMatchObject({ provider: 'hyprlab', estimatedCost: 0.2 });
      expect((await stat(item.videos![0]!)).size).toBeGreaterThan(0);
    }

    expect(result.manifestPath).toBe(join(context.storageDirectory, 'batches', `${batchId}.jsonl`));
    const manifest = await readManifest(result.manifestPath);
    expect(manifest).toHaveLength(3);
    expect(manifest[1]).toMatchObject({
      batchId,
      key: '2',
      line: 2,
      status: 'succeeded',
      provider: 'hyprlab',
      videos: [
        { path: result.items[1]!.videos![0], sha256: expect.stringMatching(/^[0-9a-f]{64}$/) },
      ],
    });
  });

  it('never submits an item again when the same batch id is run a second time', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('rerun');
    const items = batchEntries(4);

    await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 4 });
      // Starting it again while it runs attaches to the running batch.
      const again = await client.startBatch(items, { batchId, concurrency: 4 });
      expect(again).toMatchObject({ attached: true, rerun: false });
      const first = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(first.succeeded).toBe(4);
      expect(fake.submissions).toBe(4);
      const firstManifest = await readFile(first.manifestPath!, 'utf8');

      // After it finished: a new run that finds every item's job and reuses its result.
      const rerun = await client.startBatch(items, { batchId, concurrency: 4 });
      expect(rerun).toMatchObject({ attached: false, rerun: true });
      const second = await client.waitForBatch(batchId, { intervalMs: 100 });

      expect(fake.submissions).toBe(4);
      expect(second.items.every((item) => item.existing === true)).toBe(true);
      const withoutExisting = (result: BatchResult) =>
        result.items.map(({ existing: _existing, ...item }) => item);
      expect(withoutExisting(second)).toEqual(withoutExisting(first));
      expect(second).toMatchObject({
        succeeded: 4,
        failed: 0,
        estimatedSpend: first.estimatedSpend,
      });
      expect(await readFile(second.manifestPath!, 'utf8')).not.toBe('');
      expect((await readManifest(second.manifestPath)).map((line) => line.videos)).toEqual(
        (await readManifest(first.manifestPath)).map((line) => line.videos),
      );
      expect(firstManifest).not.toBe('');
    });
  });

  it('refuses a re-run whose file changed an item, naming its line, and starts nothing', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('changed');
    const items = batchEntries(3);

    await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 3 });
      await client.waitForBatch(batchId, { intervalMs: 100 });
      const runsBefore = await batchRuns(client, batchId);

      // Line 2 now asks for another video; line 4 is new (allowed: it has no job yet).
      const edited = [
        ...items.slice(0, 1),
        { ...items[1]!, request: { ...items[1]!.request, prompt: 'a different shot' } },
        items[2]!,
        ...batchEntries(4).slice(3),
      ];
      const refusal = await client
        .startBatch(edited, { batchId, concurrency: 3 })
        .catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(ValidationError);
      expect((refusal as ValidationError).issues).toEqual([
        expect.objectContaining({
          field: 'id',
          location: 'line 2',
          message: expect.stringContaining(`item 2 of batch ${batchId} ran before`),
        }),
      ]);
      expect(fake.submissions).toBe(3);
      expect(await batchRuns(client, batchId)).toBe(runsBefore);
    });
  });

  it('refuses to follow a running batch with a file that changed an item it has not taken yet', async () => {
    const { context, client, fake } = await setUp({ renderMs: 2_000 });
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('changed-running');
    const items = batchEntries(3);

    await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 1 });
      await statusWhen(client, batchId, (status) => status.running === 1);

      const edited = [
        ...items.slice(0, 2),
        { ...items[2]!, request: { ...items[2]!.request, mode: 'pro' as const } },
      ];
      const refusal = await client
        .startBatch(edited, { batchId, concurrency: 1 })
        .catch((error: unknown) => error);

      expect(refusal).toBeInstanceOf(ValidationError);
      expect((refusal as ValidationError).issues.map((issue) => issue.location)).toEqual([
        'line 3',
      ]);
      const result = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(result.succeeded).toBe(3);
      expect(fake.submissions).toBe(3);
    });
  });

  it('gives items of different batches different ids, and keeps a first-scheme batch’s ids on re-run', async () => {
    expect(batchItemWorkflowId('a-b', 'c', BATCH_ITEM_ID_SCHEME)).not.toBe(
      batchItemWorkflowId('a', 'b-c', BATCH_ITEM_ID_SCHEME),
    );
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('first-scheme');
    const items = batchEntries(2);

    await worker.runUntil(async () => {
      // A batch as an earlier klingflow started it: items named `<batchId>-<key>`.
      const legacy: BatchInput = {
        batchId,
        concurrency: 2,
        items: items.map((entry) => ({
          key: String(entry.line),
          line: entry.line!,
          request: parseUnifiedRequest(entry.request),
        })),
      };
      await context.client.workflow.execute(BATCH_GENERATE_WORKFLOW, {
        taskQueue: context.taskQueue,
        workflowId: batchWorkflowId(batchId),
        args: [legacy],
      });
      expect(fake.submissions).toBe(2);

      const rerun = await client.startBatch(items, { batchId, concurrency: 2 });
      expect(rerun.itemIdScheme).toBeUndefined();
      const result = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(fake.submissions).toBe(2);
      expect(result.items.map((item) => [item.workflowId, item.existing])).toEqual([
        [`${batchId}-1`, true],
        [`${batchId}-2`, true],
      ]);
    });
  });

  it('waits for a job already running under an item’s id instead of starting another', async () => {
    const { context, client, fake } = await setUp({ renderMs: 1_500 });
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('running');
    const items = batchEntries(2);

    const result = await worker.runUntil(async () => {
      // As if an earlier run of this batch had started item 1 and then gone away.
      const earlier = await context.client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue: context.taskQueue,
        workflowId: batchItemWorkflowId(batchId, '1', BATCH_ITEM_ID_SCHEME),
        args: [
          {
            request: parseUnifiedRequest(items[0]!.request),
            batchId,
          } satisfies GenerateVideoInput,
        ],
      });
      await client.startBatch(items, { batchId, concurrency: 2 });
      const finished = await client.waitForBatch(batchId, { intervalMs: 100 });
      const earlierResult: GenerationStatus = await earlier.result();
      expect(finished.items[0]?.videos).toEqual(earlierResult.videos.map((video) => video.path));
      return finished;
    });

    expect(fake.submissions).toBe(2);
    expect(result.items.map((item) => [item.key, item.status, item.existing])).toEqual([
      ['1', 'succeeded', true],
      ['2', 'succeeded', undefined],
    ]);
  });

  it('keeps at most `concurrency` jobs in flight, and reports progress while it runs', async () => {
    const { context, client, fake } = await setUp({ renderMs: 800 });
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('limit');

    const result = await worker.runUntil(async () => {
      await client.startBatch(batchEntries(6), { batchId, concurrency: 2 });
      const busy = await statusWhen(client, batchId, (status) => status.running === 2);
      expect(busy).toMatchObject({ state: 'running', total: 6, running: 2 });
      expect(busy.pending + busy.succeeded).toBe(4);
      expect(busy.items?.filter((item) => item.status === 'running')).toHaveLength(2);
      return client.waitForBatch(batchId, { intervalMs: 100 });
    });

    expect(result.succeeded).toBe(6);
    expect(fake.submissions).toBe(6);
    // A job is in flight at the provider from its task's creation until its video is fetched.
    const intervals = [...fake.tasks.values()].map((task) => {
      const fetched = fake.requests.find((entry) => entry.path === `/files/${task.id}.mp4`);
      expect(fetched).toBeDefined();
      return [task.createdAt, fetched!.at] as const;
    });
    const mostAtOnce = Math.max(
      ...intervals.map(
        ([start]) =>
          intervals.filter(([otherStart, otherEnd]) => otherStart <= start && start <= otherEnd)
            .length,
      ),
    );
    expect(mostAtOnce).toBeLessThanOrEqual(2);
    expect(mostAtOnce).toBe(2);
  });

  it('stops submitting before the estimated spend would pass --max-cost, and says so', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('budget');

    // Each item is estimated at $0.20 (HyprLab, kling-v1.6 std 5 s): $0.50 pays for two.
    const result = await worker.runUntil(async () => {
      await client.startBatch(batchEntries(5), { batchId, concurrency: 5, maxCost: 0.5 });
      return client.waitForBatch(batchId, { intervalMs: 100 });
    });

    expect(fake.submissions).toBe(2);
    expect(result).toMatchObject({
      succeeded: 2,
      failed: 0,
      skipped: 3,
      stoppedByBudget: true,
      estimatedSpend: 0.4,
      maxCost: 0.5,
    });
    expect(result.items.map((item) => [item.key, item.status, item.reason])).toEqual([
      ['1', 'succeeded', undefined],
      ['2', 'succeeded', undefined],
      ['3', 'skipped', 'over-budget'],
      ['4', 'skipped', 'over-budget'],
      ['5', 'skipped', 'over-budget'],
    ]);
    const manifest = await readManifest(result.manifestPath);
    expect(manifest.map((line) => line.status)).toEqual([
      'succeeded',
      'succeeded',
      'skipped',
      'skipped',
      'skipped',
    ]);
  });

  it('fails alone an item no provider can price in USD under --max-cost; the rest still run', async () => {
    const { context, client, fake } = await setUp({ providers: ['hyprlab', 'kling'] });
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('unpriced');
    const [first, second] = batchEntries(2);
    // The official API prices in base units: no USD value without KLINGFLOW_PRICE_RATES.
    const items = [
      { ...first!, providers: ['kling' as const] },
      { ...second!, providers: ['hyprlab' as const] },
    ];

    const result = await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 1, maxCost: 20 });
      return client.waitForBatch(batchId, { intervalMs: 100 });
    });

    expect(result).toMatchObject({ succeeded: 1, failed: 1, skipped: 0, stoppedByBudget: false });
    expect(result.items[0]).toMatchObject({
      status: 'failed',
      errorKind: 'no-provider',
      error: expect.stringContaining('KLINGFLOW_PRICE_RATES'),
    });
    expect(result.items[1]?.status).toBe('succeeded');
    expect(fake.submissions).toBe(1);
    expect(context.providers.fakes.kling.submissions).toBe(0);
  });

  it('keeps failover within --max-cost: items reserve their route, settle to their ledgers, and a re-run counts earlier spend', async () => {
    const { context, client, fake: hyprlab } = await setUp({ providers: ['hyprlab', 'kling'] });
    // HyprLab $0.20 fails every task at the provider; the official API (2 units at $0.05) works.
    const worker = await context.createWorker({ priceRates: { kling: 0.05 } });
    const kling = context.providers.fakes.kling;
    hyprlab.defaultOutcome = { type: 'fail', message: 'internal error' };
    const batchId = uniqueBatchId('failover-budget');
    const items = batchEntries(10).map((entry) => ({
      ...entry,
      providers: ['hyprlab', 'kling'] as ProviderId[],
    }));
    /** What the providers billed, from the tasks the fakes created. */
    const billed = () =>
      Math.round((hyprlab.submissions * 0.2 + kling.submissions * 0.1) * 100) / 100;

    await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 10, maxCost: 2 });
      const result = await client.waitForBatch(batchId, { intervalMs: 100 });

      // Unbudgeted failover would pay $0.30 per item: $3.00. Six whole routes fit in $2.00,
      // the seventh gets the $0.20 left (HyprLab only), the rest are over budget.
      expect(billed()).toBeLessThanOrEqual(2);
      expect(hyprlab.submissions).toBe(7);
      expect(kling.submissions).toBe(6);
      expect(result.spend.usd).toBe(billed());
      expect(result).toMatchObject({
        succeeded: 6,
        failed: 1,
        skipped: 3,
        stoppedByBudget: true,
        maxCost: 2,
      });
      expect(
        result.items.map((item) => [item.key, item.status, item.reason, item.spend?.usd]),
      ).toEqual([
        ...['1', '2', '3', '4', '5', '6'].map((key) => [key, 'succeeded', undefined, 0.3]),
        ['7', 'failed', undefined, 0.2],
        ['8', 'skipped', 'over-budget', undefined],
        ['9', 'skipped', 'over-budget', undefined],
        ['10', 'skipped', 'over-budget', undefined],
      ]);
      const manifest = await readManifest(result.manifestPath);
      expect(manifest[6]).toMatchObject({ key: '7', spend: { usd: 0.2 } });

      // The same batch id again, even retrying failures: what the earlier jobs spent counts,
      // so nothing more is paid.
      for (const retryFailed of [false, true]) {
        await client.startBatch(items, { batchId, concurrency: 10, maxCost: 2, retryFailed });
        const again = await client.waitForBatch(batchId, { intervalMs: 100 });
        expect([hyprlab.submissions, kling.submissions]).toEqual([7, 6]);
        expect(again.spend.usd).toBe(2);
        expect(again.items.map((item) => item.status)).toEqual(
          result.items.map((item) => (retryFailed && item.key === '7' ? 'skipped' : item.status)),
        );
      }
    });
  });

  it('reports failed items with their reasons; a re-run leaves them alone unless asked to retry', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('failures');
    fake.queueOutcome({ type: 'fail', message: 'Content policy violation: sensitive content' });
    const items: BatchEntry[] = [
      ...batchEntries(2),
      // Only HyprLab has a key on this worker: no provider can serve this item.
      { id: 'kling-only', request: { prompt: 'a fox', model: 'kling-v1.6' }, providers: ['kling'] },
    ];

    await worker.runUntil(async () => {
      // Concurrency 1: the first item is the first task, the one the fake fails.
      await client.startBatch(items, { batchId, concurrency: 1 });
      const result = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(result).toMatchObject({ succeeded: 1, failed: 2, skipped: 0 });
      expect(result.items[0]).toMatchObject({
        key: '1',
        status: 'failed',
        provider: 'hyprlab',
        errorKind: 'content-rejected',
        error: expect.stringContaining('Content policy violation'),
      });
      expect(result.items[2]).toMatchObject({
        key: 'kling-only',
        status: 'failed',
        errorKind: 'no-provider',
        error: expect.stringContaining('kling: not configured'),
      });
      expect(fake.submissions).toBe(2);

      // Same id again: the failed job is finished, so it is reported, not submitted again.
      await client.startBatch(items, { batchId, concurrency: 1 });
      const again = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(fake.submissions).toBe(2);
      expect(again.items[0]).toMatchObject({ status: 'failed', existing: true });

      // Asked to retry failures: only the failed job runs again (and now succeeds).
      await client.startBatch(items, { batchId, concurrency: 1, retryFailed: true });
      const retried = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(fake.submissions).toBe(3);
      expect(retried.items.map((item) => [item.key, item.status, item.existing])).toEqual([
        ['1', 'succeeded', undefined],
        ['2', 'succeeded', true],
        ['kling-only', 'failed', undefined],
      ]);
    });
  });

  it('--retry-failed leaves an item whose job may hold a paid task, unless --retry-paid', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('paid');
    // Item 1: HyprLab takes the submit, then a gateway page comes back (paid or not, unknown).
    // Item 2: rendered and paid, but its video cannot be downloaded (gone for good).
    fake.injectFault({ route: 'submit', times: 1, fault: { type: 'accept-then-gateway-page' } });
    fake.injectFault({ route: 'download', times: 3, fault: { type: 'status', status: 404 } });
    const items = batchEntries(2);

    await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 1 });
      const first = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(first.items.map((item) => [item.status, item.errorKind])).toEqual([
        ['failed', 'ambiguous-submit'],
        ['failed', 'download-failed'],
      ]);
      expect(fake.submissions).toBe(2);

      // Retrying failures would pay again for both: left alone, saying where the task is.
      await client.startBatch(items, { batchId, concurrency: 1, retryFailed: true });
      const retried = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(fake.submissions).toBe(2);
      expect(retried.items.map((item) => [item.status, item.errorKind, item.error])).toEqual([
        [
          'failed',
          'ambiguous-submit',
          expect.stringContaining('not retried: the earlier job may hold a paid task at hyprlab'),
        ],
        [
          'failed',
          'download-failed',
          expect.stringContaining('has a paid render at hyprlab whose download failed'),
        ],
      ]);
      expect(retried.spend?.usd).toBeGreaterThan(0);

      // Asked for explicitly: both run again and are paid again.
      await client.startBatch(items, {
        batchId,
        concurrency: 1,
        retryFailed: true,
        retryPaid: true,
      });
      const paidAgain = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(paidAgain.items.map((item) => item.status)).toEqual(['succeeded', 'succeeded']);
      expect(fake.submissions).toBe(4);
    });
  });

  it('--retry-failed leaves an item whose job gave up a task still rendering at its deadline', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('abandoned');
    // The render outlives the job: the task is abandoned, and HyprLab may still finish and bill it.
    fake.queueOutcome({ type: 'stuck' });
    const items = batchEntries(1);

    await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 1, deadlineMs: 3_000 });
      const first = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(first.items[0]?.status).toBe('failed');

      await client.startBatch(items, { batchId, concurrency: 1, retryFailed: true });
      const retried = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(fake.submissions).toBe(1);
      expect(retried.items[0]).toMatchObject({
        status: 'failed',
        error: expect.stringContaining('gave up a task at hyprlab that was still rendering'),
      });
    });
  });

  it('--retry-failed leaves an item whose job an operator terminated while its submit was in flight', async () => {
    const { context, client, fake } = await setUp();
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('terminated');
    // HyprLab takes the task at once and answers late; the job sits in `submitting`.
    fake.injectFault({
      route: 'submit',
      times: 1,
      fault: { type: 'accept-then-delay', ms: 20_000 },
    });
    const items = batchEntries(1);

    await worker.runUntil(async () => {
      await client.startBatch(items, { batchId, concurrency: 1 });
      await waitUntil('HyprLab created the task', () => fake.submissions === 1);
      const job = context.client.workflow.getHandle(
        batchItemWorkflowId(batchId, '1', BATCH_ITEM_ID_SCHEME),
      );
      await job.terminate('operator: stuck in submitting');
      await client.waitForBatch(batchId, { intervalMs: 100 });

      await client.startBatch(items, { batchId, concurrency: 1, retryFailed: true });
      const retried = await client.waitForBatch(batchId, { intervalMs: 100 });
      expect(fake.submissions).toBe(1);
      expect(retried.items[0]).toMatchObject({
        status: 'failed',
        errorKind: 'ambiguous-submit',
        error: expect.stringContaining('may hold a paid task at hyprlab'),
      });
    });
  });

  it('cancelling a batch cancels its running jobs and still writes the manifest', async () => {
    const { context, client } = await setUp({ renderMs: 60_000 });
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('cancel');

    await worker.runUntil(async () => {
      await client.startBatch(batchEntries(3), { batchId, concurrency: 2 });
      await statusWhen(client, batchId, (status) => status.running === 2);
      await client.cancel(batchWorkflowId(batchId));
      const error = await client.waitForBatch(batchId).catch((failure: unknown) => failure);
      expect(error).toBeInstanceOf(WorkflowFailedError);
      expect((error as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);

      for (const key of ['1', '2']) {
        const child = context.client.workflow.getHandle(
          batchItemWorkflowId(batchId, key, BATCH_ITEM_ID_SCHEME),
        );
        expect((await child.describe()).status.name).toBe('CANCELLED');
      }
      const manifest = await readManifest(
        join(context.storageDirectory, 'batches', `${batchId}.jsonl`),
      );
      expect(
        manifest.map((line) => [line.key, line.status, line.errorKind ?? line.reason]),
      ).toEqual([
        ['1', 'failed', 'cancelled'],
        ['2', 'failed', 'cancelled'],
        ['3', 'skipped', 'cancelled'],
      ]);
    });
  });
});
