import { describe, expect, it } from 'vitest';
import { catalogProviders } from '../../../src/providers/catalog.js';
import {
  type ProviderId,
  type UnifiedRequestInput,
  unifiedRequestSchema,
} from '../../../src/request/unified-request.js';

/**
 * The catalogs against the official Kling capability map and the seeds (issue 10, "Catalog
 * fidelity"). A request the map does not allow is paid for and then refused (code 1201), so it
 * must be refused here, before anything is sent.
 */

const IMAGE = 'https://example.com/first.png';
const END_IMAGE = 'https://example.com/last.png';

function check(provider: ProviderId, input: Partial<UnifiedRequestInput>) {
  const adapter = catalogProviders().find((candidate) => candidate.id === provider);
  if (!adapter) throw new Error(`no catalog adapter ${provider}`);
  return adapter.check(unifiedRequestSchema.parse({ prompt: 'a cat', ...input }));
}

const fields = (provider: ProviderId, input: Partial<UnifiedRequestInput>) =>
  check(provider, input).issues.map((issue) => issue.field);

const simpleZoom = { type: 'simple', config: { zoom: 5 } } as const;

describe('official kling-v1 camera control is text-to-video only', () => {
  it('refuses camera control on kling-v1 image-to-video, even at 5 s std', () => {
    expect(
      fields('kling', { model: 'kling-v1', startImage: IMAGE, cameraControl: simpleZoom }),
    ).toEqual(['cameraControl']);
  });

  it('still takes it on kling-v1 text-to-video at 5 s std', () => {
    expect(fields('kling', { model: 'kling-v1', cameraControl: simpleZoom })).toEqual([]);
  });
});

describe.each(['kling', 'openai-hk'] as const)('%s: kling-v1 start+end frame', (provider) => {
  const frames = { model: 'kling-v1', startImage: IMAGE, endImage: END_IMAGE } as const;

  it('is offered at 5 s', () => {
    expect(fields(provider, { ...frames, duration: 5 })).toEqual([]);
    expect(fields(provider, { ...frames, duration: 5, mode: 'pro' })).toEqual([]);
  });

  it('is refused at 10 s, naming the allowed duration', () => {
    const { issues } = check(provider, { ...frames, duration: 10 });
    expect(issues).toEqual([expect.objectContaining({ field: 'endImage', allowed: [5] })]);
  });

  it('leaves a kling-v1 start frame alone at 10 s', () => {
    expect(fields(provider, { model: 'kling-v1', startImage: IMAGE, duration: 10 })).toEqual([]);
  });
});

describe('OpenAI-HK against the official map', () => {
  it('refuses sound on kling-v2.6 in std mode, takes it in pro', () => {
    expect(fields('openai-hk', { model: 'kling-v2.6', sound: true })).toEqual(['sound']);
    expect(fields('openai-hk', { model: 'kling-v2.6', mode: 'pro', sound: true })).toEqual([]);
  });

  it.each(['kling-v1.5', 'kling-v1.6'] as const)(
    'refuses camera control on %s text-to-video',
    (model) => {
      expect(fields('openai-hk', { model, cameraControl: simpleZoom })).toEqual(['cameraControl']);
    },
  );

  it('keeps camera control on kling-v1 text-to-video at 5 s std', () => {
    expect(fields('openai-hk', { model: 'kling-v1', cameraControl: simpleZoom })).toEqual([]);
  });
});

describe.each(['kling', 'openai-hk'] as const)(
  '%s: kling-v1.5 image-to-video camera control (simple, pro, 5 s)',
  (provider) => {
    const request = { model: 'kling-v1.5', startImage: IMAGE, mode: 'pro' } as const;

    it('takes the simple type in pro at 5 s', () => {
      expect(fields(provider, { ...request, cameraControl: simpleZoom })).toEqual([]);
    });

    it('refuses another type, std mode, or 10 s', () => {
      expect(fields(provider, { ...request, cameraControl: { type: 'down_back' } })).toEqual([
        'cameraControl.type',
      ]);
      expect(fields(provider, { ...request, mode: 'std', cameraControl: simpleZoom })).toEqual([
        'cameraControl',
      ]);
      expect(fields(provider, { ...request, duration: 10, cameraControl: simpleZoom })).toEqual([
        'cameraControl',
      ]);
    });
  },
);

describe('HyprLab models without a mode', () => {
  const hyprlab = () => {
    const adapter = catalogProviders().find((candidate) => candidate.id === 'hyprlab');
    if (!adapter) throw new Error('no hyprlab');
    return adapter;
  };

  it.each(['kling-v2', 'kling-v2.1-master'] as const)(
    '%s with mode pro is served with a warning that mode does not apply, at the std price',
    (model) => {
      const pro = check('hyprlab', { model, mode: 'pro' });
      expect(pro.issues).toEqual([]);
      expect(pro.warnings).toEqual([expect.stringContaining('mode pro does not apply')]);
      const std = check('hyprlab', { model, mode: 'std' });
      expect(std.warnings).toEqual([]);
      const price = (mode: 'std' | 'pro') =>
        hyprlab().price(unifiedRequestSchema.parse({ prompt: 'a cat', model, mode }));
      expect(price('pro')).toEqual(price('std'));
    },
  );

  it('does not warn where the mode selects another model (kling-v1.6 pro)', () => {
    expect(check('hyprlab', { model: 'kling-v1.6', mode: 'pro' }).warnings).toEqual([]);
  });
});
