import type { FormData } from 'undici';
import type { UnifiedRequest } from '../../request/unified-request.js';
import type { ModelOffer, ProviderOffering, SubmitContext } from '../provider.js';
import { type ApiKeySettings, baseUrlOf } from './adapter-settings.js';
import { requireFittingOffer } from './offer-guard.js';
import { type ErrorEnvelope, type SuccessReader, submitToProvider } from './provider-answer.js';
import type { ProviderHttpSettings } from './provider-http.js';

/** A submit call, relative to the base URL: JSON or a multipart form, and extra headers. */
export interface HttpSubmit {
  path: string;
  json?: unknown;
  form?: FormData;
  headers?: Record<string, string>;
}

export type HttpSubmitCall<Offer extends ModelOffer = ModelOffer> = (
  offer: Offer,
  request: UnifiedRequest,
  context: SubmitContext,
) => Promise<HttpSubmit>;

/** Where an adapter's calls go and how they authenticate. */
export interface AdapterTransport {
  http: ProviderHttpSettings;
  baseUrl: string;
  headers: Record<string, string>;
}

/** How the accepted submit's body is read. */
export interface AcceptedSpec<T> {
  envelope: ErrorEnvelope;
  success: SuccessReader<T>;
  /** What `success` looks for, for the message when it is missing. */
  expected: string;
}

/**
 * The submit every adapter makes: the request is checked against the offering (a request that
 * does not fit is refused before anything is sent), mapped to the provider's call, POSTed, and
 * the accepted body read; a failed or unreadable answer throws classified by the kit.
 */
export async function submitFittingRequest<Offer extends ModelOffer, T>(
  offering: ProviderOffering,
  transport: AdapterTransport,
  submitCall: HttpSubmitCall<Offer>,
  request: UnifiedRequest,
  context: SubmitContext,
  accepted: AcceptedSpec<T>,
): Promise<T> {
  const check = offering.check(request);
  const offer = requireFittingOffer<Offer>(offering.id, offering.displayName, check);
  const call = await submitCall(offer, request, context);
  return submitToProvider(
    transport.http,
    {
      method: 'POST',
      url: `${transport.baseUrl}${call.path}`,
      headers: { ...transport.headers, ...call.headers },
      ...(call.json !== undefined ? { json: call.json } : {}),
      ...(call.form ? { form: call.form } : {}),
      signal: context.signal,
    },
    { provider: offering.id, ...accepted },
  );
}

/** The transport of an adapter with one static key: its base URL (or the default) and headers. */
export function keyedTransport(
  settings: ApiKeySettings,
  defaultBaseUrl: string,
  headers: Record<string, string>,
): AdapterTransport {
  return { http: settings.http, baseUrl: baseUrlOf(settings.baseUrl, defaultBaseUrl), headers };
}

/**
 * The adapter's submit: submitFittingRequest bound to its offering, transport, body mapping
 * and how the accepted answer is read.
 */
export function fittingSubmitter<Offer extends ModelOffer, T>(
  offering: ProviderOffering,
  transport: AdapterTransport,
  submitCall: HttpSubmitCall<Offer>,
  accepted: AcceptedSpec<T>,
): (request: UnifiedRequest, context: SubmitContext) => Promise<T> {
  return (request, context) =>
    submitFittingRequest(offering, transport, submitCall, request, context, accepted);
}
