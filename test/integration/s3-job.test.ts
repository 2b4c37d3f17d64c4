import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { KlingflowClient } from '../../src/client/klingflow-client.js';
import { renderTimeStorePath } from '../../src/storage/render-time-store.js';
import { createVideoStorage } from '../../src/storage/storage-factory.js';
import { createKlingflowWorker, NativeConnection } from '../../src/worker.js';
import { s3Environment, TEST_BUCKET } from '../setup/s3-server.js';
import { createIntegrationContext, type IntegrationContext } from '../support/stack.js';

/** A 1x1 PNG: enough for the provider fake, and a recognisable blob. */
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360000002000105fe02fea70000000049454e44ae426082',
  'hex',
);

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * One job end to end with S3 storage, where the client and the worker share no directory: the
 * client stores a local image as a blob in the bucket, the URL-only provider gets a presigned URL
 * for it, and the worker stores the video in the bucket.
 */
describe('a job with S3 storage, client and worker on separate disks', () => {
  let context: IntegrationContext;
  let clientDirectory: string;
  let workerDirectory: string;
  let s3: NodeJS.ProcessEnv;
  const prefix = `jobs/${randomUUID()}`;

  beforeAll(async () => {
    context = await createIntegrationContext({ providers: ['apiframe'], renderMs: 200 });
    clientDirectory = await mkdtemp(join(tmpdir(), 'klingflow-client-'));
    workerDirectory = await mkdtemp(join(tmpdir(), 'klingflow-worker-'));
    s3 = s3Environment(inject('s3Endpoint'), prefix);
  });
  afterAll(async () => {
    await context?.teardown();
    await rm(clientDirectory, { recursive: true, force: true });
    await rm(workerDirectory, { recursive: true, force: true });
  });

  it('stores the input image and the video in the bucket and presigns the result', async () => {
    const imagePath = join(clientDirectory, 'first-frame.png');
    await writeFile(imagePath, PNG);
    // The worker reads the bucket settings from its own environment, as in production.
    const workerConnection = await NativeConnection.connect({ address: inject('temporalAddress') });
    const worker = await createKlingflowWorker({
      connection: workerConnection,
      namespace: 'default',
      settings: { ...context.settings, storageDirectory: workerDirectory },
      environment: { ...context.providers.environment, ...s3 },
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
    const client = new KlingflowClient({
      connection: context.client.connection as Connection,
      taskQueue: context.taskQueue,
      storage: createVideoStorage({ storageDirectory: join(clientDirectory, 'unused') }, s3),
    });

    const status = await worker
      .runUntil(async () => {
        const { workflowId } = await client.startGeneration(
          { prompt: 'a paper boat on a pond', model: 'kling-v2.1', startImage: imagePath },
          { providers: ['apiframe'] },
        );
        return client.waitForResult(workflowId);
      })
      .finally(() => workerConnection.close());

    expect(status.status).toBe('succeeded');
    const [video] = status.videos;
    expect(video?.path).toMatch(new RegExp(`^s3://${TEST_BUCKET}/${prefix}/.+\\.mp4$`));

    // The URL-only provider got a presigned URL that serves exactly the client's image.
    const submit = context.providers.fakes.apiframe.requestsFor('submit')[0];
    const startImage = JSON.stringify(submit?.json).match(/"start_image":"([^"]+)"/)?.[1];
    expect(startImage).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/.+X-Amz-Signature=/);
    const image = await fetch(JSON.parse(`"${startImage}"`) as string);
    expect(sha256(new Uint8Array(await image.arrayBuffer()))).toBe(sha256(PNG));

    // The presigned result URL serves the video the worker verified.
    const presigned = await client.presignVideos(status, 900);
    const url = presigned.videos[0]?.url;
    expect(url).toMatch(/X-Amz-Expires=900/);
    const body = new Uint8Array(await (await fetch(url as string)).arrayBuffer());
    expect(sha256(body)).toBe(video?.sha256);
    expect(body.byteLength).toBe(video?.bytes);

    // Nothing landed on either local disk: no blobs, no videos, no partial files. The worker
    // keeps only its own state: the render times it learned (poll policy).
    expect(await readdir(clientDirectory)).toEqual(['first-frame.png']);
    const workerState = basename(renderTimeStorePath(workerDirectory));
    expect((await listFiles(workerDirectory)).filter((name) => name !== workerState)).toEqual([]);
  });
});

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}
