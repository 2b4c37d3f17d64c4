import { describe, expect, it } from 'vitest';
import { batchWorkflowId } from '../../src/contracts/batch.js';
import {
  batchEntries,
  readManifest,
  uniqueBatchId,
  useBatchStack,
} from '../support/batch-stack.js';

/**
 * Size of the continue-as-new batch. KLINGFLOW_TEST_BATCH_SIZE lowers it for quick local runs;
 * a smaller batch then gets a proportionally lower history bound, so it still continues as new.
 * At the default size the server's own continue-as-new suggestion triggers it.
 */
const DEFAULT_LARGE_BATCH_SIZE = 2_000;
const LARGE_BATCH_SIZE = Number(process.env.KLINGFLOW_TEST_BATCH_SIZE ?? DEFAULT_LARGE_BATCH_SIZE);

/**
 * The one long batch test, in a file of its own (the rest are in batch.test.ts): it is the
 * longest file of the suite, so the sequencer starts it first and the other fork runs the
 * other batch tests meanwhile.
 */
describe('batchGenerate on a real Temporal dev server, at size', () => {
  const setUp = useBatchStack();

  it(`finishes a ${LARGE_BATCH_SIZE}-item batch by continuing as new before its history grows too long`, async () => {
    const { context, client, fake } = await setUp({ renderMs: 0 });
    const worker = await context.createWorker();
    const batchId = uniqueBatchId('large');

    const startedAt = Date.now();
    const result = await worker.runUntil(async () => {
      await client.startBatch(batchEntries(LARGE_BATCH_SIZE), {
        batchId,
        concurrency: 50,
        ...(LARGE_BATCH_SIZE < DEFAULT_LARGE_BATCH_SIZE
          ? { historyEventLimit: LARGE_BATCH_SIZE * 4 }
          : {}),
      });
      return client.waitForBatch(batchId, { intervalMs: 1_000 });
    });
    const elapsedMs = Date.now() - startedAt;
    const resultBytes = Buffer.byteLength(JSON.stringify(result));
    console.info(
      `${LARGE_BATCH_SIZE}-item batch: ${elapsedMs} ms, ${result.runs} runs, result ${resultBytes} bytes`,
    );

    expect(result.total).toBe(LARGE_BATCH_SIZE);
    expect(result.succeeded).toBe(LARGE_BATCH_SIZE);
    expect(result.items.map((item) => item.key)).toEqual(
      Array.from({ length: LARGE_BATCH_SIZE }, (_, index) => String(index + 1)),
    );
    expect(fake.submissions).toBe(LARGE_BATCH_SIZE);
    expect(result.runs).toBeGreaterThan(1);

    // The last run was continued from an earlier one; the first run's history ends in
    // continue-as-new, well under Temporal's event limits.
    const lastRun = await context.client.workflow
      .getHandle(batchWorkflowId(batchId))
      .fetchHistory();
    const started = lastRun.events?.[0]?.workflowExecutionStartedEventAttributes;
    expect(started?.continuedExecutionRunId).toBeTruthy();
    const firstRun = await context.client.workflow
      .getHandle(batchWorkflowId(batchId), started!.firstExecutionRunId!)
      .fetchHistory();
    const events = firstRun.events ?? [];
    expect(events.at(-1)?.workflowExecutionContinuedAsNewEventAttributes).toBeTruthy();
    expect(events.length).toBeLessThan(10_240);

    // Results stay compact: the whole batch's state is far below Temporal's 2 MB payload cap.
    expect(resultBytes / LARGE_BATCH_SIZE).toBeLessThan(400);
    const manifest = await readManifest(result.manifestPath);
    expect(manifest).toHaveLength(LARGE_BATCH_SIZE);
  }, 1_800_000);
});
