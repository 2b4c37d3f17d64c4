import { proxyActivities, sleep, workflowInfo } from '@temporalio/workflow';
import type { Activities } from '../../src/activities/index.js';
import type { GenerateVideoInput } from '../../src/contracts/generation.js';
import { providerTaskQueue } from '../../src/contracts/task-queues.js';

/**
 * The naive baseline the cost benchmark compares against: submit, then sleep and poll in a
 * workflow loop every interval (what most first versions do), then download.
 */
export async function naiveGenerate(
  input: GenerateVideoInput & { intervalMs: number },
): Promise<number> {
  const provider = input.providers?.[0] ?? 'hyprlab';
  const providerActivities = proxyActivities<Activities>({
    taskQueue: providerTaskQueue(workflowInfo().taskQueue, provider),
    startToCloseTimeout: '1 minute',
  });
  const { downloadVideo } = proxyActivities<Activities>({ startToCloseTimeout: '5 minutes' });
  const { handle } = await providerActivities.submitTask({
    provider,
    request: input.request,
    workflowId: workflowInfo().workflowId,
    attempt: 1,
  });
  let polls = 0;
  for (;;) {
    await sleep(input.intervalMs);
    polls += 1;
    const { status } = await providerActivities.checkTask({ handle, untilDone: false });
    if (status.state === 'succeeded') {
      await downloadVideo({ url: status.videos[0]!.url, key: workflowInfo().workflowId });
      return polls;
    }
    if (status.state === 'failed') throw new Error(status.reason);
  }
}
