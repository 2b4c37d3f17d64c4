import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createEarlierGenerationSpend } from '../../../src/activities/existing-generation.js';

/** The activity against a client whose one job failed with `details` as its status. */
function earlierSpendOfFailedJob(details: unknown) {
  const handle = {
    describe: async () => ({ status: { name: 'FAILED' } }),
    result: async () => {
      throw new WorkflowFailedError(
        'failed',
        ApplicationFailure.create({ type: 'GenerationFailed', message: 'x', details: [details] }),
        RetryState.NON_RETRYABLE_FAILURE,
      );
    },
  };
  const client = {
    workflow: { getHandle: () => handle },
    withAbortSignal: (_signal: unknown, run: () => unknown) => run(),
  } as never;
  const env = new MockActivityEnvironment({}, { client, logger: new DefaultLogger('ERROR') });
  return env.run(createEarlierGenerationSpend(), { workflowId: 'item-1' });
}

describe("an item's earlier job, as a batch re-run reads it", () => {
  it('reads a job from before the spend ledger (its status has no spend) without failing', async () => {
    const legacy = {
      workflowId: 'item-1',
      status: 'failed',
      attempts: [{ provider: 'hyprlab', outcome: 'failed', providerTaskId: 't1' }],
    };
    await expect(earlierSpendOfFailedJob(legacy)).resolves.toEqual({});
  });
});
