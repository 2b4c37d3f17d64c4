import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { isContentRejection } from '../../../src/providers/kit/content-rejection.js';
import type { ProviderAdapter } from '../../../src/providers/provider.js';
import { unifiedRequestSchema } from '../../../src/request/unified-request.js';
import { bareNotFoundFault, type FakeProviderServer } from '../../../src/simulated/fake-server.js';
import {
  officialFault,
  officialNotFoundFault,
} from '../../../src/simulated/official-format-fake.js';
import { ADAPTER_CASES, imageResolver } from './adapter-cases.js';
import { http, rejection, settled } from './provider-test-support.js';

/**
 * The official format's share of the money-safety rules: the lookup by `external_task_id`
 * answers found / absent / unknown, refusals are recognised in English and Chinese (codes and
 * task messages), and camera `config` goes out only for the `simple` type.
 */

const request = unifiedRequestSchema.parse({ model: 'kling-v1', prompt: 'a cat in a garden' });

/** Task failure messages as the Chinese services word a refusal. */
const CHINESE_REFUSALS = [
  '内容审核未通过',
  '提示词涉及敏感内容，请修改后重试',
  '输入内容违规',
  '触发风控策略',
  '图片内容不合规',
  '生成内容审核不通过',
  '涉黄涉政内容',
];

describe.each(ADAPTER_CASES.filter((c) => c.id === 'kling' || c.id === 'openai-hk'))(
  '$id',
  (adapterCase) => {
    let fake: FakeProviderServer;
    let adapter: ProviderAdapter;

    beforeAll(async () => {
      fake = await adapterCase.start();
      adapter = adapterCase.create(fake.baseUrl, http);
    });
    afterEach(() => {
      fake.clearFaults();
      fake.defaultOutcome = { type: 'succeed' };
    });
    afterAll(async () => {
      await fake.stop();
    });

    it.each(CHINESE_REFUSALS)(
      'a task failed with "%s" is content-rejected, not a provider outage',
      async (message) => {
        fake.queueOutcome({ type: 'fail', message });
        const { handle } = await adapter.submit(request, { images: imageResolver() });
        expect(await settled(adapter, handle)).toEqual({
          state: 'failed',
          reason: message,
          kind: 'content-rejected',
        });
      },
    );

    it.each([1300, 1301])('code %s on submit is content-rejected', async (code) => {
      fake.injectFault({ route: 'submit', fault: officialFault(code), times: 1 });
      const error = await rejection(adapter.submit(request, { images: imageResolver() }));
      expect(error.kind).toBe('content-rejected');
      expect(error.ambiguous).toBe(false);
    });

    it('a render failure that is not about content still fails over', async () => {
      fake.queueOutcome({ type: 'fail', message: '服务器内部错误，请稍后重试' });
      const { handle } = await adapter.submit(request, { images: imageResolver() });
      expect(await settled(adapter, handle)).toMatchObject({ kind: 'provider-unavailable' });
    });

    it('sends camera config only for the simple type', async () => {
      await adapter.submit(
        { ...request, cameraControl: { type: 'down_back', config: { zoom: 3 } } },
        { images: imageResolver() },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toMatchObject({
        camera_control: { type: 'down_back' },
      });
      expect(
        (fake.requestsFor('submit').at(-1)!.json as { camera_control: object }).camera_control,
      ).not.toHaveProperty('config');
      await adapter.submit(
        { ...request, cameraControl: { type: 'simple', config: { zoom: 3 } } },
        { images: imageResolver() },
      );
      expect(fake.requestsFor('submit').at(-1)!.json).toMatchObject({
        camera_control: { type: 'simple', config: { zoom: 3 } },
      });
    });
  },
);

describe('kling findTask: found, absent or unknown', () => {
  const klingCase = ADAPTER_CASES.find((c) => c.id === 'kling')!;
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    fake = await klingCase.start();
    adapter = klingCase.create(fake.baseUrl, http);
  });
  afterEach(() => fake.clearFaults());
  afterAll(async () => {
    await fake.stop();
  });

  it('found: the task created with the key', async () => {
    const { taskId } = await adapter.submit(request, {
      images: imageResolver(),
      externalTaskId: 'kf-found-1',
    });
    expect((await adapter.findTask!('kf-found-1', request, {}))?.taskId).toBe(taskId);
  });

  it('absent: only on the documented not-found answer (code 1203)', async () => {
    fake.injectFault({ route: 'status', fault: officialNotFoundFault(), times: 1 });
    expect(await adapter.findTask!('kf-absent-1', request, {})).toBeUndefined();
  });

  it.each([
    ['a bare 404', bareNotFoundFault()],
    ['a 500 in the envelope', officialFault(5000)],
    ['a gateway page', { type: 'accept-then-gateway-page' as const }],
    ['a 401 in the envelope', officialFault(1000)],
    ['an unreadable 200', { type: 'malformed-json' as const }],
  ])('unknown: %s throws transient (retried, never read as absent)', async (_name, fault) => {
    await adapter.submit(request, { images: imageResolver(), externalTaskId: 'kf-unknown-1' });
    fake.injectFault({ route: 'status', fault, times: 1 });
    const error = await rejection(adapter.findTask!('kf-unknown-1', request, {}));
    expect(error.kind).toBe('transient');
    expect((await adapter.findTask!('kf-unknown-1', request, {}))?.taskId).toBeDefined();
    fake.tasks.forEach((task, id) => {
      if (task.meta.externalTaskId === 'kf-unknown-1') fake.tasks.delete(id);
    });
  });

  it('unknown: a network failure on the lookup throws transient', async () => {
    const refused = klingCase.create('http://127.0.0.1:1', http);
    expect((await rejection(refused.findTask!('kf-any', request, {}))).kind).toBe('transient');
  });
});

describe('status after accept: success without a video is checked again', () => {
  it('kling: succeed without task_result.videos throws transient', async () => {
    const klingCase = ADAPTER_CASES.find((c) => c.id === 'kling')!;
    const fake = await klingCase.start();
    try {
      const adapter = klingCase.create(fake.baseUrl, http);
      const { handle } = await adapter.submit(request, { images: imageResolver() });
      fake.injectFault({
        route: 'status',
        fault: {
          type: 'status',
          status: 200,
          body: {
            code: 0,
            message: 'SUCCEED',
            data: { task_id: handle.taskId, task_status: 'succeed' },
          },
        },
        times: 1,
      });
      expect((await rejection(adapter.status(handle, {}))).kind).toBe('transient');
      expect((await settled(adapter, handle)).state).toBe('succeeded');
    } finally {
      await fake.stop();
    }
  });
});

describe('refusal words', () => {
  it.each([
    ...CHINESE_REFUSALS,
    'Failure to pass the risk control system',
    'Content policy violation',
  ])('reads %j as refused content', (message) => {
    expect(isContentRejection(message)).toBe(true);
  });

  it.each(['服务器内部错误', '任务超时', 'Image pixel is invalid', 'render timeout'])(
    'does not read %j as refused content',
    (message) => {
      expect(isContentRejection(message)).toBe(false);
    },
  );
});
