import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exitCodeFor } from '../../../src/cli/exit-codes.js';
import { prepareRequest } from '../../../src/client/prepare-request.js';
import { ValidationError } from '../../../src/errors.js';
import {
  createFilesystemStorage,
  type FilesystemStorage,
} from '../../../src/storage/filesystem-storage.js';
import { mp4OfSeconds } from '../../support/sample-videos.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let root: string;
let storage: FilesystemStorage;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'klingflow-prepare-'));
  storage = createFilesystemStorage({ rootDirectory: join(root, 'store') });
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function storedBytes(reference: string | undefined): Promise<Buffer> {
  return Buffer.from((await storage.readBlob(reference ?? '')).bytes);
}

describe('request images as a caller writes them', () => {
  it('reads a file: URL with percent-encoded characters from the path it names', async () => {
    const directory = join(root, 'my pics');
    await mkdir(directory);
    const path = join(directory, 'my pic.png');
    await writeFile(path, PNG);
    const url = pathToFileURL(path).href;
    expect(url).toContain('my%20pic.png');

    const request = await prepareRequest({ prompt: 'x', startImage: url }, storage);

    expect((await storedBytes(request.startImage)).equals(PNG)).toBe(true);
  });

  it('accepts a data URI with parameters before ;base64', async () => {
    const uri = `data:image/png;name=a.png;base64,${PNG.toString('base64')}`;

    const request = await prepareRequest({ prompt: 'x', endImage: uri }, storage);

    expect((await storedBytes(request.endImage)).equals(PNG)).toBe(true);
  });

  it('decodes a percent-encoded (not base64) data URI byte for byte', async () => {
    const encoded = [...PNG].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

    const request = await prepareRequest(
      { prompt: 'x', startImage: `data:image/png,${encoded}` },
      storage,
    );

    expect((await storedBytes(request.startImage)).equals(PNG)).toBe(true);
  });

  it.each([
    ['a data URI', 'data:image/png,%zz%41'],
    ['a file URL', 'file:///tmp/bad%zz.png'],
  ])('reports malformed percent-encoding in %s as a bad field (exit 2)', async (_, value) => {
    const failure = await prepareRequest({ prompt: 'x', startImage: value }, storage).catch(
      (error: unknown) => error,
    );

    expect(failure).toBeInstanceOf(ValidationError);
    expect((failure as ValidationError).issues[0]?.field).toBe('startImage');
    expect(exitCodeFor(failure)).toBe(2);
  });
});

describe('request images are checked as the worker would check them, before anything starts', () => {
  async function refusal(startImage: string) {
    const failure = await prepareRequest({ prompt: 'x', startImage }, storage).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(ValidationError);
    expect(exitCodeFor(failure)).toBe(2);
    // Nothing was stored: no blob directory was even made.
    await expect(readdir(join(root, 'store'))).rejects.toMatchObject({ code: 'ENOENT' });
    return (failure as ValidationError).issues[0];
  }

  it('refuses a URL of another scheme instead of reading it as a file name', async () => {
    expect(await refusal('ftp://images.example/first.png')).toMatchObject({
      field: 'startImage',
      message: 'ftp: URLs are not supported',
      allowed: ['http(s) URL', 'data URI', 'local path', 'file: URL'],
    });
  });

  it('refuses a .png file that is not an image, by its content', async () => {
    const path = join(root, 'notes.png');
    await writeFile(path, 'meeting notes, not a picture\n');

    expect(await refusal(path)).toMatchObject({
      field: 'startImage',
      message: `${path} is not a JPEG, PNG or WebP image (by its content)`,
      allowed: ['JPEG', 'PNG', 'WebP'],
    });
  });

  it('refuses a data URI typed image/png whose bytes are not an image', async () => {
    const uri = `data:image/png;base64,${Buffer.from('<h1>hello</h1>').toString('base64')}`;

    expect(await refusal(uri)).toMatchObject({
      field: 'startImage',
      message: 'the data URI is not a JPEG, PNG or WebP image (by its content)',
    });
  });

  it('refuses an image over the 10 MiB the worker accepts', async () => {
    const path = join(root, 'huge.png');
    await writeFile(path, Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]));

    expect(await refusal(path)).toMatchObject({
      field: 'startImage',
      message: `${path} is ${(PNG.length + 10 * 1024 * 1024).toLocaleString('en-US')} bytes; images up to 10 MiB (10,485,760 bytes) are accepted`,
    });
  });
});

describe('request videos as a caller writes them', () => {
  it.each([
    ['motionVideo', './dance.mp4'],
    ['referenceVideo', 'file:///tmp/ref.mp4'],
    ['motionVideo', 'data:video/mp4;base64,AAAA'],
  ] as const)(
    'refuses a local %s (%s) with disk storage, naming the field, with exit 2',
    async (field, value) => {
      const request = {
        model: 'kling-motion-control',
        startImage: 'https://images.example/cat.png',
        [field]: value,
      } as const;
      const error = await prepareRequest(request, storage).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues.map((issue) => issue.field)).toEqual([field]);
      expect((error as ValidationError).issues[0]?.message).toMatch(
        /needs S3 storage \(KLINGFLOW_STORAGE=s3:\/\/…\)/,
      );
      expect((error as ValidationError).issues[0]?.allowed).toContain('http(s) URL');
      expect(exitCodeFor(error)).toBe(2);
      // Nothing was stored: no blob directory was even made.
      await expect(readdir(join(root, 'store'))).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('refuses a valid local video file with disk storage too, storing nothing', async () => {
    const path = join(root, 'dance.mp4');
    await writeFile(path, mp4OfSeconds(5));
    const request = {
      model: 'kling-motion-control',
      startImage: 'https://images.example/cat.png',
      motionVideo: path,
    } as const;
    const error = await prepareRequest(request, storage).catch((caught: unknown) => caught);
    expect((error as ValidationError).issues).toEqual([
      expect.objectContaining({ field: 'motionVideo', message: expect.stringMatching(/S3/) }),
    ]);
    await expect(readdir(join(root, 'store'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('keeps an http(s) video URL as it is', async () => {
    const prepared = await prepareRequest(
      {
        model: 'kling-motion-control',
        startImage: 'https://images.example/cat.png',
        motionVideo: 'https://videos.example/dance.mp4',
      },
      storage,
    );
    expect(prepared.motionVideo).toBe('https://videos.example/dance.mp4');
  });
});

describe('a storage that cannot keep the input', () => {
  it('exits 2 naming the field and why (the bucket is gone), before anything is started', async () => {
    const path = join(root, 'frame.png');
    await writeFile(path, PNG);
    const gone = {
      putBlob: () => Promise.reject(new Error('The specified bucket does not exist')),
    };
    const error = await prepareRequest(
      { prompt: 'a frame', model: 'kling-v2.1', startImage: path },
      gone,
    ).catch((failure: unknown) => failure);
    expect(exitCodeFor(error)).toBe(2);
    expect((error as Error).message).toBe(
      `startImage: cannot keep ${path} in the video storage (KLINGFLOW_STORAGE / KLINGFLOW_STORAGE_DIR) for the worker: The specified bucket does not exist`,
    );
    // A bad input stays a validation error, not a storage one.
    const notAnImage = join(root, 'notes.png');
    await writeFile(notAnImage, 'hello');
    const invalid = await prepareRequest(
      { prompt: 'a frame', model: 'kling-v2.1', startImage: notAnImage },
      gone,
    ).catch((failure: unknown) => failure);
    expect(invalid).toBeInstanceOf(ValidationError);
  });
});
