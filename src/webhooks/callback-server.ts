import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/common';
import { withTimeout } from '../async/with-timeout.js';
import { providerCallbackSignal } from '../contracts/messages.js';
import { CALLBACK_PATH_SEGMENT, verifyCallbackToken } from './callback-token.js';
import { createSourceRateLimit, type SourceRateLimitOptions } from './source-rate-limit.js';

/**
 * The worker's webhook receiver (`klingflow worker --webhook-port P --public-url URL`).
 *
 * `POST /callbacks/:workflowId/:attempt/:token`: the token is checked against the HMAC the
 * worker issued for that workflow and attempt; a valid callback signals the waiting workflow
 * with `providerCallbackSignal({ attempt })`. The body is read (bounded) and then ignored: the
 * workflow confirms with one status call and never trusts what a callback says, so a forged,
 * duplicated or late callback can at most cost one extra status call. `GET /healthz` answers
 * 200 for load balancers.
 *
 * Answers: 200 `{ok: true}` once signalled (also when the workflow is already closed or
 * unknown: a late callback is harmless and must not make the provider retry forever); 404 for
 * any bad token, malformed URL or unknown path, all alike so nothing is revealed; 405 for a
 * method other than POST; 413 for a body over the cap; 429 (with Retry-After) when one source
 * address sends more than its share (a token bucket per remote address); 503 when Temporal could not be reached
 * (a provider that retries will try again, and the workflow keeps polling meanwhile).
 *
 * Nothing here logs the token or the full URL: only the workflow id and attempt.
 */

export const DEFAULT_MAX_CALLBACK_BODY_BYTES = 64 * 1024;
/**
 * Replicate's webhook body is the whole prediction, input and logs included, which can pass
 * 64 KB. Its adapter marks the URL with `?provider=replicate` (replicate.ts), and those
 * callbacks may be this large. The body is still only drained, never kept.
 */
export const DEFAULT_MAX_LARGE_CALLBACK_BODY_BYTES = 8 * 1024 * 1024;
/** Providers whose callback URLs carry `?provider=<id>` and whose bodies may be large. */
const LARGE_BODY_PROVIDERS: ReadonlySet<string> = new Set(['replicate']);
const DEFAULT_SIGNAL_TIMEOUT_MS = 5_000;
const CLOSE_GRACE_MS = 2_000;

export interface CallbackServerLog {
  debug(message: string): void;
  warn(message: string): void;
}

/** The part of a Temporal `Client` the server uses (a stub is enough in unit tests). */
export interface CallbackSignalClient {
  workflow: {
    getHandle(workflowId: string): {
      signal(definition: typeof providerCallbackSignal, arg: { attempt: number }): Promise<void>;
    };
  };
}

export interface CallbackServerOptions {
  /** 0 picks a free port (tests); `port` on the result says which. */
  port: number;
  /** Interface to bind; all interfaces when omitted. */
  host?: string;
  client: CallbackSignalClient;
  secret: string | Buffer;
  log?: CallbackServerLog;
  /**
   * Path of the public URL (`/hooks` for `https://example.com/hooks`), for a reverse proxy
   * that forwards it unchanged. Callbacks at `/callbacks/…` are accepted either way.
   */
  basePath?: string;
  maxBodyBytes?: number;
  /** The cap for callbacks of LARGE_BODY_PROVIDERS (`?provider=replicate`). */
  maxLargeBodyBytes?: number;
  /** How long to wait for Temporal to accept the signal before answering 503. */
  signalTimeoutMs?: number;
  /** Callbacks per source address: a burst, then a steady rate (default 30, then 5 a second). */
  rateLimit?: Pick<SourceRateLimitOptions, 'burst' | 'perSecond'>;
}

export interface CallbackServer {
  /** The port actually bound. */
  readonly port: number;
  /** Stops accepting callbacks; in-flight ones get a short grace period. */
  close(): Promise<void>;
}

interface CallbackRoute {
  workflowId: string;
  attempt: number;
  token: string;
}

const NOT_FOUND = { ok: false, error: 'not found' };
const ATTEMPT_PATTERN = /^[1-9][0-9]{0,8}$/;
/** A provider sends a handful of callbacks per task; a busy worker's share from one provider. */
const DEFAULT_RATE_LIMIT = { burst: 30, perSecond: 5 };

export async function createCallbackServer(
  options: CallbackServerOptions,
): Promise<CallbackServer> {
  const log = options.log ?? { debug: () => {}, warn: () => {} };
  const defaultMaxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_CALLBACK_BODY_BYTES;
  const maxLargeBodyBytes = options.maxLargeBodyBytes ?? DEFAULT_MAX_LARGE_CALLBACK_BODY_BYTES;
  const signalTimeoutMs = options.signalTimeoutMs ?? DEFAULT_SIGNAL_TIMEOUT_MS;
  const basePath = (options.basePath ?? '').replace(/\/+$/, '');
  const rateLimit = createSourceRateLimit(options.rateLimit ?? DEFAULT_RATE_LIMIT);

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    // The raw path, not a parsed URL: URL parsing would fold `.`/`..` segments of a workflow id.
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/';
    if (path === '/healthz' || path === `${basePath}/healthz`) return health(request, response);
    const match = matchCallbackPath(path, basePath);
    if (match === undefined) return reply(response, 404, NOT_FOUND);
    // Before the token check, so guessing tokens is as limited as replaying a good one.
    const source = request.socket.remoteAddress ?? 'unknown';
    const allowance = rateLimit.take(source);
    if (!allowance.allowed) {
      log.debug(`refused a callback from ${source}: over its rate limit`);
      const retryAfter = String(Math.max(1, Math.ceil(allowance.retryAfterMs / 1000)));
      const headers = { 'retry-after': retryAfter };
      return reply(response, 429, { ok: false, error: 'too many requests' }, headers);
    }
    if (request.method !== 'POST') {
      return reply(response, 405, { ok: false, error: 'method not allowed' }, { allow: 'POST' });
    }
    if (match === 'malformed') {
      log.debug('refused a callback with a malformed URL');
      return reply(response, 404, NOT_FOUND);
    }
    const where = `workflow ${JSON.stringify(match.workflowId)} attempt ${match.attempt}`;
    if (!verifyCallbackToken(options.secret, match.workflowId, match.attempt, match.token)) {
      log.debug(`refused a callback for ${where}: the token does not match`);
      return reply(response, 404, NOT_FOUND);
    }

    // The body is not used (the workflow asks the provider itself), only drained within bounds.
    const maxBodyBytes = largeBodyProvider(request.url)
      ? Math.max(maxLargeBodyBytes, defaultMaxBodyBytes)
      : defaultMaxBodyBytes;
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      return tooLarge(response, where, maxBodyBytes);
    }
    if ((await drainBody(request, maxBodyBytes)) === 'too-large') {
      return tooLarge(response, where, maxBodyBytes);
    }

    return signalCallback(options.client, match, where, signalTimeoutMs, log, response);
  }

  function tooLarge(response: ServerResponse, where: string, maxBodyBytes: number): void {
    log.debug(`refused a callback for ${where}: body over ${maxBodyBytes} bytes`);
    // Close the connection rather than read an unbounded body to its end.
    reply(response, 413, { ok: false, error: 'body too large' }, { connection: 'close' }, () =>
      response.socket?.destroy(),
    );
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      log.warn(`callback server error: ${describeError(error)}`);
      if (!response.headersSent) reply(response, 500, { ok: false, error: 'internal error' });
      else response.destroy();
    });
  });
  // Slow or stalled clients do not get to hold sockets open.
  server.headersTimeout = 10_000;
  server.requestTimeout = 15_000;

  return listen(server, options.port, options.host);
}

/** `GET /healthz`: the callback server is up (for load balancers in front of it). */
function health(request: IncomingMessage, response: ServerResponse): void {
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    reply(response, 405, { ok: false, error: 'method not allowed' }, { allow: 'GET' });
  } else {
    reply(response, 200, { ok: true });
  }
}

/** Wakes the workflow's attempt; a closed workflow is a late callback and still answered 200. */
async function signalCallback(
  client: CallbackServerOptions['client'],
  match: CallbackRoute,
  where: string,
  signalTimeoutMs: number,
  log: Required<CallbackServerOptions>['log'],
  response: ServerResponse,
): Promise<void> {
  try {
    await withTimeout(
      client.workflow
        .getHandle(match.workflowId)
        .signal(providerCallbackSignal, { attempt: match.attempt }),
      signalTimeoutMs,
      `Temporal did not answer within ${signalTimeoutMs} ms`,
    );
    log.debug(`callback for ${where}: signalled the workflow`);
    return reply(response, 200, { ok: true });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      log.debug(
        `callback for ${where}: the workflow is closed or unknown (late callback, ignored)`,
      );
      return reply(response, 200, { ok: true });
    }
    log.warn(
      `callback for ${where}: could not signal the workflow (${describeError(error)}); it keeps polling`,
    );
    return reply(response, 503, { ok: false, error: 'temporarily unavailable' });
  }
}

/** Listens; `close` stops taking connections and gives open ones a grace period. */
async function listen(
  server: Server,
  port: number | undefined,
  host: string | undefined,
): Promise<CallbackServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  let closing: Promise<void> | undefined;
  return {
    port: (server.address() as AddressInfo).port,
    close() {
      closing ??= new Promise<void>((resolve) => {
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        force.unref();
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

/**
 * `[basePath]/callbacks/:workflowId/:attempt/:token[/]`: the route, `'malformed'` for a path
 * under `/callbacks/` that does not fit, or undefined for any other path.
 */
export function matchCallbackPath(
  path: string,
  basePath = '',
): CallbackRoute | 'malformed' | undefined {
  const relative = basePath && path.startsWith(`${basePath}/`) ? path.slice(basePath.length) : path;
  const segments = relative.split('/');
  if (segments[0] !== '' || segments[1] !== CALLBACK_PATH_SEGMENT) return undefined;
  const rest = segments.slice(2);
  if (rest.length === 4 && rest[3] === '') rest.pop();
  if (rest.length !== 3) return 'malformed';
  const [encodedId, attemptText, token] = rest as [string, string, string];
  if (!ATTEMPT_PATTERN.test(attemptText) || token === '' || encodedId === '') return 'malformed';
  let workflowId: string;
  try {
    workflowId = decodeURIComponent(encodedId);
  } catch {
    return 'malformed';
  }
  return { workflowId, attempt: Number(attemptText), token };
}

/** True when the callback URL's query names a provider whose callback bodies may be large. */
function largeBodyProvider(url: string | undefined): boolean {
  const query = (url ?? '').split('?')[1];
  if (!query) return false;
  const provider = new URLSearchParams(query).get('provider');
  return provider !== null && LARGE_BODY_PROVIDERS.has(provider);
}

/** Reads and discards the body; stops counting (and reading) past the cap. */
function drainBody(request: IncomingMessage, maxBytes: number): Promise<'ok' | 'too-large'> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const cleanup = () => {
      request.off('data', onData);
      request.off('end', onEnd);
      request.off('error', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        cleanup();
        request.pause();
        resolve('too-large');
      }
    };
    const onEnd = () => {
      cleanup();
      resolve('ok');
    };
    const onError = (error: Error) => {
      cleanup();
      reject(error);
    };
    request.on('data', onData);
    request.on('end', onEnd);
    request.on('error', onError);
  });
}

function reply(
  response: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
  done?: () => void,
): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(text, done);
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
