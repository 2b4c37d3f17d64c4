import { type Dispatcher, type FormData, request } from 'undici';
import { ProviderError } from '../../errors.js';
import { assertFetchableUrl, BlockedAddressError, redactUrl } from '../../http/guarded-agent.js';
import { parseRetryAfter } from '../../http/retry-after.js';
import { provesNotSent } from './resend-policy.js';

/** What every adapter needs to make HTTP calls: a dispatcher with timeouts and the network policy. */
export interface ProviderHttpSettings {
  dispatcher: Dispatcher;
  allowPrivateNetwork: boolean;
  /** Told about every call (metrics and trace spans); the kit itself stays free of telemetry. */
  observer?: ProviderHttpObserver;
}

/** Watches provider calls: `start` before the request, the returned function once it ended. */
export interface ProviderHttpObserver {
  start(call: {
    provider: string;
    method: string;
    url: string;
  }): (outcome: { status: number } | { error: string }) => void;
}

export interface ProviderHttpRequest {
  method: 'GET' | 'POST' | 'PUT';
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

/**
 * One HTTP call for an adapter. Network failures become ProviderErrors here: `ambiguous` unless
 * the error proves nothing was written (resend-policy.ts), so a submit is never re-sent blindly.
 * HTTP error statuses are returned, not thrown: provider-answer.ts reads them with the
 * provider's envelope.
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
  const ended = settings.observer?.start({ provider, method: call.method, url: call.url });
  try {
    const response = await request(call.url, {
      method: call.method,
      headers,
      body,
      dispatcher: settings.dispatcher,
      signal: call.signal,
    });
    const text = redactSecrets(await readCapped(response.body, MAX_RESPONSE_BYTES), headers);
    ended?.({ status: response.statusCode });
    return {
      status: response.statusCode,
      headers: response.headers,
      text,
      retryAfterMs: parseRetryAfter(response.headers['retry-after']),
    };
  } catch (cause) {
    ended?.({ error: call.signal?.aborted ? 'aborted' : (errorCode(cause) ?? 'network-error') });
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
  const notSent = provesNotSent(code);
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
