import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { historyToJson } from '../../scripts/record-histories.js';
import {
  GENERATE_VIDEO_WORKFLOW,
  type GenerateVideoInput,
} from '../../src/contracts/generation.js';
import { parseUnifiedRequest } from '../../src/request/parse-request.js';
import type { ProviderId } from '../../src/request/unified-request.js';
import { startApiFrameFake } from '../../src/simulated/apiframe-fake.js';
import { startApiModelsFake } from '../../src/simulated/apimodels-fake.js';
import type { FakeProviderServer } from '../../src/simulated/fake-server.js';
import { startHyprLabFake } from '../../src/simulated/hyprlab-fake.js';
import { startKlingFake } from '../../src/simulated/kling-fake.js';
import { officialErrorBody } from '../../src/simulated/official-format-fake.js';
import { startOpenAiHkFake } from '../../src/simulated/openai-hk-fake.js';
import { renderTimeStorePath } from '../../src/storage/render-time-store.js';
import { childEnvironment } from '../support/child-environment.js';
import { type KlingflowProcess, startWorkerProcess } from '../support/processes.js';

/**
 * Secrets live only in the worker's environment: no API key, Kling secret or JWT may reach a
 * workflow history (inputs, results, failures, search attributes), the worker's log output or
 * the stored sidecars, even when a provider echoes the key it rejected. A real `klingflow
 * worker` process runs jobs through five providers, with successes, failures and failovers,
 * and everything it left behind is searched for the credentials, raw and base64-decoded.
 */

/** 24 random characters: long and distinctive enough that a match cannot be a coincidence. */
const random = () => randomBytes(18).toString('base64url');
const credentials = {
  hyprlab: `hyprlab-secret-${random()}`,
  openAiHk: `openai-hk-secret-${random()}`,
  klingAccess: `kling-access-${random()}`,
  klingSecret: `kling-secret-${random()}`,
  apimodels: `apimodels-secret-${random()}`,
  apiframe: `apiframe-secret-${random()}`,
};

interface Job {
  name: string;
  providers: ProviderId[];
  model: string;
  /** Arranges faults before the job starts. */
  arrange?: () => void;
  expected: 'completed' | 'failed';
}

describe('credentials never leave the worker', () => {
  let fakes: Record<
    'hyprlab' | 'kling' | 'openai-hk' | 'apimodels' | 'apiframe',
    FakeProviderServer
  >;
  let storageDirectory: string;
  let worker: KlingflowProcess;
  let connection: Connection;
  const outcomes = new Map<string, 'completed' | 'failed'>();
  const histories = new Map<string, string>();

  /**
   * A job with a fault runs alone, so the fault injected for it hits it and nothing else; the
   * jobs without one (each on its own provider) run together first.
   */
  const jobs: Job[] = [
    { name: 'hyprlab', providers: ['hyprlab'], model: 'kling-v1.6', expected: 'completed' },
    { name: 'kling-jwt', providers: ['kling'], model: 'kling-v1.6', expected: 'completed' },
    { name: 'openai-hk', providers: ['openai-hk'], model: 'kling-v1.6', expected: 'completed' },
    { name: 'apimodels', providers: ['apimodels'], model: 'kling-v2.6', expected: 'completed' },
    { name: 'apiframe', providers: ['apiframe'], model: 'kling-v2.1', expected: 'completed' },
    {
      name: 'hyprlab-echoes-key-then-failover',
      providers: ['hyprlab', 'kling'],
      model: 'kling-v1.6',
      arrange: () =>
        fakes.hyprlab.injectFault({
          route: 'submit',
          fault: {
            type: 'status',
            status: 401,
            body: {
              error: {
                message: `Incorrect API key provided: ${credentials.hyprlab}`,
                type: 'authentication_error',
              },
            },
          },
          times: 1,
        }),
      expected: 'completed',
    },
    {
      name: 'openai-hk-echoes-key-and-fails',
      providers: ['openai-hk'],
      model: 'kling-v1.6',
      arrange: () =>
        fakes['openai-hk'].injectFault({
          route: 'submit',
          fault: {
            type: 'status',
            status: 401,
            body: officialErrorBody(1000, `invalid api key: Bearer ${credentials.openAiHk}`),
          },
          times: 1,
        }),
      expected: 'failed',
    },
    {
      name: 'apimodels-echoes-key-while-polling',
      providers: ['apimodels'],
      model: 'kling-v2.6',
      arrange: () =>
        fakes.apimodels.injectFault({
          route: 'status',
          fault: {
            type: 'status',
            status: 500,
            body: {
              code: 500,
              msg: `upstream failed for key ${credentials.apimodels}`,
              data: null,
            },
          },
          times: 1,
        }),
      expected: 'completed',
    },
    {
      // A 401 on a status call after APIFrame accepted the task: the job stays on that task
      // (issue 9, rule 2) and the next status call delivers it.
      name: 'apiframe-echoes-key-on-status',
      providers: ['apiframe'],
      model: 'kling-v2.1',
      arrange: () =>
        fakes.apiframe.injectFault({
          route: 'status',
          fault: {
            type: 'status',
            status: 401,
            body: { error: `Invalid API key ${credentials.apiframe}` },
          },
          times: 1,
        }),
      expected: 'completed',
    },
    {
      // Likewise pinned: the echoed JWT is on a status call after Kling accepted the task.
      name: 'kling-echoes-jwt-on-status',
      providers: ['kling', 'hyprlab'],
      model: 'kling-v1.6',
      // The worker reuses its cached token: the one the fake saw last is the one echoed back.
      arrange: () =>
        fakes.kling.injectFault({
          route: 'status',
          fault: {
            type: 'status',
            status: 401,
            body: officialErrorBody(1002, `Authorization is invalid: ${receivedJwts().at(-1)}`),
          },
          times: 1,
        }),
      expected: 'completed',
    },
  ];

  function receivedJwts(): string[] {
    const tokens = fakes.kling.requests.flatMap(
      (request) => request.headers.authorization?.match(/^Bearer (.+)$/)?.[1] ?? [],
    );
    return [...new Set(tokens)];
  }

  beforeAll(async () => {
    const renderMs = 300;
    fakes = {
      hyprlab: await startHyprLabFake({ apiKey: credentials.hyprlab, renderMs }),
      kling: await startKlingFake({
        accessKey: credentials.klingAccess,
        secretKey: credentials.klingSecret,
        renderMs,
      }),
      'openai-hk': await startOpenAiHkFake({ apiKey: credentials.openAiHk, renderMs }),
      apimodels: await startApiModelsFake({ apiKey: credentials.apimodels, renderMs }),
      apiframe: await startApiFrameFake({ apiKey: credentials.apiframe, renderMs }),
    };
    storageDirectory = await mkdtemp(join(tmpdir(), 'klingflow-secrets-'));
    const taskQueue = `secrets-${randomUUID()}`;
    worker = await startWorkerProcess(
      childEnvironment({
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        KLINGFLOW_TASK_QUEUE: taskQueue,
        KLINGFLOW_STORAGE_DIR: storageDirectory,
        KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
        KLINGFLOW_POLL_INTERVAL: '200ms',
        KLINGFLOW_INITIAL_WAIT: '0s',
        HYPRLAB_API_KEY: credentials.hyprlab,
        HYPRLAB_BASE_URL: fakes.hyprlab.baseUrl,
        KLING_ACCESS_KEY: credentials.klingAccess,
        KLING_SECRET_KEY: credentials.klingSecret,
        KLING_BASE_URL: fakes.kling.baseUrl,
        OPENAI_HK_API_KEY: credentials.openAiHk,
        OPENAI_HK_BASE_URL: fakes['openai-hk'].baseUrl,
        APIMODELS_API_KEY: credentials.apimodels,
        APIMODELS_BASE_URL: fakes.apimodels.baseUrl,
        APIFRAME_API_KEY: credentials.apiframe,
        APIFRAME_BASE_URL: fakes.apiframe.baseUrl,
      }),
    );
    connection = await Connection.connect({ address: inject('temporalAddress') });
    const client = new Client({ connection, namespace: 'default' });
    const run = async (job: Job) => {
      job.arrange?.();
      const handle = await client.workflow.start(GENERATE_VIDEO_WORKFLOW, {
        taskQueue,
        workflowId: `secrets-${job.name}-${randomUUID()}`,
        args: [
          {
            request: parseUnifiedRequest({ prompt: 'a lighthouse at dusk', model: job.model }),
            providers: job.providers,
          } satisfies GenerateVideoInput,
        ],
      });
      outcomes.set(
        job.name,
        await handle.result().then(
          () => 'completed' as const,
          () => 'failed' as const,
        ),
      );
      histories.set(job.name, historyToJson(await handle.fetchHistory()));
    };
    await Promise.all(jobs.filter((job) => !job.arrange).map(run));
    for (const job of jobs.filter((job) => job.arrange)) await run(job);
  }, 180_000);

  afterAll(async () => {
    await worker?.kill('SIGTERM');
    await connection?.close();
    await Promise.all(Object.values(fakes ?? {}).map((fake) => fake.stop()));
    if (storageDirectory) await rm(storageDirectory, { recursive: true, force: true });
  });

  /** What to look for: each credential and JWT, and pieces of it (a truncated leak is a leak). */
  function secrets(): { label: string; pieces: string[] }[] {
    const keys = Object.entries(credentials).map(([label, value]) => {
      const randomPart = value.slice(-24);
      return { label, pieces: [value, randomPart.slice(0, 12), randomPart.slice(12)] };
    });
    const jwts = receivedJwts().map((token, index) => {
      const [, payload = '', signature = ''] = token.split('.');
      return {
        label: `kling JWT #${index + 1}`,
        pieces: [token, payload, signature.slice(0, 16), signature.slice(-16)],
      };
    });
    return [...keys, ...jwts];
  }

  /** The text, plus every base64 run in it decoded (payload data and metadata), two levels deep. */
  function withDecodedBase64(text: string): string {
    let all = text;
    let layer = text;
    for (let depth = 0; depth < 2; depth++) {
      // Node's base64 decoder takes the URL-safe alphabet as well.
      layer = (layer.match(/[A-Za-z0-9+/_-]{16,}={0,2}/g) ?? [])
        .map((run) => Buffer.from(run, 'base64').toString('utf8'))
        .join('\n');
      all += `\n${layer}`;
    }
    return all;
  }

  /** Labels of the secrets found in the text. */
  function leakedIn(text: string): string[] {
    const searched = withDecodedBase64(text);
    return secrets()
      .filter((secret) => secret.pieces.some((piece) => searched.includes(piece)))
      .map((secret) => secret.label);
  }

  it('runs every job to the end it was arranged for, with the credentials in use', () => {
    expect(Object.fromEntries(outcomes)).toEqual(
      Object.fromEntries(jobs.map((job) => [job.name, job.expected])),
    );
    // The fakes accept nothing but these credentials (the Kling one verifies each JWT against
    // the secret key), so the successful jobs prove the worker used them.
    expect(fakes.hyprlab.requests[0]?.headers.authorization).toBe(`Bearer ${credentials.hyprlab}`);
    expect(fakes.apiframe.requests[0]?.headers['x-api-key']).toBe(credentials.apiframe);
    expect(receivedJwts().length).toBeGreaterThan(0);
  });

  it('keeps them out of every workflow history, raw and with payloads decoded', () => {
    expect(histories.size).toBe(jobs.length);
    const leaks = [...histories].map(([name, history]) => [name, leakedIn(history)]);
    expect(Object.fromEntries(leaks)).toEqual(
      Object.fromEntries(jobs.map((job) => [job.name, []])),
    );
  });

  it('still records the provider errors that echoed a key, so the search above saw them', () => {
    const decoded = (name: string) => withDecodedBase64(histories.get(name) ?? '');
    expect(decoded('hyprlab-echoes-key-then-failover')).toContain('Incorrect API key provided');
    expect(decoded('apimodels-echoes-key-while-polling')).toContain('upstream failed for key');
    expect(decoded('openai-hk-echoes-key-and-fails')).toContain('invalid api key');
    expect(decoded('apiframe-echoes-key-on-status')).toContain('Invalid API key');
    expect(decoded('kling-echoes-jwt-on-status')).toContain('Authorization is invalid');
  });

  it("keeps them out of the worker's log output", () => {
    expect(worker.output).toMatch(/worker connected to/);
    // The activities that got an echoing error response were logged as failed.
    for (const job of jobs.filter((candidate) => candidate.name.includes('echoes'))) {
      expect(worker.output).toMatch(new RegExp(`Activity failed .*secrets-${job.name}-`));
    }
    expect(leakedIn(worker.output)).toEqual([]);
  });

  it('keeps them out of the stored videos’ sidecars and anything else written to storage', async () => {
    const files = await listFiles(storageDirectory);
    // The worker's learned render times are JSON too, and are searched for leaks below.
    const renderTimes = renderTimeStorePath(storageDirectory);
    const sidecars = files.filter((file) => file.endsWith('.json') && file !== renderTimes);
    expect(sidecars.length).toBe([...outcomes.values()].filter((o) => o === 'completed').length);
    const searched = files.filter((file) => !file.endsWith('.mp4'));
    const leaks = await Promise.all(
      searched.map(async (file) => [file, leakedIn(await readFile(file, 'utf8'))]),
    );
    expect(Object.fromEntries(leaks)).toEqual(
      Object.fromEntries(searched.map((file) => [file, []])),
    );
  });
});

async function listFiles(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => join(entry.parentPath, entry.name));
}
