import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../src/errors.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import { MODELS } from '../../../src/request/unified-request.js';

function issuesOf(input: unknown) {
  try {
    parseUnifiedRequest(input);
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

describe('the unified request', () => {
  it('applies defaults: kling-v2.6, std, 5 seconds', () => {
    expect(parseUnifiedRequest({ prompt: 'a fox' })).toEqual({
      prompt: 'a fox',
      model: 'kling-v2.6',
      mode: 'std',
      duration: 5,
    });
  });

  it('names the field and lists every allowed model for an unknown model', () => {
    const [issue] = issuesOf({ prompt: 'a', model: 'kling-v9' });
    expect(issue).toMatchObject({ field: 'model', allowed: [...MODELS] });
  });

  it('quotes the value given for an enum field, unless it is long', () => {
    expect(issuesOf({ prompt: 'a', model: 'kling-v9' })[0]?.message).toBe(
      '"kling-v9" is not one of the allowed values',
    );
    expect(issuesOf({ prompt: 'a', mode: 'x'.repeat(41) })[0]?.message).toBe(
      'is not one of the allowed values',
    );
  });

  it('suggests the field a pasted provider-style key means', () => {
    expect(issuesOf({ prompt: 'a', aspect_ratio: '16:9' })[0]?.message).toBe(
      'unknown field(s) aspect_ratio; did you mean aspectRatio?',
    );
    expect(
      issuesOf({ prompt: 'a', negative_prompt: 'blur', image_tail: 'https://x/e.png' })[0]?.message,
    ).toBe('unknown field(s) negative_prompt, image_tail; did you mean negativePrompt, endImage?');
    expect(issuesOf({ prompt: 'a', colour: 'red' })[0]?.message).toBe('unknown field(s) colour');
  });

  it('suggests the allowed value a pasted one differs from only in case, spaces or spelling', () => {
    expect(issuesOf({ prompt: 'a', model: 'kling-v2-6' })[0]?.message).toBe(
      '"kling-v2-6" is not one of the allowed values; did you mean kling-v2.6?',
    );
    expect(issuesOf({ prompt: 'a', model: ' Kling-V2.1-Master' })[0]?.message).toBe(
      '" Kling-V2.1-Master" is not one of the allowed values; did you mean kling-v2.1-master?',
    );
    expect(issuesOf({ prompt: 'a', mode: 'PRO' })[0]?.message).toBe(
      '"PRO" is not one of the allowed values; did you mean pro?',
    );
    expect(issuesOf({ prompt: 'a', aspectRatio: '16 : 9' })[0]?.message).toContain(
      'did you mean 16:9?',
    );
    expect(issuesOf({ prompt: 'a', model: 'kling-v9' })[0]?.message).not.toContain('did you mean');
  });

  it('suggests the value a pasted product name, ratio or mode word means', () => {
    const meant = (field: string, value: string) =>
      /did you mean (.+)\?/.exec(issuesOf({ prompt: 'a', [field]: value })[0]?.message ?? '')?.[1];
    expect(meant('model', 'Kling 2.1')).toBe('kling-v2.1');
    expect(meant('model', 'v2.5 turbo')).toBe('kling-v2.5-turbo');
    expect(meant('model', 'kling 2.1 master')).toBe('kling-v2.1-master');
    expect(meant('model', 'O1')).toBe('kling-o1');
    expect(meant('aspectRatio', '16x9')).toBe('16:9');
    expect(meant('aspectRatio', '9/16')).toBe('9:16');
    expect(meant('mode', 'Standard')).toBe('std');
    expect(meant('mode', 'professional')).toBe('pro');
    expect(meant('model', 'kling 9')).toBeUndefined();
    expect(meant('aspectRatio', '4x3')).toBeUndefined();
  });

  it('lists the allowed modes and aspect ratios', () => {
    expect(issuesOf({ prompt: 'a', mode: 'ultra' })[0]).toMatchObject({
      field: 'mode',
      allowed: ['std', 'pro'],
    });
    expect(issuesOf({ prompt: 'a', aspectRatio: '4:3' })[0]).toMatchObject({
      field: 'aspectRatio',
      allowed: ['16:9', '9:16', '1:1'],
    });
  });

  it('rejects an empty prompt, a fractional duration and a cfgScale outside 0–1', () => {
    expect(issuesOf({ prompt: '  ' })[0]?.field).toBe('prompt');
    expect(issuesOf({ prompt: 'a', duration: 5.5 })[0]).toMatchObject({
      field: 'duration',
      message: 'must be a whole number of seconds',
    });
    expect(issuesOf({ prompt: 'a', cfgScale: 1.5 })[0]).toMatchObject({
      field: 'cfgScale',
      message: 'must be between 0 and 1',
    });
  });

  it('refuses unknown fields instead of silently dropping them', () => {
    expect(issuesOf({ prompt: 'a', aspect_ratio: '16:9' })[0]).toMatchObject({
      field: 'aspect_ratio',
    });
  });

  it('accepts only URLs or stored blob references for images (the client stores local files)', () => {
    expect(issuesOf({ prompt: 'a', startImage: '/tmp/cat.png' })[0]?.field).toBe('startImage');
    expect(
      parseUnifiedRequest({ prompt: 'a', startImage: `blob:sha256:${'a'.repeat(64)}` }).startImage,
    ).toMatch(/^blob:/);
  });

  it('needs exactly one non-zero axis for simple camera control', () => {
    expect(
      issuesOf({ prompt: 'a', cameraControl: { type: 'simple', config: { pan: 1, zoom: 2 } } })[0]
        ?.field,
    ).toBe('cameraControl.config');
    expect(
      parseUnifiedRequest({ prompt: 'a', cameraControl: { type: 'simple', config: { pan: -3 } } })
        .cameraControl,
    ).toEqual({
      type: 'simple',
      config: { pan: -3 },
    });
  });

  it('puts the location first when the request came from a batch line', () => {
    expect(() => parseUnifiedRequest({ prompt: 'a', mode: 'x' }, 'line 7')).toThrow(
      /^line 7: mode:/,
    );
  });
});

describe('unknown nested fields', () => {
  it('are named with their parent path, and the allowed providers are listed', () => {
    try {
      parseUnifiedRequest({ prompt: 'a', providerOptions: { runway: {} } });
      throw new Error('expected a ValidationError');
    } catch (error) {
      expect((error as ValidationError).issues[0]).toMatchObject({
        field: 'providerOptions.runway',
        allowed: [
          'hyprlab',
          'openai-hk',
          'kling',
          '302ai',
          'apimodels',
          'apiframe',
          'fal',
          'replicate',
        ],
      });
    }
  });
});
