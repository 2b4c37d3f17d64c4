import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkRequestAgainstProviders } from '../../../src/providers/catalog.js';
import type { ProviderAdapter } from '../../../src/providers/provider.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import type { UnifiedRequestInput } from '../../../src/request/unified-request.js';
import type { FakeProviderServer } from '../../../src/simulated/fake-server.js';
import { adapterCase, imageResolver } from './adapter-cases.js';
import { http, settled } from './provider-test-support.js';

/**
 * Image-to-video without a prompt (issue 13): allowed where the provider's seed marks the prompt
 * optional for image-to-video (official image2video and OpenAI-HK's copy of it, 302.AI, apimodels),
 * refused naming `prompt` everywhere else (HyprLab requires it, APIFrame's seed does not say).
 */

const IMAGE = 'https://images.example/cat.png';

/** Each provider with a request it serves as image-to-video, without a prompt. */
const CASES = [
  { id: 'kling', request: { model: 'kling-v2.6', startImage: IMAGE } },
  { id: 'openai-hk', request: { model: 'kling-v1.6', startImage: IMAGE } },
  { id: '302ai', request: { model: 'kling-v2.1', startImage: IMAGE } },
] as const satisfies readonly { id: string; request: Partial<UnifiedRequestInput> }[];

describe.each(CASES)('image-to-video without a prompt on $id', (testCase) => {
  let fake: FakeProviderServer;
  let adapter: ProviderAdapter;

  beforeAll(async () => {
    const { start, create } = adapterCase(testCase.id);
    fake = await start();
    adapter = create(fake.baseUrl, http);
  });
  afterAll(async () => {
    await fake.stop();
  });

  it('is servable, sends no prompt field, and the fake renders it', async () => {
    const request = parseUnifiedRequest(testCase.request);
    expect(checkRequestAgainstProviders(request, [testCase.id]).servable).toEqual([testCase.id]);
    const { handle } = await adapter.submit(request, { images: imageResolver() });
    const sent = fake.requestsFor('submit').at(-1);
    if (testCase.id === '302ai') {
      expect(sent?.body).toContain('name="input_image"');
      expect(sent?.body).not.toContain('name="prompt"');
    } else {
      expect(sent?.json).toHaveProperty('image', IMAGE);
      expect(sent?.json).not.toHaveProperty('prompt');
    }
    expect((await settled(adapter, handle)).state).toBe('succeeded');
  });
});

describe('image-to-video without a prompt elsewhere', () => {
  it('is refused naming prompt where the seed requires it or does not say', () => {
    const check = checkRequestAgainstProviders(
      parseUnifiedRequest({ model: 'kling-v2.1', mode: 'pro', startImage: IMAGE }),
      ['hyprlab', 'apiframe'],
    );
    expect(check.servable).toEqual([]);
    expect(check.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'prompt', location: 'provider hyprlab' }),
        expect.objectContaining({ field: 'prompt', location: 'provider apiframe' }),
      ]),
    );
  });

  it('is refused naming prompt on the official text-to-video and omni-video models', () => {
    const omni = checkRequestAgainstProviders(
      parseUnifiedRequest({ model: 'kling-o1', startImage: IMAGE }),
      ['kling', 'openai-hk'],
    );
    expect(omni.servable).toEqual([]);
    expect(omni.issues.map((issue) => issue.field)).toEqual(['prompt', 'prompt']);
  });
});
