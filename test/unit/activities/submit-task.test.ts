import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { createSubmitTask } from '../../../src/activities/submit-task.js';
import type { SubmitInput, SubmitOutput } from '../../../src/contracts/generation.js';
import type { ProviderRegistry } from '../../../src/providers/registry.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import type { ImageResolverFactory } from '../../../src/storage/image-resolver.js';

describe('submitTask', () => {
  it("returns when the provider's answer arrived, which the first poll is timed from", async () => {
    let answeredAt = 0;
    const providers = {
      require: () => ({
        capabilities: { callbacks: false },
        submit: async () => {
          // The provider takes a while to answer: the render runs from its answer.
          await new Promise((resolve) => setTimeout(resolve, 50));
          answeredAt = Date.now();
          return { taskId: 'task-5', handle: { provider: 'hyprlab', taskId: 'task-5' } };
        },
      }),
    } as unknown as ProviderRegistry;
    const submitTask = createSubmitTask({
      providers,
      images: () => ({}) as ReturnType<ImageResolverFactory>,
    }).submitTask;
    const input: SubmitInput = {
      provider: 'hyprlab',
      request: parseUnifiedRequest({ prompt: 'a fox', model: 'kling-v1.6' }),
      workflowId: 'job-5',
      attempt: 1,
    };
    const env = new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
    const output = (await env.run(submitTask, input)) as SubmitOutput;
    expect(output.taskId).toBe('task-5');
    expect(output.acceptedAt).toBeGreaterThanOrEqual(answeredAt);
    expect(output.acceptedAt).toBeLessThanOrEqual(Date.now());
  });
});
