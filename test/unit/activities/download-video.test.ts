import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { dirname } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { Agent } from 'undici';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDownloadVideo,
  type DownloadProgress,
} from '../../../src/activities/download-video.js';
import { DownloadFailureType } from '../../../src/contracts/download-failures.js';
import {
  type FakeProviderServer,
  type FakeRoute,
  serveWithRange,
} from '../../../src/simulated/fake-server.js';
import type { FilesystemStorage } from '../../../src/storage/filesystem-storage.js';
import {
  type DownloadServer,
  stallRoute,
  startDownloadServer,
} from '../../support/download-server.js';

const KEY = 'job-1-0';

setFlagsFromString('--expose-gc');
/** V8's collector, reached without restarting node with --expose-gc. */
const collectGarbage = runInNewContext('gc') as () => void;

/** Memory once garbage is really returned: V8 frees buffer memory on a background thread. */
async function settledMemory(): Promise<{ rss: number; arrayBuffers: number }> {
  let previous = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 20; round++) {
    collectGarbage();
    await new Promise((resolve) => setImmediate(resolve));
    const current = process.memoryUsage().rss;
    if (current >= previous - 1024 * 1024) break;
    previous = current;
  }
  const { rss, arrayBuffers } = process.memoryUsage();
  return { rss, arrayBuffers };
}

/** Routes that misbehave in ways the shared download route cannot. */
const extraRoutes: FakeRoute[] = [
  {
    // A whole video with a CRLF after its last box, as some servers append.
    name: 'trailing-crlf',
    method: 'GET',
    pattern: /^\/trailing-crlf\/[^/]+\.mp4$/,
    authenticated: false,
    handle: ({ response, fake }) => {
      const body = Buffer.concat([fake.videoBuffer, Buffer.from('\r\n')]);
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': body.length });
      response.end(body);
    },
  },
  {
    // A CDN object still being written: 200 with a Content-Length that matches the short file.
    name: 'cut-short',
    method: 'GET',
    pattern: /^\/cut-short\/[^/]+\.mp4$/,
    authenticated: false,
    handle: ({ response, fake }) => {
      const short = fake.videoBuffer.subarray(0, fake.videoBuffer.length - 1000);
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': short.length });
      response.end(short);
    },
  },
  {
    // Announces the full length, sends half, then drops the connection.
    name: 'truncated',
    method: 'GET',
    pattern: /^\/truncated\/[^/]+\.mp4$/,
    authenticated: false,
    handle: ({ response, fake }) => {
      const video = fake.videoBuffer;
      response.writeHead(200, { 'content-type': 'video/mp4', 'content-length': video.length });
      response.write(video.subarray(0, Math.floor(video.length / 2)), () =>
        setTimeout(() => response.socket?.destroy(), 20),
      );
    },
  },
  {
    // Ignores Range and always answers 200 with the whole file.
    name: 'no-range',
    method: 'GET',
    pattern: /^\/no-range\/[^/]+\.mp4$/,
    authenticated: false,
    handle: ({ response, fake }) => {
      response.writeHead(200, {
        'content-type': 'video/mp4',
        'content-length': fake.videoBuffer.length,
      });
      response.end(fake.videoBuffer);
    },
  },
  {
    // A CDN error page served with 200.
    name: 'html',
    method: 'GET',
    pattern: /^\/html\/[^/]+\.mp4$/,
    authenticated: false,
    handle: ({ response }) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<!doctype html><html><body>Access denied</body></html>');
    },
  },
  {
    // Chunked transfer without Content-Length: only the streamed size can be checked.
    name: 'chunked',
    method: 'GET',
    pattern: /^\/chunked\/[^/]+\.mp4$/,
    authenticated: false,
    handle: async ({ response, fake }) => {
      response.writeHead(200, { 'content-type': 'video/mp4' });
      const video = fake.videoBuffer;
      for (let start = 0; start < video.length; start += 16 * 1024) {
        if (!response.write(video.subarray(start, start + 16 * 1024))) {
          await new Promise((resolve) => response.once('drain', resolve));
        }
      }
      response.end();
    },
  },
  {
    // A file at version "v2" that honours If-Range: a stale validator gets the whole new file.
    name: 'versioned',
    method: 'GET',
    pattern: /^\/versioned\/[^/]+\.mp4$/,
    authenticated: false,
    handle: ({ request, response, fake }) => {
      response.setHeader('etag', '"v2"');
      const ifRange = request.headers['if-range'];
      const stale = ifRange !== undefined && ifRange !== '"v2"';
      const asked = stale ? ({ headers: {} } as IncomingMessage) : request;
      serveWithRange(asked, response, fake.videoBuffer);
    },
  },
  stallRoute,
];

let server: DownloadServer;
let fake: FakeProviderServer;
let dispatcher: Agent;
let storage: FilesystemStorage;

beforeEach(async () => {
  server = await startDownloadServer('download-test', { routes: extraRoutes });
  ({ fake, dispatcher, storage } = server);
});

afterEach(() => server.stop());

function download(options: { allowPrivateNetwork?: boolean; maxBytes?: number } = {}) {
  return createDownloadVideo({
    storage,
    dispatcher,
    allowPrivateNetwork: options.allowPrivateNetwork ?? true,
    heartbeatEveryBytes: 32 * 1024,
    ...(options.maxBytes !== undefined ? { maxBytes: options.maxBytes } : {}),
  });
}

function environment(resume?: DownloadProgress) {
  const env = new MockActivityEnvironment(
    resume ? { heartbeatDetails: resume, attempt: 2 } : undefined,
    { logger: new DefaultLogger('ERROR') },
  );
  const heartbeats: DownloadProgress[] = [];
  env.on('heartbeat', (details: DownloadProgress) => heartbeats.push(details));
  return { env, heartbeats };
}

/** `MockActivityEnvironment.run` cannot infer the result type; this keeps tests typed. */
function run<I, O>(env: MockActivityEnvironment, activity: (input: I) => Promise<O>, input: I) {
  return env.run(activity, input) as Promise<O>;
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function writePartial(bytes: Uint8Array): Promise<string> {
  const path = storage.partialPath(KEY);
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

describe('downloadVideo', () => {
  it('streams the whole file to the partial path with the right sha256 and size, heartbeating offsets', async () => {
    const { env, heartbeats } = environment();
    const url = `${fake.origin}/files/task-1.mp4`;

    const result = await run(env, download(), { url, key: KEY });

    const video = fake.videoBuffer;
    expect(result).toEqual({
      tempPath: storage.partialPath(KEY),
      sha256: sha256(video),
      bytes: video.length,
      sourceUrl: url,
    });
    expect(Buffer.compare(await readFile(result.tempPath), video)).toBe(0);
    // Downloading never publishes: the store activity does that.
    expect(existsSync(storage.videoPath(KEY))).toBe(false);
    const offsets = heartbeats.map((beat) => beat.offset);
    expect(offsets.length).toBeGreaterThanOrEqual(2);
    expect(offsets).toEqual([...offsets].sort((a, b) => a - b));
    expect(offsets.every((offset) => offset > 0 && offset <= video.length)).toBe(true);
  });

  it('resumes from the heartbeat offset with a Range request, dropping unvouched bytes past it', async () => {
    const video = fake.videoBuffer;
    const offset = 100_000;
    // Bytes past the heartbeat may be torn by the crash; they must not survive.
    await writePartial(Buffer.concat([video.subarray(0, offset), Buffer.alloc(5000, 0xee)]));
    const { env } = environment({ offset, total: video.length });

    const result = await run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: KEY });

    const requests = fake.requestsFor('download');
    expect(requests).toHaveLength(1);
    expect(requests[0]?.headers.range).toBe(`bytes=${offset}-`);
    expect(result.sha256).toBe(sha256(video));
    expect(result.bytes).toBe(video.length);
    expect(sha256(await readFile(result.tempPath))).toBe(sha256(video));
  });

  it('resumes from what is on disk when the file is shorter than the heartbeat says', async () => {
    const video = fake.videoBuffer;
    await writePartial(video.subarray(0, 50_000));
    const { env } = environment({ offset: 100_000, total: video.length });

    const result = await run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: KEY });

    expect(fake.requestsFor('download')[0]?.headers.range).toBe('bytes=50000-');
    expect(result.sha256).toBe(sha256(video));
  });

  it('finishes without a body when the whole file was already on disk (416 for the range)', async () => {
    const video = fake.videoBuffer;
    await writePartial(video);
    const { env } = environment({ offset: video.length, total: video.length });

    const result = await run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: KEY });

    expect(fake.requestsFor('download')[0]?.headers.range).toBe(`bytes=${video.length}-`);
    expect(result).toMatchObject({ sha256: sha256(video), bytes: video.length });
  });

  it('fetches the file whole when a resumed range is of another length than first announced', async () => {
    // A server without validators replaced the result: splicing would mix two videos.
    const video = fake.videoBuffer;
    await writePartial(video.subarray(0, 100_000));
    const { env } = environment({ offset: 100_000, total: 1_000_000 });

    const result = await run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: KEY });

    const requests = fake.requestsFor('download');
    expect(requests.map((request) => request.headers.range)).toEqual(['bytes=100000-', undefined]);
    expect(result).toMatchObject({ sha256: sha256(video), bytes: video.length });
  });

  it('resumes when neither a length nor a validator is known (an older worker, a chunked answer)', async () => {
    const video = fake.videoBuffer;
    await writePartial(video.subarray(0, 100_000));
    const { env } = environment({ offset: 100_000 });

    const result = await run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: KEY });

    expect(fake.requestsFor('download').map((request) => request.headers.range)).toEqual([
      'bytes=100000-',
    ]);
    expect(result).toMatchObject({ sha256: sha256(video), bytes: video.length });
  });

  it('fails retryably on a file whose MP4 boxes run past its end, and starts over next attempt', async () => {
    const { env, heartbeats } = environment();

    const failure = await run(env, download(), {
      url: `${fake.origin}/cut-short/task-1.mp4`,
      key: KEY,
    }).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect((failure as ApplicationFailure).type).toBe(DownloadFailureType.interrupted);
    expect((failure as ApplicationFailure).nonRetryable).toBe(false);
    expect((failure as Error).message).toMatch(
      /is not a complete MP4: its last box needs \d+ bytes/,
    );
    // All announced bytes arrived, yet nothing of this file is kept to resume from.
    expect(heartbeats.at(-1)?.offset).toBe(0);
  });

  it('takes a whole video with a few stray bytes after its last box', async () => {
    const { env } = environment();
    const result = await run(env, download(), {
      url: `${fake.origin}/trailing-crlf/task-1.mp4`,
      key: KEY,
    });
    expect(result.bytes).toBe(fake.videoBuffer.length + 2);
  });

  it('restarts from zero when the server ignores Range and answers 200', async () => {
    const video = fake.videoBuffer;
    const offset = 100_000;
    const stale = Buffer.from(video.subarray(0, offset));
    // If the 200 body were appended to this prefix, the damaged byte would change the hash.
    stale[50_000] = (stale[50_000] ?? 0) ^ 0xff;
    await writePartial(stale);
    const { env } = environment({ offset });

    const result = await run(env, download(), {
      url: `${fake.origin}/no-range/task-1.mp4`,
      key: KEY,
    });

    expect(fake.requestsFor('no-range')[0]?.headers.range).toBe(`bytes=${offset}-`);
    expect(result).toMatchObject({ sha256: sha256(video), bytes: video.length });
    expect(Buffer.compare(await readFile(result.tempPath), video)).toBe(0);
  });

  it('sends the heartbeated validator as If-Range, so a file that changed is fetched whole', async () => {
    const video = fake.videoBuffer;
    await writePartial(video.subarray(0, 100_000));
    const { env, heartbeats } = environment({ offset: 100_000, validator: '"v1"' });

    const result = await run(env, download(), {
      url: `${fake.origin}/versioned/task-1.mp4`,
      key: KEY,
    });

    const sent = fake.requestsFor('versioned')[0]?.headers;
    expect(sent?.range).toBe('bytes=100000-');
    expect(sent?.['if-range']).toBe('"v1"');
    expect(result).toMatchObject({ sha256: sha256(video), bytes: video.length });
    expect(heartbeats.at(-1)?.validator).toBe('"v2"');
  });

  // 9 MB: the cut comes after several full write batches, with the body paused for the disk.
  it.each([
    ['one write batch', undefined],
    ['several write batches', 9 * 1024 * 1024],
  ])(
    'fails retryably when the body stops short of Content-Length, keeping progress for the next attempt (%s)',
    async (_, size) => {
      if (size !== undefined) fake.setVideoSize(size);
      const { env, heartbeats } = environment();

      const failure = await env
        .run(download(), { url: `${fake.origin}/truncated/task-1.mp4`, key: KEY })
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(ApplicationFailure);
      expect(failure).toMatchObject({ type: 'DownloadInterrupted', nonRetryable: false });
      expect(existsSync(storage.videoPath(KEY))).toBe(false);
      const half = Math.floor(fake.videoBuffer.length / 2);
      const last = heartbeats.at(-1);
      expect(last?.offset).toBe(half);
      expect((await stat(storage.partialPath(KEY))).size).toBe(half);

      // The retry picks up where the heartbeat left off, from the real file route.
      const retry = environment(last);
      const result = await run(retry.env, download(), {
        url: `${fake.origin}/files/task-1.mp4`,
        key: KEY,
      });
      expect(fake.requestsFor('download')[0]?.headers.range).toBe(`bytes=${half}-`);
      expect(result.sha256).toBe(sha256(fake.videoBuffer));
    },
  );

  it('fails retryably when the connection is reset', async () => {
    fake.injectFault({ route: 'download', fault: { type: 'reset' }, times: 1 });
    const { env } = environment();

    await expect(
      run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: KEY }),
    ).rejects.toMatchObject({ type: 'DownloadInterrupted', nonRetryable: false });
  });

  it('fails retryably on 5xx and passes Retry-After on as the next retry delay', async () => {
    fake.injectFault({
      route: 'download',
      fault: { type: 'status', status: 503, headers: { 'retry-after': '7' } },
      times: 1,
    });
    const { env } = environment();

    await expect(
      run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: KEY }),
    ).rejects.toMatchObject({
      type: 'DownloadInterrupted',
      nonRetryable: false,
      nextRetryDelay: 7000,
    });
  });

  it.each([404, 410])('reports HTTP %i as a non-retryable ResultGone', async (status) => {
    fake.injectFault({ route: 'download', fault: { type: 'status', status }, times: 1 });
    const { env } = environment();

    await expect(
      run(env, download(), { url: `${fake.origin}/files/task-1.mp4?token=secret`, key: KEY }),
    ).rejects.toMatchObject({ type: 'ResultGone', nonRetryable: true });
  });

  it('never puts the signed part of a result URL into an error message', async () => {
    fake.injectFault({ route: 'download', fault: { type: 'status', status: 500 }, times: 1 });
    const { env } = environment();

    const failure = (await env
      .run(download(), { url: `${fake.origin}/files/task-1.mp4?token=s3cr3t-token`, key: KEY })
      .catch((error: unknown) => error)) as Error;

    expect(failure.message).toContain('/files/task-1.mp4');
    expect(failure.message).not.toContain('s3cr3t-token');
  });

  it('refuses a body that is not an MP4 (an HTML error page) and removes the partial file', async () => {
    const { env } = environment();

    await expect(
      run(env, download(), { url: `${fake.origin}/html/task-1.mp4`, key: KEY }),
    ).rejects.toMatchObject({ type: 'NotMp4', nonRetryable: true });
    expect(existsSync(storage.partialPath(KEY))).toBe(false);
  });

  it('refuses a file whose Content-Length is over the size cap before reading it', async () => {
    const { env } = environment();

    await expect(
      run(env, download({ maxBytes: 100_000 }), {
        url: `${fake.origin}/files/task-1.mp4`,
        key: KEY,
      }),
    ).rejects.toMatchObject({ type: 'DownloadTooLarge', nonRetryable: true });
    expect(existsSync(storage.partialPath(KEY))).toBe(false);
  });

  it('stops a body without Content-Length as soon as it passes the size cap', async () => {
    const { env, heartbeats } = environment();

    await expect(
      run(env, download({ maxBytes: 100_000 }), {
        url: `${fake.origin}/chunked/task-1.mp4`,
        key: KEY,
      }),
    ).rejects.toMatchObject({ type: 'DownloadTooLarge', nonRetryable: true });
    expect(heartbeats.every((beat) => beat.offset <= 100_000)).toBe(true);
    expect(existsSync(storage.partialPath(KEY))).toBe(false);
  });

  it('accepts a chunked body under the cap', async () => {
    const { env } = environment();

    const result = await run(env, download(), {
      url: `${fake.origin}/chunked/task-1.mp4`,
      key: KEY,
    });

    expect(result.sha256).toBe(sha256(fake.videoBuffer));
  });

  it.each([
    ['a file URL', () => 'file:///etc/passwd'],
    ['a loopback address', () => `${fake.origin}/files/task-1.mp4`],
    [
      'an IPv4-mapped IPv6 loopback address',
      () => `http://[::ffff:127.0.0.1]:${new URL(fake.origin).port}/files/task-1.mp4`,
    ],
  ])('refuses %s without the private network allowed, without connecting', async (_name, url) => {
    const { env } = environment();

    await expect(
      run(env, download({ allowPrivateNetwork: false }), { url: url(), key: KEY }),
    ).rejects.toMatchObject({ type: 'BlockedUrl', nonRetryable: true });
    expect(fake.requests).toHaveLength(0);
  });

  it('refuses a key that is not a safe file name', async () => {
    const { env } = environment();

    await expect(
      run(env, download(), { url: `${fake.origin}/files/task-1.mp4`, key: '../escape' }),
    ).rejects.toMatchObject({ type: 'InvalidStorageKey', nonRetryable: true });
  });

  it('aborts the request and removes the partial file when cancelled', async () => {
    const { env } = environment();
    const firstBytes = new Promise<void>((resolve) =>
      env.on('heartbeat', (beat: DownloadProgress) => beat.offset > 0 && resolve()),
    );

    const running = env
      .run(download(), { url: `${fake.origin}/stall/task-1.mp4`, key: KEY })
      .catch((error: unknown) => error);
    await firstBytes;
    expect(existsSync(storage.partialPath(KEY))).toBe(true);
    env.cancel();

    const outcome = await running;
    expect(outcome).toBeInstanceOf(Error);
    expect((outcome as Error).name).toMatch(/Cancel|Abort/);
    expect(existsSync(storage.partialPath(KEY))).toBe(false);
  });

  it('keeps memory bounded while downloading a 64 MB file (a sanity check, not a benchmark)', async () => {
    const size = 64 * 1024 * 1024;
    fake.setVideoSize(size);
    const { env } = environment();
    // Received chunks are garbage as soon as they are written, but V8 collects them lazily. A
    // collection before each sample measures what the download holds on to; RSS still carries
    // allocator slack, so it only gets the loose "well below the file size" bound.
    const baseline = await settledMemory();
    let peak = { ...baseline };
    env.on('heartbeat', () => {
      collectGarbage();
      const { rss, arrayBuffers } = process.memoryUsage();
      peak = {
        rss: Math.max(peak.rss, rss),
        arrayBuffers: Math.max(peak.arrayBuffers, arrayBuffers),
      };
    });
    const downloadLarge = createDownloadVideo({
      storage,
      dispatcher,
      allowPrivateNetwork: true,
      heartbeatEveryBytes: 4 * 1024 * 1024,
    });

    const result = await run(env, downloadLarge, { url: `${fake.origin}/files/big.mp4`, key: KEY });

    expect(result.bytes).toBe(size);
    expect(result.sha256).toBe(sha256(fake.videoBuffer));
    expect(peak.arrayBuffers - baseline.arrayBuffers).toBeLessThan(24 * 1024 * 1024);
    expect(peak.rss - baseline.rss).toBeLessThan(size);
  });
});
