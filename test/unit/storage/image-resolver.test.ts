import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/errors.js';
import { createGuardedAgent } from '../../../src/http/guarded-agent.js';
import { FakeProviderServer, type FakeRoute } from '../../../src/simulated/fake-server.js';
import {
  createFilesystemStorage,
  type FilesystemStorage,
} from '../../../src/storage/filesystem-storage.js';
import { createImageResolver, ImageResolveError } from '../../../src/storage/image-resolver.js';

/** A real 1x1 PNG. */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

function servePng(contentType: string, bytes: Buffer = PNG): FakeRoute['handle'] {
  return ({ response }) => {
    response.writeHead(200, { 'content-type': contentType, 'content-length': bytes.length });
    response.end(bytes);
  };
}

const routes: FakeRoute[] = [
  {
    name: 'png',
    method: 'GET',
    pattern: /^\/images\/pixel\.png$/,
    authenticated: false,
    handle: servePng('image/png'),
  },
  {
    name: 'octet',
    method: 'GET',
    pattern: /^\/images\/upload$/,
    authenticated: false,
    handle: servePng('application/octet-stream'),
  },
  {
    name: 'html',
    method: 'GET',
    pattern: /^\/images\/page\.png$/,
    authenticated: false,
    handle: servePng('text/html', Buffer.from('<html>not found</html>')),
  },
  {
    name: 'lying',
    method: 'GET',
    pattern: /^\/images\/lying\.png$/,
    authenticated: false,
    handle: servePng('image/png', Buffer.from('<html>not an image</html>')),
  },
  {
    name: 'redirect',
    method: 'GET',
    pattern: /^\/images\/moved$/,
    authenticated: false,
    handle: ({ response }) => {
      response.writeHead(302, { location: '/images/pixel.png' });
      response.end();
    },
  },
  {
    name: 'redirect-to-file',
    method: 'GET',
    pattern: /^\/images\/sneaky$/,
    authenticated: false,
    handle: ({ response }) => {
      response.writeHead(302, { location: 'file:///etc/passwd' });
      response.end();
    },
  },
  {
    name: 'missing',
    method: 'GET',
    pattern: /^\/images\/missing\.png$/,
    authenticated: false,
    handle: ({ response }) => {
      response.writeHead(404);
      response.end();
    },
  },
];

let fake: FakeProviderServer;
let dispatcher: Agent;
let root: string;
let storage: FilesystemStorage;

beforeEach(async () => {
  fake = await new FakeProviderServer({
    name: 'images',
    routes,
    authenticate: () => true,
    rejectAuth: () => {},
  }).start();
  dispatcher = createGuardedAgent({ allowPrivateNetwork: true });
  root = await mkdtemp(join(tmpdir(), 'klingflow-images-'));
  storage = createFilesystemStorage({ rootDirectory: root });
});

afterEach(async () => {
  await fake.stop();
  await dispatcher.close();
  await rm(root, { recursive: true, force: true });
});

function resolver(options: { allowPrivateNetwork?: boolean; maxImageBytes?: number } = {}) {
  return createImageResolver({
    storage,
    dispatcher,
    allowPrivateNetwork: options.allowPrivateNetwork ?? true,
    providerName: 'hyprlab',
    ...(options.maxImageBytes !== undefined ? { maxImageBytes: options.maxImageBytes } : {}),
  });
}

describe('image resolver: URLs', () => {
  it('passes an http(s) URL through as a URL, without fetching it', async () => {
    const url = `${fake.origin}/images/pixel.png`;

    await expect(resolver().asUrl(url)).resolves.toBe(url);
    expect(fake.requests).toHaveLength(0);
  });

  it('fetches a URL image as base64, data URI and bytes, once per reference', async () => {
    const images = resolver();
    const url = `${fake.origin}/images/pixel.png`;

    await expect(images.asBase64(url)).resolves.toBe(PNG.toString('base64'));
    await expect(images.asDataUri(url)).resolves.toBe(
      `data:image/png;base64,${PNG.toString('base64')}`,
    );
    const file = await images.asBytes(url);
    expect(Buffer.from(file.bytes).equals(PNG)).toBe(true);
    expect(file).toMatchObject({ contentType: 'image/png', fileName: 'pixel.png' });
    expect(fake.requestsFor('png')).toHaveLength(1);
  });

  it('takes the image type from the bytes when the server only says octet-stream', async () => {
    const file = await resolver().asBytes(`${fake.origin}/images/upload`);

    expect(file.contentType).toBe('image/png');
    expect(file.fileName).toBe('upload.png');
  });

  it('follows a redirect', async () => {
    await expect(resolver().asBase64(`${fake.origin}/images/moved`)).resolves.toBe(
      PNG.toString('base64'),
    );
  });

  it('refuses a redirect to a non-http URL', async () => {
    await expect(resolver().asBase64(`${fake.origin}/images/sneaky`)).rejects.toMatchObject({
      reason: 'blocked-address',
      kind: 'invalid-request',
    });
  });

  it('refuses an HTML page, whether declared as such or disguised as image/png', async () => {
    await expect(resolver().asBase64(`${fake.origin}/images/page.png`)).rejects.toMatchObject({
      reason: 'unsupported-image-type',
    });
    await expect(resolver().asBase64(`${fake.origin}/images/lying.png`)).rejects.toMatchObject({
      reason: 'unsupported-image-type',
    });
  });

  it('refuses an image over the size cap', async () => {
    await expect(
      resolver({ maxImageBytes: 32 }).asBase64(`${fake.origin}/images/pixel.png`),
    ).rejects.toMatchObject({ reason: 'image-too-large' });
  });

  it('reports an HTTP error with its status, retryable only when the server may recover', async () => {
    const failure = await resolver()
      .asBase64(`${fake.origin}/images/missing.png`)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ImageResolveError);
    expect(failure).toMatchObject({
      reason: 'image-fetch-failed',
      httpStatus: 404,
      retryable: false,
    });
  });

  it('is a ProviderError naming the provider and the request field, so the job fails once', async () => {
    const url = `${fake.origin}/images/missing.png`;
    const images = createImageResolver({
      storage,
      dispatcher,
      allowPrivateNetwork: true,
      providerName: 'kling',
      fields: { startImage: url, endImage: undefined },
    });

    const failure = await images.asBase64(url).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ProviderError);
    expect(failure).toMatchObject({
      kind: 'invalid-request',
      provider: 'kling',
      field: 'startImage',
      ambiguous: false,
    });
    expect((failure as Error).message).toMatch(/^startImage: fetching image .* HTTP 404/);
  });

  it('refuses private and loopback URLs unless the private network is allowed', async () => {
    const images = resolver({ allowPrivateNetwork: false });

    await expect(images.asBase64(`${fake.origin}/images/pixel.png`)).rejects.toMatchObject({
      reason: 'blocked-address',
    });
    await expect(
      images.asBase64(`http://[::ffff:127.0.0.1]:${new URL(fake.origin).port}/images/pixel.png`),
    ).rejects.toMatchObject({ reason: 'blocked-address' });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses references that are neither URLs nor blobs', async () => {
    await expect(
      resolver().asBase64(`data:image/png;base64,${PNG.toString('base64')}`),
    ).rejects.toMatchObject({ reason: 'unsupported-reference' });
    await expect(resolver().asUrl('/home/me/cat.png')).rejects.toMatchObject({
      reason: 'unsupported-reference',
    });
  });
});

describe('image resolver: blobs', () => {
  it('reads a stored blob as base64, data URI and bytes', async () => {
    const reference = await storage.putBlob(PNG, 'image/png');
    const images = resolver();

    await expect(images.asBase64(reference)).resolves.toBe(PNG.toString('base64'));
    await expect(images.asDataUri(reference)).resolves.toBe(
      `data:image/png;base64,${PNG.toString('base64')}`,
    );
    const file = await images.asBytes(reference);
    expect(Buffer.from(file.bytes).equals(PNG)).toBe(true);
    expect(file.contentType).toBe('image/png');
    expect(file.fileName).toMatch(/^[0-9a-f]{16}\.png$/);
  });

  it('explains that a blob cannot become a URL for a provider that only takes URLs', async () => {
    const reference = await storage.putBlob(PNG, 'image/png');

    const failure = await resolver()
      .asUrl(reference)
      .catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ImageResolveError);
    // Another provider may take uploaded images: this one fails over, nothing was sent.
    expect(failure).toMatchObject({ reason: 'needs-public-url', kind: 'provider-unavailable' });
    expect((failure as Error).message).toMatch(/hyprlab.*public http\(s\) URL/);
  });

  it('refuses a blob over the size cap', async () => {
    const reference = await storage.putBlob(PNG, 'image/png');

    await expect(resolver({ maxImageBytes: 32 }).asBase64(reference)).rejects.toMatchObject({
      reason: 'image-too-large',
    });
  });

  it('refuses a blob that is not an image', async () => {
    const reference = await storage.putBlob(Buffer.from('%PDF-1.7'), 'application/pdf');

    await expect(resolver().asBase64(reference)).rejects.toMatchObject({
      reason: 'unsupported-image-type',
    });
  });
});
