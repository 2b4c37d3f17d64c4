import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  APIMODELS_FAKE_API_KEY,
  startApiModelsFake,
} from '../../../src/simulated/apimodels-fake.js';
import { type CallbackingFakeServer, callbacksOf } from '../../../src/simulated/fake-callbacks.js';
import {
  OPENAI_HK_FAKE_API_KEY,
  startOpenAiHkFake,
} from '../../../src/simulated/openai-hk-fake.js';

/** The fakes call back like the providers: tests elsewhere rely on this behaviour. */

interface Received {
  path: string;
  body: unknown;
  at: number;
}

let receiver: Server;
let receiverUrl: string;
const received: Received[] = [];
const fakes: CallbackingFakeServer[] = [];

beforeEach(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        at: Date.now(),
      });
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"ok":true}');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
});

afterEach(async () => {
  await Promise.all(fakes.splice(0).map((fake) => fake.stop()));
  await new Promise<void>((resolve) => receiver.close(() => resolve()));
  received.length = 0;
});

async function apimodels(renderMs = 100): Promise<CallbackingFakeServer> {
  const fake = callbacksOf(await startApiModelsFake({ renderMs }));
  fakes.push(fake);
  return fake;
}

async function submitToApiModels(fake: CallbackingFakeServer, callbackUrl: string) {
  const response = await fetch(`${fake.baseUrl}/api/v1/video/generations`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${APIMODELS_FAKE_API_KEY}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ model: 'kling-v2-6', prompt: 'a cat', callback_url: callbackUrl }),
  });
  const json = (await response.json()) as { data: { taskId: string } };
  return json.data.taskId;
}

describe('fake provider callbacks', () => {
  it('apimodels.app POSTs its query `data` to callback_url when the render ends', async () => {
    const fake = await apimodels();
    const taskId = await submitToApiModels(fake, `${receiverUrl}/cb/apimodels`);

    const [sent] = await fake.waitForCallbacks(1);

    expect(sent).toMatchObject({ taskId, state: 'succeeded', status: 200 });
    expect(received).toEqual([
      {
        path: '/cb/apimodels',
        body: expect.objectContaining({
          taskId,
          state: 'completed',
          resultUrls: [expect.any(String)],
        }),
        at: expect.any(Number),
      },
    ]);
    // Not before the render was done.
    expect(sent!.sentAt - fake.tasks.get(taskId)!.createdAt).toBeGreaterThanOrEqual(100);
  });

  it('OpenAI-HK POSTs the bare official task object to notify_hook', async () => {
    const fake = callbacksOf(await startOpenAiHkFake({ renderMs: 100 }));
    fakes.push(fake);
    const response = await fetch(`${fake.baseUrl}/v1/videos/text2video`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${OPENAI_HK_FAKE_API_KEY}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        model_name: 'kling-v1',
        prompt: 'a cat',
        notify_hook: `${receiverUrl}/cb/hk`,
      }),
    });
    const taskId = ((await response.json()) as { data: { task_id: string } }).data.task_id;

    await fake.waitForCallbacks(1);

    expect(received[0]?.body).toMatchObject({
      task_id: taskId,
      task_status: 'succeed',
      task_result: { videos: [{ url: expect.any(String) }] },
    });
    expect(received[0]?.body).not.toHaveProperty('code');
  });

  it('duplicates, delays and reports progress on request', async () => {
    const fake = await apimodels(200);
    fake.callbacks = { ...fake.callbacks, duplicate: true, delayMs: 150, progress: true };
    const taskId = await submitToApiModels(fake, `${receiverUrl}/cb`);

    const sent = await fake.waitForCallbacks(4);
    const createdAt = fake.tasks.get(taskId)!.createdAt;

    expect(sent.map((callback) => callback.state)).toEqual([
      'running',
      'running',
      'succeeded',
      'succeeded',
    ]);
    expect(sent[2]!.sentAt - createdAt).toBeGreaterThanOrEqual(200 + 150);
    expect(received).toHaveLength(4);
  });

  it('sends the final callback at once when a test completes the render', async () => {
    const fake = await apimodels(10 * 60_000);
    const taskId = await submitToApiModels(fake, `${receiverUrl}/cb`);

    fake.completeTask(taskId);
    const [sent] = await fake.waitForCallbacks(1, 2_000);

    expect(sent).toMatchObject({ taskId, state: 'succeeded', status: 200 });
  });

  it('sends nothing when callbacks are disabled', async () => {
    const fake = await apimodels(10 * 60_000);
    fake.callbacks.enabled = false;
    const taskId = await submitToApiModels(fake, `${receiverUrl}/cb`);

    fake.completeTask(taskId);
    await fake.stop(); // waits for any callback in flight

    expect(fake.sentCallbacks).toEqual([]);
    expect(received).toEqual([]);
  });

  it('never calls a host other than loopback unless told to', async () => {
    const fake = await apimodels(10 * 60_000);
    const taskId = await submitToApiModels(fake, 'https://hooks.invalid/cb');

    fake.completeTask(taskId);
    await fake.stop();

    expect(fake.sentCallbacks).toEqual([]);
  });
});
