import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { WorkflowNotFoundError } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallbackServer,
  type CallbackServerOptions,
  type CallbackSignalClient,
  createCallbackServer,
  DEFAULT_MAX_CALLBACK_BODY_BYTES,
  matchCallbackPath,
} from '../../../src/webhooks/callback-server.js';
import { callbackToken, callbackUrl } from '../../../src/webhooks/callback-token.js';

const SECRET = 'unit-test-webhook-secret-0123456789';

interface RecordedSignal {
  workflowId: string;
  signal: string;
  arg: { attempt: number };
}

/** Stands in for the Temporal client: records signals, or fails the way Temporal would. */
function stubClient(fail?: (workflowId: string) => Promise<void>) {
  const signals: RecordedSignal[] = [];
  const client: CallbackSignalClient = {
    workflow: {
      getHandle: (workflowId) => ({
        async signal(definition, arg) {
          await fail?.(workflowId);
          signals.push({ workflowId, signal: definition.name, arg });
        },
      }),
    },
  };
  return { client, signals };
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  json: unknown;
}

/**
 * One request over node:http. The answer is taken as soon as it arrives: the server may close
 * the connection on a body it refuses before the client has finished sending it.
 */
function send(
  port: number,
  method: string,
  path: string,
  options: { body?: string | Buffer; chunks?: Buffer[]; localAddress?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const target = { host: '127.0.0.1', port, method, path, localAddress: options.localAddress };
    const request = httpRequest(target, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          json: text ? JSON.parse(text) : undefined,
        });
      });
      response.on('error', () => {});
    });
    let answered = false;
    request.on('response', () => {
      answered = true;
    });
    request.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (options.chunks) {
      request.setHeader('content-type', 'application/json');
      for (const chunk of options.chunks) request.write(chunk);
      request.end();
    } else if (options.body !== undefined) {
      request.setHeader('content-type', 'application/json');
      request.end(options.body);
    } else {
      request.end();
    }
  });
}

/** The path of the URL the worker would hand a provider for this workflow and attempt. */
function callbackPath(workflowId: string, attempt: number): string {
  const origin = 'http://127.0.0.1';
  const url = callbackUrl(origin, SECRET, workflowId, attempt);
  if (!url) throw new Error(`no callback URL for ${workflowId}`);
  return url.slice(origin.length);
}

const TASK_BODY = JSON.stringify({ task_id: '8661234', task_status: 'succeed' });

describe('callback server', () => {
  let server: CallbackServer | undefined;
  const logs: string[] = [];

  async function start(
    client: CallbackSignalClient,
    overrides: Partial<CallbackServerOptions> = {},
  ): Promise<CallbackServer> {
    server = await createCallbackServer({
      port: 0,
      host: '127.0.0.1',
      client,
      secret: SECRET,
      log: {
        debug: (message) => logs.push(`debug: ${message}`),
        warn: (message) => logs.push(`warn: ${message}`),
      },
      ...overrides,
    });
    return server;
  }

  afterEach(async () => {
    await server?.close();
    server = undefined;
    logs.length = 0;
  });

  it('signals the workflow with its attempt and answers 200 {ok: true} for a valid callback', async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client);

    const answer = await send(port, 'POST', callbackPath('job-1', 2), { body: TASK_BODY });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true });
    expect(signals).toEqual([
      { workflowId: 'job-1', signal: 'providerCallback', arg: { attempt: 2 } },
    ]);
  });

  it('round-trips workflow ids with slashes, spaces, dots and non-ASCII characters', async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client);
    const ids = ['batch/7 #1', '...', 'a/../b', 'vidéo?x=1&y', '%41'];

    for (const id of ids) {
      expect((await send(port, 'POST', callbackPath(id, 1), { body: '{}' })).status).toBe(200);
    }
    expect(signals.map((signal) => signal.workflowId)).toEqual(ids);
  });

  it('accepts a query string, a trailing slash and an empty body', async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client);

    expect((await send(port, 'POST', `${callbackPath('job-1', 1)}?source=kling`)).status).toBe(200);
    expect((await send(port, 'POST', `${callbackPath('job-1', 1)}/`)).status).toBe(200);
    expect(signals).toHaveLength(2);
  });

  it("accepts callbacks under the public URL's path when a proxy forwards it unchanged", async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client, { basePath: '/hooks' });

    const answer = await send(port, 'POST', `/hooks${callbackPath('job-1', 1)}`, { body: '{}' });

    expect(answer.status).toBe(200);
    expect(signals).toHaveLength(1);
  });

  it('answers 404, exactly like an unknown path, for any bad token, and signals nothing', async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client);
    const good = callbackToken(SECRET, 'job-1', 1);
    const forged = [
      `/callbacks/job-1/1/${'A'.repeat(32)}`,
      `/callbacks/job-1/1/${good.slice(0, 31)}`,
      `/callbacks/job-1/1/${good}x`,
      `/callbacks/job-1/2/${good}`, // another attempt
      `/callbacks/job-2/1/${good}`, // another workflow
      `/callbacks/job-1/0/${good}`,
      `/callbacks/job-1/one/${good}`,
      '/callbacks/job-1/1',
      '/callbacks/job-1/1/',
      `/callbacks/%E0%A4%A/1/${good}`, // not decodable
    ];
    const unknown = await send(port, 'POST', '/somewhere-else', { body: TASK_BODY });

    for (const path of forged) {
      const answer = await send(port, 'POST', path, { body: TASK_BODY });
      expect({ path, status: answer.status, json: answer.json }).toEqual({
        path,
        status: 404,
        json: unknown.json,
      });
    }
    expect(unknown.status).toBe(404);
    expect(signals).toEqual([]);
  });

  it('answers 413 to a body over 64 KB, declared or streamed, and signals nothing', async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client);
    const path = callbackPath('job-1', 1);
    const oversize = Buffer.alloc(DEFAULT_MAX_CALLBACK_BODY_BYTES + 1, 0x20);

    const declared = await send(port, 'POST', path, { body: oversize });
    const streamed = await send(port, 'POST', path, {
      chunks: [Buffer.alloc(40_000, 0x20), Buffer.alloc(40_000, 0x20)],
    });

    expect(declared.status).toBe(413);
    expect(streamed.status).toBe(413);
    expect(signals).toEqual([]);

    const atTheCap = await send(port, 'POST', path, {
      body: Buffer.alloc(DEFAULT_MAX_CALLBACK_BODY_BYTES, 0x20),
    });
    expect(atTheCap.status).toBe(200);
    expect(signals).toHaveLength(1);
  });

  it('answers 429 with Retry-After to a source past its rate limit; other sources go on', async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client, { rateLimit: { burst: 3, perSecond: 0.01 } });
    const path = callbackPath('job-1', 1);

    const first = [];
    for (let i = 0; i < 3; i++) first.push((await send(port, 'POST', path)).status);
    const replay = await send(port, 'POST', path);
    const guess = await send(port, 'POST', '/callbacks/job-1/1/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
    const other = await send(port, 'POST', path, { localAddress: '127.0.0.2' });

    expect(first).toEqual([200, 200, 200]);
    expect(replay.status).toBe(429);
    expect(Number(replay.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(guess.status).toBe(429);
    expect(other.status).toBe(200);
    expect(signals).toHaveLength(4);
  });

  it('answers 405 with Allow: POST to other methods on a callback URL', async () => {
    const { client, signals } = stubClient();
    const { port } = await start(client);

    for (const method of ['GET', 'PUT', 'DELETE']) {
      const answer = await send(port, method, callbackPath('job-1', 1));
      expect(answer.status).toBe(405);
      expect(answer.headers.allow).toBe('POST');
    }
    expect(signals).toEqual([]);
  });

  it('answers GET /healthz with 200', async () => {
    const { port } = await start(stubClient().client);

    const answer = await send(port, 'GET', '/healthz');

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true });
  });

  it('answers 200 to a late callback for a closed or unknown workflow, logging it at debug only', async () => {
    const { client } = stubClient(async (workflowId) => {
      throw new WorkflowNotFoundError(
        'workflow execution already completed',
        workflowId,
        undefined,
      );
    });
    const { port } = await start(client);

    const answer = await send(port, 'POST', callbackPath('job-done', 1), { body: TASK_BODY });

    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ ok: true });
    expect(logs).toEqual([
      expect.stringMatching(/^debug: callback for workflow "job-done" attempt 1: .*closed/),
    ]);
  });

  it('answers 503 when Temporal cannot take the signal, so a provider that retries will retry', async () => {
    const { client } = stubClient(async () => {
      throw new Error('14 UNAVAILABLE: connection refused');
    });
    const { port } = await start(client);

    const answer = await send(port, 'POST', callbackPath('job-1', 1), { body: TASK_BODY });

    expect(answer.status).toBe(503);
    expect(logs).toEqual([expect.stringMatching(/^warn: .*UNAVAILABLE/)]);
  });

  it('answers 503 instead of hanging when Temporal does not answer in time', async () => {
    const { client } = stubClient(() => new Promise<void>(() => {}));
    const { port } = await start(client, { signalTimeoutMs: 100 });

    const answer = await send(port, 'POST', callbackPath('job-1', 1), { body: TASK_BODY });

    expect(answer.status).toBe(503);
  });

  it('never logs the token or the callback URL', async () => {
    const { client } = stubClient(async (workflowId) => {
      if (workflowId === 'job-done') throw new WorkflowNotFoundError('gone', workflowId, undefined);
    });
    const { port } = await start(client);
    const token = callbackToken(SECRET, 'job-1', 1);

    await send(port, 'POST', callbackPath('job-1', 1), { body: TASK_BODY });
    await send(port, 'POST', callbackPath('job-done', 1), { body: TASK_BODY });
    await send(port, 'POST', `/callbacks/job-1/2/${token}`, { body: TASK_BODY });
    await send(port, 'POST', callbackPath('job-1', 1), {
      body: Buffer.alloc(DEFAULT_MAX_CALLBACK_BODY_BYTES + 1),
    });

    expect(logs.length).toBeGreaterThanOrEqual(4);
    for (const line of logs) {
      expect(line).not.toContain(token);
      expect(line).not.toContain(callbackToken(SECRET, 'job-done', 1));
      expect(line).not.toContain('/callbacks/');
    }
  });

  it('refuses to start on a port that is already taken', async () => {
    const first = await start(stubClient().client);
    await expect(
      createCallbackServer({
        port: first.port,
        host: '127.0.0.1',
        client: stubClient().client,
        secret: SECRET,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('matchCallbackPath', () => {
  it('splits /callbacks/:workflowId/:attempt/:token, decoding the workflow id', () => {
    expect(matchCallbackPath('/callbacks/a%2Fb/12/tok')).toEqual({
      workflowId: 'a/b',
      attempt: 12,
      token: 'tok',
    });
  });

  it('tells other paths (undefined) from malformed callback paths', () => {
    expect(matchCallbackPath('/healthz')).toBeUndefined();
    expect(matchCallbackPath('/hooks/callbacks/a/1/t')).toBeUndefined();
    expect(matchCallbackPath('/hooks/callbacks/a/1/t', '/hooks')).toMatchObject({ attempt: 1 });
    expect(matchCallbackPath('/callbacks/a/1/t/extra')).toBe('malformed');
    expect(matchCallbackPath('/callbacks//1/t')).toBe('malformed');
  });
});
