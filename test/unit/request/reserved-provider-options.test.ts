import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBatchText } from '../../../src/client/batch-file.js';
import { validateGenerationRequest } from '../../../src/client/klingflow-client.js';
import { ValidationError, type ValidationIssue } from '../../../src/errors.js';
import { checkRequestAgainstProviders } from '../../../src/providers/catalog.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';
import { type ProviderId, unifiedRequestSchema } from '../../../src/request/unified-request.js';
import { createFilesystemStorage } from '../../../src/storage/filesystem-storage.js';

/**
 * Issue 9, rule 6: pass-through options (`providerOptions.<id>`) cannot change what klingflow
 * priced or validated. The issue's scenario: a kling-v1.6 request priced $0.20 at HyprLab, with
 * `providerOptions.hyprlab = {model: "kling-v2.1-master", duration: 10}`, billed $2.00.
 */

async function issuesOf(work: () => unknown): Promise<readonly ValidationIssue[]> {
  try {
    await work();
  } catch (error) {
    if (error instanceof ValidationError) return error.issues;
    throw error;
  }
  throw new Error('expected a ValidationError');
}

const SCENARIO = {
  prompt: 'a cat in a garden',
  model: 'kling-v1.6',
  providerOptions: { hyprlab: { model: 'kling-v2.1-master', duration: 10 } },
} as const;

describe('the issue scenario: providerOptions.hyprlab = {model, duration} on kling-v1.6', () => {
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'klingflow-reserved-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('is refused by the validation the CLI and the client run before starting anything', async () => {
    const storage = createFilesystemStorage({ rootDirectory: directory });
    const issues = await issuesOf(() =>
      validateGenerationRequest(SCENARIO, { storage, providers: ['hyprlab'] }),
    );
    expect(issues.map((issue) => issue.field)).toEqual([
      'providerOptions.hyprlab.model',
      'providerOptions.hyprlab.duration',
    ]);
    expect(issues[0]?.message).toContain('use the request field model');
    expect(issues[1]?.message).toContain('use the request field duration');
  });

  it('is refused by the request parser itself (every path parses)', async () => {
    const issues = await issuesOf(() => parseUnifiedRequest(SCENARIO));
    expect(issues.map((issue) => issue.field)).toEqual([
      'providerOptions.hyprlab.model',
      'providerOptions.hyprlab.duration',
    ]);
  });

  it('is refused in a batch file, located by line', async () => {
    const storage = createFilesystemStorage({ rootDirectory: directory });
    const text = `${JSON.stringify({ prompt: 'fine' })}\n${JSON.stringify(SCENARIO)}\n`;
    const issues = await issuesOf(() => parseBatchText(text, { storage }));
    expect(issues).toEqual([
      expect.objectContaining({ field: 'providerOptions.hyprlab.model', location: 'line 2' }),
      expect.objectContaining({ field: 'providerOptions.hyprlab.duration', location: 'line 2' }),
    ]);
  });

  it('leaves no provider servable when the request reaches the provider check unparsed', () => {
    const request = unifiedRequestSchema.parse(SCENARIO);
    const check = checkRequestAgainstProviders(request);
    expect(check.servable).toEqual([]);
    expect(check.issues.map((issue) => issue.field)).toContain('providerOptions.hyprlab.model');
  });
});

/** One reserved key per adapter, in that adapter's own wire name, and the unified field to use. */
const RESERVED_PER_ADAPTER: [ProviderId, Record<string, unknown>, string, string][] = [
  ['hyprlab', { start_image: 'https://example.com/x.png' }, 'start_image', 'startImage'],
  ['openai-hk', { notify_hook: 'https://evil.example/hook' }, 'notify_hook', 'callback'],
  ['openai-hk', { image_tail: 'https://example.com/x.png' }, 'image_tail', 'endImage'],
  ['kling', { external_task_id: 'mine' }, 'external_task_id', 'job id'],
  ['kling', { camera_control: { type: 'down_back' } }, 'camera_control', 'cameraControl'],
  ['302ai', { enable_audio: 'true' }, 'enable_audio', 'sound'],
  ['302ai', { input_image: 'https://example.com/x.png' }, 'input_image', 'startImage'],
  ['apimodels', { mode: 'pro' }, 'mode', 'mode'],
  ['apimodels', { sound: 'on' }, 'sound', 'sound'],
  ['apiframe', { klingParams: { mode: 'pro' } }, 'klingParams.mode', 'mode'],
  ['apiframe', { webhookUrl: 'https://evil.example/hook' }, 'webhookUrl', 'callback'],
  ['apimodels', { multi_shot: true }, 'multi_shot', 'shots'],
  ['apimodels', { motion_video: 'https://example.com/m.mp4' }, 'motion_video', 'motionVideo'],
  ['openai-hk', { video_list: [] }, 'video_list', 'referenceVideo'],
  ['fal', { generate_audio: true }, 'generate_audio', 'sound'],
  ['fal', { start_image_url: 'https://example.com/x.png' }, 'start_image_url', 'startImage'],
  ['fal', { multi_prompt: [] }, 'multi_prompt', 'shots'],
  ['fal', { fal_webhook: 'https://evil.example/hook' }, 'fal_webhook', 'callback'],
  ['replicate', { start_image: 'https://example.com/x.png' }, 'start_image', 'startImage'],
  ['replicate', { webhook: 'https://evil.example/hook' }, 'webhook', 'callback'],
  ['replicate', { duration: 10 }, 'duration', 'duration'],
];

describe.each(RESERVED_PER_ADAPTER)('providerOptions.%s', (provider, options, key, instead) => {
  it(`refuses ${key}, saying what to use instead`, async () => {
    const issues = await issuesOf(() =>
      parseUnifiedRequest({ prompt: 'a', providerOptions: { [provider]: options } }),
    );
    expect(issues).toEqual([
      expect.objectContaining({
        field: `providerOptions.${provider}.${key}`,
        message: expect.stringContaining(instead),
      }),
    ]);
  });
});

describe('pass-through keys klingflow does not map still pass', () => {
  it.each([
    ['hyprlab', { seed: 42 }],
    ['kling', { watermark_info: { enabled: false } }],
    ['apimodels', { voice_list: ['voice-a'], watermark_info: { enabled: false } }],
    ['apiframe', { klingParams: { seed: 7 } }],
  ] as const)('%s %j', (provider, options) => {
    const request = parseUnifiedRequest({
      prompt: 'a',
      providerOptions: { [provider]: options },
    });
    expect(request.providerOptions?.[provider]).toEqual(options);
  });

  it('catches a reserved key however it is spelled (case, - or _)', async () => {
    const issues = await issuesOf(() =>
      parseUnifiedRequest({
        prompt: 'a',
        providerOptions: { apimodels: { 'Callback-URL': 'https://evil.example' } },
      }),
    );
    expect(issues.map((issue) => issue.field)).toEqual(['providerOptions.apimodels.Callback-URL']);
  });
});
