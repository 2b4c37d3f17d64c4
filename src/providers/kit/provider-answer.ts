import type { z } from 'zod';
import { ProviderError, type ProviderErrorKind } from '../../errors.js';
import { parseJsonText } from './lenient-json.js';
import {
  type ProviderHttpRequest,
  type ProviderHttpResponse,
  type ProviderHttpSettings,
  providerRequest,
} from './provider-http.js';
import { provesNotTaken } from './resend-policy.js';

/**
 * Reading a provider's answer, in the spirit of the Vercel AI SDK's `postJsonToApi` with its
 * response handlers: each call names the success shape, the provider's error envelope, and
 * what the call is for, because an unreadable answer means different things: on a submit the
 * task may exist (ambiguous), on a status or lookup it is a transient fault.
 */

export type CallPurpose = 'submit' | 'status' | 'lookup';

/** What a provider's own error envelope says. */
export interface EnvelopeError {
  /** The human part, e.g. `code 1201: Invalid parameters`. */
  message: string;
  /** The provider's business code, when it sends one. */
  code?: number | string;
  /** The kind the code stands for, when it says more than the HTTP status. */
  kind?: ProviderErrorKind;
  /** The provider's documented "no such task" answer. */
  notFound?: boolean;
  /** The provider says an earlier send of this same request was accepted (a reused key). */
  earlierSendAccepted?: boolean;
}

export interface ErrorEnvelope {
  /** The envelope's reading of a parsed body; undefined when the body is not in its shape. */
  read(body: unknown, httpStatus: number): EnvelopeError | undefined;
  /** The provider also puts error codes in 2xx bodies, so those are read as well. */
  inSuccessBodies?: boolean;
  /** An HTTP 404 in this envelope is the provider's "no such task". */
  notFoundOn404?: boolean;
}

/** A zod schema for the success body, or a lenient reader that answers undefined when it fails. */
export type SuccessReader<T> = z.ZodType<T> | ((body: unknown) => T | undefined);

export interface AnswerSpec<T> {
  provider: string;
  purpose: CallPurpose;
  envelope: ErrorEnvelope;
  success: SuccessReader<T>;
  /** What a readable success holds, for the message when it does not, e.g. `data.task_id`. */
  expected: string;
}

export type ProviderAnswer<T> = { found: true; value: T } | { found: false; error: EnvelopeError };

/**
 * One call and its reading. Throws a classified ProviderError for every answer that is not a
 * readable success; answers `{found: false}` only for the provider's documented not-found
 * envelope on a status or lookup call.
 */
export async function callProvider<T>(
  http: ProviderHttpSettings,
  request: ProviderHttpRequest,
  spec: AnswerSpec<T>,
): Promise<ProviderAnswer<T>> {
  return readProviderAnswer(await sendToProvider(http, request, spec), spec);
}

/** A submit's call: its answer is the accepted body, or a classified throw. */
export async function submitToProvider<T>(
  http: ProviderHttpSettings,
  request: ProviderHttpRequest,
  spec: Omit<AnswerSpec<T>, 'purpose'>,
): Promise<T> {
  return acceptedValue(await callProvider(http, request, { ...spec, purpose: 'submit' }));
}

/** The body of a submit's answer (a submit is never answered "not found"; see readProviderAnswer). */
export function acceptedValue<T>(answer: ProviderAnswer<T>): T {
  if (!answer.found) throw new Error(`not-found answer to a submit: ${answer.error.message}`);
  return answer.value;
}

/** The request alone; a network failure on a lookup is "unknown" (transient) like any other. */
export async function sendToProvider(
  http: ProviderHttpSettings,
  request: ProviderHttpRequest,
  spec: Pick<AnswerSpec<unknown>, 'provider' | 'purpose'>,
): Promise<ProviderHttpResponse> {
  try {
    return await providerRequest(spec.provider, http, request);
  } catch (error) {
    throw error instanceof ProviderError ? forPurpose(spec.purpose, error) : error;
  }
}

/** The reading alone, for adapters that send the request themselves (credential renewal). */
export function readProviderAnswer<T>(
  response: ProviderHttpResponse,
  spec: AnswerSpec<T>,
): ProviderAnswer<T> {
  const parsed = parseJsonText(response.text);
  const success = response.status >= 200 && response.status < 300;
  const read =
    parsed !== undefined && (!success || spec.envelope.inSuccessBodies)
      ? spec.envelope.read(parsed.value, response.status)
      : undefined;
  const envelopeError =
    read && spec.envelope.notFoundOn404 && response.status === 404
      ? { ...read, notFound: true }
      : read;
  if (envelopeError?.notFound && spec.purpose !== 'submit') {
    return { found: false, error: envelopeError };
  }
  if (envelopeError) {
    throw forPurpose(spec.purpose, envelopeFailure(spec.provider, response, envelopeError));
  }
  if (!success) throw forPurpose(spec.purpose, foreignFailure(spec.provider, response), true);
  const value = parsed !== undefined ? readSuccess(spec.success, parsed.value) : undefined;
  if (value === undefined) {
    throw unreadableSuccess(spec, response, parsed ? `no ${spec.expected}` : 'malformed JSON');
  }
  return { found: true, value: value.value };
}

/**
 * The default reading of an HTTP error status, per reference/providers.md §6. Envelopes with
 * business codes (the official format) say more and win over it.
 */
export function classifyHttpStatus(status: number): ProviderErrorKind {
  if (status === 401 || status === 402 || status === 403) return 'provider-unavailable';
  if (status === 408 || status === 409 || status === 425 || status === 429 || status >= 500)
    return 'transient';
  return 'invalid-request';
}

/**
 * A 2xx whose body says nothing we can use. On a submit the provider may have created (and
 * will bill) the task, so it is ambiguous and never re-sent blindly; on a status or lookup
 * it is a passing fault of the provider.
 */
export function unreadableSuccess(
  spec: Pick<AnswerSpec<unknown>, 'provider' | 'purpose'>,
  response: ProviderHttpResponse,
  what: string,
  cause?: unknown,
): ProviderError {
  const submit = spec.purpose === 'submit';
  const call = submit ? 'the submit' : spec.purpose === 'lookup' ? 'the task lookup' : 'the query';
  const after = submit ? ` (the task may exist at ${spec.provider})` : '';
  return new ProviderError(
    'transient',
    spec.provider,
    `HTTP ${response.status} to ${call}, but ${what}: ${response.text.slice(0, 120)}${after}`,
    { httpStatus: response.status, ambiguous: submit, cause },
  );
}

function readSuccess<T>(reader: SuccessReader<T>, body: unknown): { value: T } | undefined {
  if (typeof reader === 'function') {
    const value = reader(body);
    return value === undefined ? undefined : { value };
  }
  const parsed = reader.safeParse(body);
  return parsed.success ? { value: parsed.data } : undefined;
}

/** The provider refused in its own envelope: resend-safe for 4xx/500/503 (resend-policy.ts). */
function envelopeFailure(
  provider: string,
  response: ProviderHttpResponse,
  envelope: EnvelopeError,
): ProviderError {
  const success = response.status >= 200 && response.status < 300;
  // A code nobody documents on an HTTP success: not ours to retry, so fail over.
  const kind =
    envelope.kind ?? (success ? 'provider-unavailable' : classifyHttpStatus(response.status));
  const accepted = envelope.earlierSendAccepted === true;
  return new ProviderError(
    kind,
    provider,
    `HTTP ${response.status}: ${envelope.message}${accepted ? ' (an earlier send was accepted)' : ''}`,
    {
      httpStatus: response.status,
      retryAfterMs: response.retryAfterMs,
      ...(envelope.code !== undefined ? { providerCode: envelope.code } : {}),
      ambiguous: accepted || !provesNotTaken(response.status, true),
    },
  );
}

/**
 * A gateway's or proxy's body as a person reads it: an HTML page by its title (or first heading),
 * anything else with its whitespace collapsed; at most 200 characters either way.
 */
export function foreignBody(text: string): string {
  const trimmed = text.trim();
  if (/^<(!doctype html|html|head|body)\b/i.test(trimmed)) {
    const heading =
      /<title[^>]*>([^<]*)<\/title>/i.exec(trimmed) ?? /<h1[^>]*>([^<]*)<\/h1>/i.exec(trimmed);
    const title = heading?.[1]?.replace(/\s+/g, ' ').trim();
    return title ? `an HTML page "${title.slice(0, 150)}"` : 'an HTML page';
  }
  return trimmed.replace(/\s+/g, ' ').slice(0, 200);
}

/** An error status whose body is not the provider's envelope (a gateway, a proxy): ambiguous. */
function foreignFailure(provider: string, response: ProviderHttpResponse): ProviderError {
  return new ProviderError(
    classifyHttpStatus(response.status),
    provider,
    `HTTP ${response.status}: ${foreignBody(response.text)} (not ${provider}'s own error answer; the request may have reached it)`,
    {
      httpStatus: response.status,
      retryAfterMs: response.retryAfterMs,
      ambiguous: !provesNotTaken(response.status, false),
    },
  );
}

/**
 * After a task was accepted, a status call must not end it on a guess: a bare 404 (no
 * envelope) is transient, so the job keeps checking the task it pinned. A lookup's every
 * failure is "unknown", which the activity retries and which never leads to a resend.
 */
function forPurpose(purpose: CallPurpose, error: ProviderError, foreign = false): ProviderError {
  const bare404 = foreign && error.httpStatus === 404;
  if (error.kind === 'transient') return error;
  if (purpose === 'lookup' || (purpose === 'status' && bare404)) {
    return new ProviderError('transient', error.provider, error.message, {
      ...(error.httpStatus !== undefined ? { httpStatus: error.httpStatus } : {}),
      ...(error.providerCode !== undefined ? { providerCode: error.providerCode } : {}),
      ...(error.retryAfterMs !== undefined ? { retryAfterMs: error.retryAfterMs } : {}),
      ambiguous: error.ambiguous,
      cause: error,
    });
  }
  return error;
}
