import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import type { GenerationRequest } from '../../src/client/prepare-request.js';
import { ValidationError } from '../../src/errors.js';
import { type SimulatedProviderSet, startSimulatedProviders } from '../../src/simulated/index.js';
import { createFilesystemStorage } from '../../src/storage/filesystem-storage.js';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../../bin/klingflow.js', import.meta.url));
const long = (length: number) => 'a'.repeat(length);

/** Invalid generate invocations: CLI arguments and the field the error must name. */
const CLI_CASES: { name: string; args: string[]; field: string }[] = [
  { name: 'unknown model', args: ['--model', 'kling-v9'], field: 'model' },
  { name: 'unknown mode', args: ['--mode', 'ultra'], field: 'mode' },
  { name: 'duration not offered', args: ['--duration', '7'], field: 'duration' },
  { name: 'zero duration', args: ['--duration', '0'], field: 'duration' },
  { name: 'negative duration', args: ['--duration', '-5'], field: 'duration' },
  { name: 'fractional duration', args: ['--duration', '5.5'], field: 'duration' },
  { name: 'duration not a number', args: ['--duration', 'five'], field: 'duration' },
  { name: 'aspect ratio 4:3', args: ['--aspect-ratio', '4:3'], field: 'aspectRatio' },
  { name: 'cfg scale above 1', args: ['--cfg-scale', '1.5'], field: 'cfgScale' },
  { name: 'cfg scale below 0', args: ['--cfg-scale', '-0.1'], field: 'cfgScale' },
  { name: 'cfg scale not a number', args: ['--cfg-scale', 'high'], field: 'cfgScale' },
  { name: 'prompt over every limit', args: ['--prompt', long(3000)], field: 'prompt' },
  {
    name: 'negative prompt over every limit',
    args: ['--negative-prompt', long(3000)],
    field: 'negativePrompt',
  },
  {
    name: 'start image that does not exist',
    args: ['--start-image', '/nonexistent/first.png'],
    field: 'startImage',
  },
  {
    name: 'start image that is not an image',
    args: ['--start-image', fileURLToPath(import.meta.url)],
    field: 'startImage',
  },
  {
    name: 'end image without a start image',
    args: ['--model', 'kling-v1.6', '--end-image', 'https://example.com/e.png'],
    field: 'endImage',
  },
  {
    name: 'HyprLab kling-v2.1 without start image',
    args: ['--model', 'kling-v2.1', '--providers', 'hyprlab'],
    field: 'startImage',
  },
  {
    name: 'sound on a model without audio',
    args: ['--model', 'kling-v1.6', '--sound'],
    field: 'sound',
  },
  {
    name: 'sound in std on apimodels v2.6',
    args: ['--providers', 'apimodels', '--sound'],
    field: 'sound',
  },
  { name: 'unknown provider', args: ['--providers', 'runway'], field: '--providers' },
  {
    name: '--out that is a file, not a directory',
    args: ['--out', fileURLToPath(import.meta.url), '--wait'],
    field: `--out: ${fileURLToPath(import.meta.url)} is a file, not a directory`,
  },
  { name: '--out without --wait', args: ['--out', './videos-copy'], field: '--out: needs --wait' },
  { name: '--presign without --wait', args: ['--presign', '1h'], field: '--presign: needs --wait' },
  { name: 'empty --id (an unset variable)', args: ['--id', ''], field: 'workflowId: "" must be' },
  {
    name: 'model the chosen provider lacks',
    args: ['--model', 'kling-v3', '--providers', 'hyprlab'],
    field: 'model',
  },
  {
    name: 'APIFrame end image in std',
    args: [
      '--model',
      'kling-v2.1',
      '--providers',
      'apiframe',
      '--start-image',
      'https://example.com/s.png',
      '--end-image',
      'https://example.com/e.png',
    ],
    field: 'endImage',
  },
  {
    name: 'O1 duration too long',
    args: ['--model', 'kling-o1', '--duration', '20'],
    field: 'duration',
  },
  {
    // Meant as minutes: as milliseconds it would pay the next provider beside every render.
    name: 'stuck failover after 20 (ms)',
    args: ['--failover-stuck-after', '20'],
    field: '--failover-stuck-after: "20" is 20 ms',
  },
  { name: 'max cost not a number', args: ['--max-cost', 'cheap'], field: '--max-cost' },
  { name: 'max cost zero', args: ['--max-cost', '0'], field: '--max-cost' },
  {
    name: 'OpenAI-HK prompt over 500',
    args: ['--model', 'kling-v1', '--providers', 'openai-hk', '--prompt', long(600)],
    field: 'prompt',
  },
  {
    name: '302.AI without a start image',
    args: ['--model', 'kling-v2.1', '--providers', '302ai'],
    field: 'startImage',
  },
  {
    name: 'apimodels v3 over 15 s',
    args: ['--model', 'kling-v3', '--providers', 'apimodels', '--duration', '16'],
    field: 'duration',
  },
  { name: 'unknown option', args: ['--colour', 'red'], field: '--colour' },
  // Pasted from a document that typeset "--" as an en dash: not a stray argument.
  { name: 'a flag typed with an en dash', args: ['–-wait'], field: '--wait: "–-wait" begins with' },
  { name: 'workflow id starting with a dash', args: ['--id=-x'], field: 'workflowId' },
  { name: 'workflow id with ..', args: ['--id', 'a..b'], field: 'workflowId' },
];

/** Invalid client requests: what the typed client must refuse with a ValidationError. */
const CLIENT_CASES: {
  name: string;
  request: unknown;
  providers?: string[];
  options?: { workflowId?: string; maxCost?: number };
  field: string;
}[] = [
  { name: 'negative budget', request: { prompt: 'x' }, options: { maxCost: -1 }, field: 'maxCost' },
  {
    name: 'workflow id with a slash',
    request: { prompt: 'x' },
    options: { workflowId: 'team/job-1' },
    field: 'workflowId',
  },
  { name: 'unknown field', request: { prompt: 'x', foo: 1 }, field: 'foo' },
  { name: 'duration as a string', request: { prompt: 'x', duration: '5' }, field: 'duration' },
  { name: 'model null', request: { prompt: 'x', model: null }, field: 'model' },
  { name: 'prompt missing', request: { model: 'kling-v2.6' }, field: 'prompt' },
  {
    name: 'negative prompt a number',
    request: { prompt: 'x', negativePrompt: 3 },
    field: 'negativePrompt',
  },
  { name: 'sound as a string', request: { prompt: 'x', sound: 'yes' }, field: 'sound' },
  {
    name: 'aspect ratio 16:10',
    request: { prompt: 'x', aspectRatio: '16:10' },
    field: 'aspectRatio',
  },
  {
    name: 'options for an unknown provider',
    request: { prompt: 'x', providerOptions: { runway: {} } },
    field: 'providerOptions',
  },
  {
    // Issue 9's scenario: priced as kling-v1.6 at 5 s ($0.20), billed as v2.1-master at 10 s.
    name: 'pass-through options that would change the priced model and duration',
    request: {
      prompt: 'x',
      model: 'kling-v1.6',
      providerOptions: { hyprlab: { model: 'kling-v2.1-master', duration: 10 } },
    },
    field: 'providerOptions.hyprlab.model',
  },
  {
    name: 'camera control with two axes',
    request: { prompt: 'x', cameraControl: { type: 'simple', config: { pan: 1, zoom: 1 } } },
    field: 'cameraControl',
  },
  {
    name: 'camera control axis out of range',
    request: { prompt: 'x', cameraControl: { type: 'simple', config: { pan: 11 } } },
    field: 'cameraControl',
  },
  {
    name: 'camera control at 10 s on OpenAI-HK',
    request: { prompt: 'x', model: 'kling-v1', duration: 10, cameraControl: { type: 'down_back' } },
    providers: ['openai-hk'],
    field: 'cameraControl',
  },
  {
    name: 'cfg scale on official v2.6',
    request: { prompt: 'x', model: 'kling-v2.6', cfgScale: 0.5 },
    providers: ['kling'],
    field: 'cfgScale',
  },
  {
    name: 'data URI that is not an image',
    request: { prompt: 'x', model: 'kling-v1.6', startImage: 'data:text/html;base64,PGgxPg==' },
    field: 'startImage',
  },
  { name: 'unknown model', request: { prompt: 'x', model: 'kling-v9' }, field: 'model' },
  { name: 'duration not offered', request: { prompt: 'x', duration: 7 }, field: 'duration' },
];

describe('bad-input sweep: every invalid request is refused, naming the field, with zero provider calls', () => {
  let providers: SimulatedProviderSet;
  let storage: string;
  const taskQueue = `sweep-${randomUUID()}`;
  let environment: NodeJS.ProcessEnv;

  beforeAll(async () => {
    providers = await startSimulatedProviders();
    storage = await mkdtemp(join(tmpdir(), 'klingflow-sweep-'));
    environment = {
      ...process.env,
      ...providers.environment,
      TEMPORAL_ADDRESS: inject('temporalAddress'),
      KLINGFLOW_TASK_QUEUE: taskQueue,
      KLINGFLOW_STORAGE_DIR: storage,
    };
    await writeFile(join(storage, 'notes.txt'), 'not an image');
  });

  afterAll(async () => {
    // Nothing reached a provider, and no workflow was started on the sweep's task queue.
    const calls = Object.entries(providers.fakes).flatMap(([id, fake]) =>
      fake.requests.map((request) => `${id} ${request.path}`),
    );
    expect(calls).toEqual([]);
    const connection = await Connection.connect({ address: inject('temporalAddress') });
    const client = new KlingflowClient({ connection, taskQueue });
    const started = [];
    for await (const workflow of client.temporal.workflow.list({
      query: `TaskQueue = '${taskQueue}'`,
    }))
      started.push(workflow.workflowId);
    expect(started).toEqual([]);
    await connection.close();
    await providers.stop();
    await rm(storage, { recursive: true, force: true });
  });

  it('covers at least 40 invalid requests', () => {
    expect(CLI_CASES.length + CLIENT_CASES.length).toBeGreaterThanOrEqual(40);
  });

  it.concurrent.each(CLI_CASES)('CLI: $name exits 2 naming $field', async ({ args, field }) => {
    const withPrompt = args.includes('--prompt') ? args : ['--prompt', 'a fox', ...args];
    const result = await run(process.execPath, [CLI, 'generate', ...withPrompt], {
      env: environment,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(field);
  });

  it('batch CLI: a line whose pass-through options override the priced model exits 2 naming the key', async () => {
    const file = join(storage, 'override.jsonl');
    const line = {
      prompt: 'a fox',
      model: 'kling-v1.6',
      providers: ['hyprlab'],
      providerOptions: { hyprlab: { model: 'kling-v2.1-master', duration: 10 } },
    };
    await writeFile(file, `${JSON.stringify(line)}\n`);
    const result = await run(process.execPath, [CLI, 'batch', file, '--wait'], {
      env: environment,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('providerOptions.hyprlab.model');
    expect(result.stderr).toContain('providerOptions.hyprlab.duration');
  });

  it.each(CLIENT_CASES)(
    'client: $name is a ValidationError naming $field',
    async ({ request, providers: only, options, field }) => {
      const connection = await Connection.connect({ address: inject('temporalAddress') });
      const client = new KlingflowClient({
        connection,
        taskQueue,
        storage: createFilesystemStorage({ rootDirectory: storage }),
      });
      try {
        const error = await client
          .startGeneration(request as GenerationRequest, {
            ...options,
            ...(only ? { providers: only as never } : {}),
          })
          .catch((failure: unknown) => failure);
        expect(error).toBeInstanceOf(ValidationError);
        const issues = (error as ValidationError).issues;
        expect(issues.map((issue) => issue.field).join(' ')).toContain(field);
      } finally {
        await connection.close();
      }
    },
  );
});
