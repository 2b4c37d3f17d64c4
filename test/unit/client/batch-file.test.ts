import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createBatchInput,
  parseBatchText,
  readBatchFile,
  validateBatchEntries,
} from '../../../src/client/batch-file.js';
import { MAX_BATCH_ITEMS } from '../../../src/contracts/batch.js';
import { ValidationError, type ValidationIssue } from '../../../src/errors.js';
import { PROVIDER_IDS } from '../../../src/request/unified-request.js';
import type { BlobReference } from '../../../src/storage/video-storage.js';

/** Blob storage in memory: what the client stores local images into. */
function memoryStorage() {
  const blobs = new Map<string, { bytes: Uint8Array; contentType: string }>();
  return {
    blobs,
    async putBlob(bytes: Uint8Array, contentType: string): Promise<BlobReference> {
      const reference = `blob:sha256:${createHash('sha256').update(bytes).digest('hex')}` as const;
      blobs.set(reference, { bytes, contentType });
      return reference;
    },
  };
}

async function issuesOf(promise: Promise<unknown>): Promise<readonly ValidationIssue[]> {
  const error = await promise.then(
    () => undefined,
    (failure: unknown) => failure,
  );
  expect(error).toBeInstanceOf(ValidationError);
  return (error as ValidationError).issues;
}

const jsonl = (...lines: (string | object)[]) =>
  lines.map((line) => (typeof line === 'string' ? line : JSON.stringify(line))).join('\n');

describe('batch files (JSONL)', () => {
  let storage: ReturnType<typeof memoryStorage>;

  beforeEach(() => {
    storage = memoryStorage();
  });

  it('reads one request per line with defaults applied, keyed by id or line number', async () => {
    const items = await parseBatchText(
      jsonl(
        { prompt: 'a lighthouse at dusk', model: 'kling-v1.6', id: 'intro' },
        { prompt: 'waves on rocks', duration: 10, aspectRatio: '9:16', providers: ['kling'] },
      ),
      { storage },
    );

    expect(items).toEqual([
      {
        key: 'intro',
        line: 1,
        request: { prompt: 'a lighthouse at dusk', model: 'kling-v1.6', mode: 'std', duration: 5 },
      },
      {
        key: '2',
        line: 2,
        request: {
          prompt: 'waves on rocks',
          model: 'kling-v2.6',
          mode: 'std',
          duration: 10,
          aspectRatio: '9:16',
        },
        providers: ['kling'],
      },
    ]);
  });

  it('skips blank lines but keeps counting them, so line numbers match an editor', async () => {
    const items = await parseBatchText(
      `\n${jsonl({ prompt: 'first' })}\n   \n\r\n${jsonl({ prompt: 'second' })}\n`,
      { storage },
    );

    expect(items.map((item) => [item.key, item.line, item.request.prompt])).toEqual([
      ['2', 2, 'first'],
      ['5', 5, 'second'],
    ]);
  });

  it('reports a line that is not JSON, or not one JSON object, with its line number', async () => {
    const issues = await issuesOf(
      parseBatchText(jsonl({ prompt: 'fine' }, '{"prompt": "unterminated', '[1, 2]', 'null'), {
        storage,
      }),
    );

    expect(issues).toEqual([
      { field: 'json', message: expect.stringMatching(/^not valid JSON/), location: 'line 2' },
      {
        field: 'line',
        message:
          'must be a JSON object (one request), not an array: a batch file is JSONL, one request object per line',
        location: 'line 3',
      },
      { field: 'line', message: 'must be a JSON object (one request)', location: 'line 4' },
    ]);
  });

  it('says when the quotes are why a pasted line is not JSON', async () => {
    const issues = await issuesOf(
      parseBatchText(jsonl('{“prompt”: “a fox”}', "{'prompt': 'a fox'}", '{"prompt": "a fox",}'), {
        storage,
      }),
    );

    expect(
      issues.map((issue) => [
        issue.location,
        /; (it has|JSON keys).*$/.exec(issue.message)?.[0] ?? '',
      ]),
    ).toEqual([
      [
        'line 1',
        '; it has typographic quotes (“ ”), which JSON does not take: use straight double quotes (")',
      ],
      ['line 2', '; JSON keys and strings take double quotes ("), not single ones'],
      ['line 3', ''],
    ]);
  });

  it('names a number, boolean or provider list written as a string, with how to write it', async () => {
    const issues = await issuesOf(
      parseBatchText(
        jsonl(
          { prompt: 'a', duration: '5', sound: 'true' },
          { prompt: 'b', cfgScale: 'half', providers: 'hyprlab, fal' },
          { prompt: 'c', providers: 'runway' },
        ),
        { storage },
      ),
    );

    expect(issues.map((issue) => `${issue.location} ${issue.field}: ${issue.message}`)).toEqual([
      'line 1 duration: must be a number, not the string "5"; write 5 without quotes',
      'line 1 sound: must be a boolean, not the string "true"; write true without quotes',
      'line 2 providers: must be a non-empty array of provider ids (failover order); write ["hyprlab","fal"]',
      'line 2 cfgScale: must be a number, not the string "half"',
      'line 3 providers: must be a non-empty array of provider ids (failover order)',
    ]);
  });

  it('names the line, the field and the allowed values of every schema error', async () => {
    const issues = await issuesOf(
      parseBatchText(
        jsonl(
          { prompt: 'ok' },
          { prompt: 'bad model', model: 'kling-v9' },
          { prompt: 'bad duration', duration: 'five' },
          { promt: 'typo' },
        ),
        { storage },
      ),
    );

    expect(issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          location: 'line 2',
          field: 'model',
          allowed: expect.arrayContaining(['kling-v1.6', 'kling-v2.6']),
        }),
        expect.objectContaining({ location: 'line 3', field: 'duration' }),
        expect.objectContaining({
          location: 'line 4',
          field: 'promt',
          message: 'unknown field(s) promt',
        }),
        expect.objectContaining({ location: 'line 4', field: 'prompt' }),
      ]),
    );
    expect(issues.some((issue) => issue.location === 'line 1')).toBe(false);
  });

  it('lists every bad line in one error, so nothing starts until the whole file is right', async () => {
    const error = await parseBatchText(
      jsonl({ prompt: '' }, { prompt: 'fine' }, 'not json', { prompt: 'x', cfgScale: 3 }),
      { storage },
    ).catch((failure: unknown) => failure);

    expect(error).toBeInstanceOf(ValidationError);
    const locations = (error as ValidationError).issues.map((issue) => issue.location);
    expect([...new Set(locations)]).toEqual(['line 1', 'line 3', 'line 4']);
    expect((error as ValidationError).message).toContain('line 4: cfgScale');
  });

  it('checks providers against the known ids, with the allowed values', async () => {
    const issues = await issuesOf(
      parseBatchText(
        jsonl(
          { prompt: 'a', providers: ['hyprlab', 'runway'] },
          { prompt: 'b', providers: 'hyprlab' },
          { prompt: 'c', providers: [] },
          { prompt: 'd', providers: ['kling', 'kling'] },
        ),
        { storage },
      ),
    );

    expect(issues).toEqual([
      {
        field: 'providers',
        message: 'unknown provider "runway"',
        allowed: PROVIDER_IDS,
        location: 'line 1',
      },
      expect.objectContaining({ field: 'providers', location: 'line 2', allowed: PROVIDER_IDS }),
      expect.objectContaining({ field: 'providers', location: 'line 3' }),
      { field: 'providers', message: 'lists a provider more than once', location: 'line 4' },
    ]);
  });

  it('refuses a line no provider can serve, naming the provider and the allowed values', async () => {
    const issues = await issuesOf(
      parseBatchText(
        jsonl({ prompt: 'fine', model: 'kling-v1.6' }, { prompt: 'x', model: 'kling-o1' }),
        {
          storage,
          availableProviders: ['hyprlab'],
        },
      ),
    );

    expect(issues).toEqual([
      {
        field: 'model',
        message: 'kling-o1 is not offered by HyprLab',
        allowed: expect.arrayContaining(['kling-v1.6']),
        location: 'line 2, provider hyprlab',
      },
    ]);
  });

  it('checks a line with its own providers against those, not the configured ones', async () => {
    const items = await parseBatchText(
      jsonl({ prompt: 'x', model: 'kling-o1', providers: ['kling'] }),
      {
        storage,
        availableProviders: ['hyprlab'],
      },
    );

    expect(items[0]?.providers).toEqual(['kling']);
  });

  it('requires ids to be safe as file names and unique, also against other lines’ default ids', async () => {
    const issues = await issuesOf(
      parseBatchText(
        jsonl(
          { prompt: 'a', id: 'shot-1' },
          { prompt: 'b', id: 'shot-1' },
          { prompt: 'c', id: '../escape' },
          { prompt: 'd', id: 7 },
          { prompt: 'e', id: '6' },
          { prompt: 'f' },
          { prompt: 'g', id: '-leading-dash' },
          { prompt: 'h', id: 'two..dots' },
        ),
        { storage },
      ),
    );

    expect(issues).toEqual([
      {
        field: 'id',
        message: 'duplicate id "shot-1" (already used by line 1)',
        location: 'line 2',
      },
      expect.objectContaining({
        field: 'id',
        location: 'line 3',
        message: expect.stringContaining('"../escape" is not a valid id'),
      }),
      expect.objectContaining({
        field: 'id',
        location: 'line 4',
        message: expect.stringContaining('7 is not a valid id'),
      }),
      {
        field: 'id',
        message: `this line's default id "6" is already used by line 5: give the line an id`,
        location: 'line 6',
      },
      expect.objectContaining({ field: 'id', location: 'line 7' }),
      expect.objectContaining({ field: 'id', location: 'line 8' }),
    ]);
  });

  it('refuses a file with no requests', async () => {
    const issues = await issuesOf(parseBatchText('\n  \n', { storage }));

    expect(issues).toEqual([{ field: 'file', message: 'has no requests (every line is blank)' }]);
  });

  describe('files on disk', () => {
    let directory: string;

    beforeEach(async () => {
      directory = await mkdtemp(join(tmpdir(), 'klingflow-batch-file-'));
    });

    afterEach(async () => {
      await rm(directory, { recursive: true, force: true });
    });

    it('stores local images (relative to the batch file) as blobs and carries only references', async () => {
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
      await writeFile(join(directory, 'frame.png'), png);
      const file = join(directory, 'shots.jsonl');
      await writeFile(
        file,
        jsonl({ prompt: 'from a frame', model: 'kling-v1.6', startImage: 'frame.png' }),
      );

      const [item] = await readBatchFile(file, { storage });

      const reference = `blob:sha256:${createHash('sha256').update(png).digest('hex')}`;
      expect(item?.request.startImage).toBe(reference);
      expect(storage.blobs.get(reference)?.contentType).toBe('image/png');
    });

    it('reports a missing image with the line and the field', async () => {
      const file = join(directory, 'shots.jsonl');
      await writeFile(file, jsonl({ prompt: 'fine' }, { prompt: 'x', endImage: 'missing.jpg' }));

      const issues = await issuesOf(readBatchFile(file, { storage }));

      expect(issues).toEqual([
        expect.objectContaining({
          field: 'endImage',
          location: 'line 2',
          message: expect.stringContaining('ENOENT'),
        }),
      ]);
    });

    it('reports a file that cannot be read as invalid input', async () => {
      const issues = await issuesOf(readBatchFile(join(directory, 'nope.jsonl'), { storage }));

      expect(issues).toEqual([
        expect.objectContaining({ field: 'file', message: expect.stringContaining('ENOENT') }),
      ]);
    });
  });

  it('validates library entries by position when they have no line numbers', async () => {
    const issues = await issuesOf(
      validateBatchEntries([{ request: { prompt: 'fine' } }, { request: { prompt: '' } }], {
        storage,
      }),
    );

    expect(issues).toEqual([expect.objectContaining({ field: 'prompt', location: 'item 2' })]);
  });
});

describe('batch options', () => {
  const items = [
    {
      key: '1',
      request: { prompt: 'x', model: 'kling-v1.6' as const, mode: 'std' as const, duration: 5 },
    },
  ];

  it('fills in a fresh batch id and the default concurrency', () => {
    const input = createBatchInput(items);

    expect(input.batchId).toMatch(/^b-[a-z0-9]+-[a-z0-9]+$/);
    expect(input.concurrency).toBe(5);
    expect(input).not.toHaveProperty('maxCost');
  });

  it('refuses an unsafe batch id, a concurrency out of range and a negative budget, all at once', () => {
    const error = (() => {
      try {
        createBatchInput(items, {
          batchId: 'a/b',
          concurrency: 0,
          maxCost: -1,
          pollIntervalMs: 10,
          retryPaid: true,
        });
      } catch (failure) {
        return failure;
      }
    })();

    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).issues.map((issue) => issue.field)).toEqual([
      'batchId',
      'concurrency',
      'maxCost',
      'retryPaid',
      'pollIntervalMs',
    ]);
  });

  it(`refuses more than ${MAX_BATCH_ITEMS} items: the batch's state must fit Temporal's payload limit`, () => {
    const many = Array.from({ length: MAX_BATCH_ITEMS + 1 }, (_, index) => ({
      ...items[0]!,
      key: String(index + 1),
    }));

    expect(() => createBatchInput(many)).toThrow(/split the file into several batches/);
  });
});
