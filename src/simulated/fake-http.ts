import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeProviderOptions, FakeRoute } from './fake-types.js';

/** Serves bytes with `Accept-Ranges` and single-range `Range: bytes=a-` / `a-b` support. */
export function serveWithRange(
  request: IncomingMessage,
  response: ServerResponse,
  bytes: Buffer,
): void {
  const range = request.headers.range?.match(/^bytes=(\d+)-(\d*)$/);
  if (!range) {
    response.writeHead(200, {
      'content-type': 'video/mp4',
      'content-length': bytes.length,
      'accept-ranges': 'bytes',
    });
    return void response.end(bytes);
  }
  const start = Number(range[1]);
  const end = range[2] ? Math.min(Number(range[2]), bytes.length - 1) : bytes.length - 1;
  if (start >= bytes.length || start > end) {
    response.writeHead(416, { 'content-range': `bytes */${bytes.length}` });
    return void response.end();
  }
  response.writeHead(206, {
    'content-type': 'video/mp4',
    'content-length': end - start + 1,
    'content-range': `bytes ${start}-${end}/${bytes.length}`,
    'accept-ranges': 'bytes',
  });
  response.end(bytes.subarray(start, end + 1));
}

export function bearerToken(request: IncomingMessage): string | undefined {
  return request.headers.authorization?.match(/^Bearer (.+)$/)?.[1];
}

export function newTaskId(): string {
  return randomBytes(9).toString('base64url');
}

export async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export function parseJson(contentType: string | undefined, body: string): unknown {
  if (!body || !contentType?.includes('json')) return undefined;
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
}

export function sendJson(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers });
  response.end(JSON.stringify(body));
}

/** A route of a fake, in one line: most are authenticated, downloads and official ones are not. */
export function fakeRoute(
  name: string,
  method: FakeRoute['method'],
  pattern: RegExp,
  handle: FakeRoute['handle'],
  authenticated = true,
): FakeRoute {
  return { name, method, pattern, authenticated, handle };
}

/**
 * Auth by one static API key: `keyOf` reads it from the request (a bearer token unless given),
 * and a wrong or missing key gets 401 with the provider's own error body.
 */
export function apiKeyAuth(
  apiKey: string,
  rejectedBody: unknown,
  options: { keyOf?: (request: IncomingMessage) => string | undefined; contentType?: string } = {},
): Pick<FakeProviderOptions, 'authenticate' | 'rejectAuth'> {
  const keyOf = options.keyOf ?? bearerToken;
  return {
    authenticate: (request) => keyOf(request) === apiKey,
    rejectAuth: (response) => {
      response.writeHead(401, { 'content-type': options.contentType ?? 'application/json' });
      response.end(JSON.stringify(rejectedBody));
    },
  };
}

/** What a key-authenticated fake is: its name, base path, error envelope and key rejection. */
export interface KeyedFake {
  name: string;
  basePath: string;
  errorBody: (status: number) => unknown;
  /** The key the fake accepts unless the caller gives one. */
  defaultKey: string;
  /** The body a request with a wrong key gets (401). */
  rejectedBody: unknown;
  keyOf?: (request: IncomingMessage) => string | undefined;
  contentType?: string;
}

/** The server options of a keyed fake: 100 ms renders and the caller's key unless given. */
export function keyedFakeOptions(
  fake: KeyedFake,
  options: { apiKey?: string; renderMs?: number },
): Omit<FakeProviderOptions, 'routes'> {
  const { defaultKey, rejectedBody, keyOf, contentType, ...identity } = fake;
  return {
    ...identity,
    renderMs: options.renderMs ?? 100,
    ...apiKeyAuth(options.apiKey ?? defaultKey, rejectedBody, {
      ...(keyOf ? { keyOf } : {}),
      ...(contentType ? { contentType } : {}),
    }),
  };
}

/**
 * The first check of a seed-format submit: a JSON object whose `model` is one of `models`.
 * Answers the body and model, or the refusal message.
 */
export function modelBody(
  json: unknown,
  models: ReadonlySet<string>,
): { body: Record<string, unknown>; model: string } | string {
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    return 'Request body must be a JSON object';
  }
  const body = json as Record<string, unknown>;
  const model = body.model;
  if (typeof model !== 'string' || !models.has(model)) {
    return `model must be one of: ${[...models].join(', ')}`;
  }
  return { body, model };
}
