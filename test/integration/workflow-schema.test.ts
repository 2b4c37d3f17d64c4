import type { Connection } from '@temporalio/client';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import { readWorkflowInput } from '../../src/client/workflow-input.js';
import type { GenerateVideoInput, GenerationStatus } from '../../src/contracts/generation.js';
import {
  generateVideoInputSchema,
  generationStatusSchema,
  workflowInputJsonSchema,
  workflowResultJsonSchema,
} from '../../src/contracts/workflow-payloads.js';
import { createFilesystemStorage } from '../../src/storage/filesystem-storage.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

/**
 * `klingflow schema` is what launchers in other languages are written against: a real job's
 * input (as the client starts it) and result must satisfy both the zod schemas, field for field,
 * and the JSON Schema generated from them, checked by an independent validator.
 */
describe('the workflow payload schemas describe real payloads', () => {
  let context: IntegrationContext;
  let input: GenerateVideoInput | undefined;
  let result: unknown;

  beforeAll(async () => {
    context = await createIntegrationContext({ providers: ['hyprlab', 'kling'] });
    const client = new KlingflowClient({
      connection: context.client.connection as Connection,
      taskQueue: context.taskQueue,
      storage: createFilesystemStorage({ rootDirectory: context.storageDirectory }),
    });
    const worker = await context.createWorker();
    result = await worker.runUntil(async () => {
      const { workflowId } = await client.startGeneration(
        {
          prompt: 'a lighthouse in a storm',
          model: 'kling-v1.6',
          aspectRatio: '16:9',
          cfgScale: 0.5,
          negativePrompt: 'text',
        },
        { providers: ['hyprlab', 'kling'], maxCost: 5, deadlineMs: 600_000 },
      );
      input = await readWorkflowInput<GenerateVideoInput>(context.client, workflowId);
      return client.waitForResult(workflowId);
    });
  });
  afterAll(async () => {
    await context?.teardown();
  });

  it('the input: every field known to the schema, and valid JSON Schema', () => {
    expect(input).toBeDefined();
    // zod drops unknown keys, so equality proves the schema names every field the client sends.
    expect(generateVideoInputSchema.parse(input)).toEqual(input);
    const validate = new Ajv2020({ strict: false }).compile(workflowInputJsonSchema());
    expect(validate(input), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...input, unknownField: 1 })).toBe(false);
  });

  it('the result: every field known to the schema, and valid JSON Schema', () => {
    expect((result as { status?: string }).status).toBe('succeeded');
    expect(generationStatusSchema.parse(result)).toEqual(result);
    const validate = new Ajv2020({ strict: false }).compile(workflowResultJsonSchema());
    expect(validate(result), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...(result as object), status: 'done' })).toBe(false);
  });

  it("the fields klingflow's client adds to `status --json` are in the result schema too", () => {
    const done = result as GenerationStatus;
    const printed = [
      // generate --presign: each video gains its presigned URL.
      {
        ...done,
        videos: done.videos.map((video) => ({ ...video, url: 'https://signed.example/v' })),
      },
      {
        ...done,
        status: 'running',
        retrying: {
          activity: 'downloadVideoToStorage',
          failedAttempts: 3,
          error: 'connect ECONNREFUSED',
          nextAttemptAt: '2026-01-01T00:00:00.000Z',
        },
      },
      { ...done, status: 'running', waitingForWorker: { taskQueue: 'q', workersPolling: false } },
      { ...done, status: 'failed', spendUnknown: true },
    ];
    const validate = new Ajv2020({ strict: false }).compile(workflowResultJsonSchema());
    for (const status of printed) {
      expect(validate(status), JSON.stringify(validate.errors)).toBe(true);
      expect(generationStatusSchema.parse(status)).toEqual(status);
    }
  });
});
