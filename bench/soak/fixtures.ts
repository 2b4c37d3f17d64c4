import { createServer, type Server } from 'node:http';
import type { ProviderId } from '../../src/request/unified-request.js';
import type { FakeProviderServer } from '../../src/simulated/fake-server.js';
import { type JobPlan, jobIndexOf } from './plan.js';

/** What the soak's fakes serve besides their own API: a first-frame image and telling videos. */

/** A 1×1 PNG: the first frame image-to-video jobs point at (302.AI uploads its bytes). */
const FIRST_FRAME_PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

/** Each provider serves a video of its own size, so a stored file shows where it came from. */
export const VIDEO_KIB: Record<ProviderId, number> = {
  hyprlab: 600,
  kling: 700,
  'openai-hk': 800,
  apimodels: 900,
  apiframe: 1000,
  '302ai': 1100,
  fal: 1200,
  replicate: 1300,
};

export async function startImageServer(): Promise<Server> {
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      'content-type': 'image/png',
      'content-length': FIRST_FRAME_PNG.length,
    });
    response.end(FIRST_FRAME_PNG);
  });
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return server;
}

/**
 * Gives each task its job's render time, and the planned outcome to the job's task at its first
 * provider: a per-job plan that does not depend on which job's request reaches a fake first.
 */
export function applyPlansToTasks(
  provider: ProviderId,
  fake: FakeProviderServer,
  plans: JobPlan[],
): void {
  const createTask = fake.createTask.bind(fake);
  fake.createTask = (request, meta, id) => {
    const task = createTask(request, meta, id);
    const index = jobIndexOf(task);
    const plan = index === undefined ? undefined : plans[index];
    if (plan) {
      task.renderMs = plan.renderMs;
      if (plan.route[0] === provider) task.outcome = plan.taskOutcome;
    }
    return task;
  };
}
