import { type Dispatcher, type FormData, request } from 'undici';
import { ProviderError, type ProviderErrorKind } from '../errors.js';
import { assertFetchableUrl, BlockedAddressError, redactUrl } from '../http/guarded-agent.js';
import { parseRetryAfter } from '../http/retry-after.js';

/** What every adapter needs to make HTTP calls: a dispatcher with timeouts and the network policy. */
export interface ProviderHttpSettings {
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
}

export interface ProviderHttpRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  json?: unknown;
  form?: FormData;
  signal?: AbortSignal;
}

export interface ProviderHttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Milliseconds from Retry-After, when the provider sent one. */
  retryAfterMs: number | undefined;
}

const MAX_RESPONSE_BYTES = 1024 * 1024;

/** Network error codes raised before any byte of the request could reach the provider. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * One HTTP call for an adapter. Network failures become ProviderErrors here: `ambiguous` is set
 * when the request may have been received (timeout or reset after sending), so a submit is never
 * re-sent blindly. HTTP error statuses are returned, not thrown: the adapter classifies them.
 */
export async function providerRequest(
  provider: string,
  settings: ProviderHttpSettings,
  call: ProviderHttpRequest,
): Promise<ProviderHttpResponse> {
  try {
    assertFetchableUrl(call.url, settings.allowPrivateNetwork);
  } catch (cause) {
    throw new ProviderError('provider-unavailable', provider, (cause as Error).message, { cause });
  }
  const headers: Record<string, string> = { accept: 'application/json', ...call.headers };
  let body: string | FormData | undefined;
  if (call.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(call.json);
  } else if (call.form) {
    body = call.form;
  }
  try {
    const response = await request(call.url, {
      method: call.method,
      headers,
      body,
      dispatcher: settings.dispatcher,
      signal: call.signal,
    });
    const text = redactSecrets(await readCapped(response.body, MAX_RESPONSE_BYTES), headers);
    return {
      status: response.statusCode,
      headers: response.headers,
      text,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    };
  } catch (cause) {
    if (call.signal?.aborted) throw cause;
    throw networkFailure(provider, call, cause);
  }
}

const SECRET_HEADERS = ['authorization', 'x-api-key'];

/** Some providers echo the key they rejected; it must not travel on in an error message. */
function redactSecrets(text: string, headers: Record<string, string>): string {
  let redacted = text;
  for (const [name, value] of Object.entries(headers)) {
    if (!SECRET_HEADERS.includes(name.toLowerCase())) continue;
    const secret = value.replace(/^(Bearer|Key)\s+/i, '');
    if (secret.length >= 8) redacted = redacted.split(secret).join('[redacted]');
  }
  return redacted;
}

function networkFailure(
  provider: string,
  call: ProviderHttpRequest,
  cause: unknown,
): ProviderError {
  const where = `${call.method} ${redactUrl(call.url)}`;
  if (
    cause instanceof BlockedAddressError ||
    (cause as { cause?: unknown })?.cause instanceof BlockedAddressError
  ) {
    return new ProviderError(
      'provider-unavailable',
      provider,
      `${where}: ${(cause as Error).message}`,
      { cause },
    );
  }
  const code = errorCode(cause);
  const notSent = code !== undefined && NOT_SENT_CODES.has(code);
  const message = `${where} failed: ${code ?? (cause as Error)?.message ?? 'network error'}${
    notSent ? '' : ' (the request may have reached the provider)'
  }`;
  return new ProviderError('transient', provider, message, { cause, ambiguous: !notSent });
}

function errorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

async function readCapped(
  body: AsyncIterable<Uint8Array> & { destroy?: () => void },
  limit: number,
): Promise<string> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > limit) {
      body.destroy?.();
      throw Object.assign(new Error(`response larger than ${limit} bytes`), {
        code: 'KLINGFLOW_RESPONSE_TOO_LARGE',
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; malformed JSON from a provider is a transient fault of that provider. */
export function parseJsonBody(provider: string, response: ProviderHttpResponse): unknown {
  try {
    return JSON.parse(response.text);
  } catch (cause) {
    throw new ProviderError(
      'transient',
      provider,
      `malformed JSON in HTTP ${response.status} response: ${response.text.slice(0, 120)}`,
      { httpStatus: response.status, cause },
    );
  }
}

/**
 * The default reading of an HTTP error status, per reference/providers.md §6. Adapters with
 * business codes (the official format) refine it before falling back to this.
 */
export function classifyHttpStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 402 || status === 403) return 'provider-unavailable';
  if (status === 408 || status === 409 || status === 425 || status === 429 || status >= 500)
    return 'transient';
  return 'invalid-request';
}

/** Builds the ProviderError for an HTTP error response, keeping the body short and secret-free. */
export function httpFailure(
  provider: string,
  response: ProviderHttpResponse,
  kind: ProviderErrorKind = classifyHttpStatus(response.status),
  detail?: string,
  providerCode?: number | string,
): ProviderError {
  const summary = detail ?? response.text.slice(0, 200);
  return new ProviderError(kind, provider, `HTTP ${response.status}: ${summary}`, {
    httpStatus: response.status,
    retryAfterMs: response.retryAfterMs,
    ...(providerCode !== undefined ? { providerCode } : {}),
    // An error response proves the provider did not create the task.
    ambiguous: false,
  });
}

/**
 * A 2xx to a submit means the provider may have created (and will bill) the task even when its
 * body cannot be read. Such a failure is ambiguous, so the workflow never re-sends it blindly.
 */
export function acceptedButUnreadable(
  provider: string,
  response: ProviderHttpResponse,
  what: string,
  cause?: unknown,
): ProviderError {
  return new ProviderError(
    'transient',
    provider,
    `HTTP ${response.status} to the submit, but ${what}: ${response.text.slice(0, 120)} (the task may exist at ${provider})`,
    { httpStatus: response.status, ambiguous: true, cause },
  );
}

/** The JSON body of a 2xx submit; unreadable JSON is an ambiguous failure (see above). */
export function parseAcceptedBody(provider: string, response: ProviderHttpResponse): unknown {
  try {
    return JSON.parse(response.text);
  } catch (cause) {
    throw acceptedButUnreadable(provider, response, 'malformed JSON', cause);
  }
}
