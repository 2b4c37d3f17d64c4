import type { Client } from '@temporalio/client';
import { type BatchInput, type BatchItem, batchItemWorkflowId } from '../contracts/batch.js';
import type { GenerateVideoInput } from '../contracts/generation.js';
import { ValidationError, type ValidationIssue } from '../errors.js';
import { requestFingerprint } from './request-fingerprint.js';
import { readWorkflowInput } from './workflow-input.js';

/** Item jobs read at once when checking a re-run (one history event each). */
const READS_AT_ONCE = 16;

/**
 * Rule 5 for batches: a batch id is single-use per file. Running it again follows every item's
 * earlier job, so an item whose line now asks for something else (another prompt, model,
 * image…) would silently get the video of the old line. Refused instead (exit 2), naming each
 * such line, before anything starts. Compared with what the earlier run holds: each item's job
 * when one exists, else the item as the running batch still holds it (not taken yet).
 */
export async function checkBatchRerun(
  client: Client,
  input: Pick<BatchInput, 'batchId' | 'items' | 'itemIdScheme'>,
  earlier: Pick<BatchInput, 'items'> | undefined,
): Promise<void> {
  if (!earlier) return;
  const pending = new Map(earlier.items.map((item) => [item.key, item.request]));
  const issues: ValidationIssue[] = [];
  for (let start = 0; start < input.items.length; start += READS_AT_ONCE) {
    const slice = input.items.slice(start, start + READS_AT_ONCE);
    const earlierRequests = await Promise.all(
      slice.map(async (item) => {
        const workflowId = batchItemWorkflowId(input.batchId, item.key, input.itemIdScheme);
        const job = await readWorkflowInput<GenerateVideoInput>(client, workflowId);
        return job?.request ?? pending.get(item.key);
      }),
    );
    slice.forEach((item, index) => {
      const request = earlierRequests[index];
      if (request && !sameRequest(request, item)) issues.push(changedItemIssue(input, item));
    });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

function sameRequest(earlier: GenerateVideoInput['request'], item: BatchItem): boolean {
  return requestFingerprint({ request: earlier }) === requestFingerprint({ request: item.request });
}

function changedItemIssue(input: Pick<BatchInput, 'batchId'>, item: BatchItem): ValidationIssue {
  return {
    field: 'id',
    message: `item ${item.key} of batch ${input.batchId} ran before with a different request (prompt or options); a re-run follows the earlier job, whose video would not match this line: use a new --id for a changed file, or restore the line`,
    ...(item.line !== undefined ? { location: `line ${item.line}` } : {}),
  };
}
