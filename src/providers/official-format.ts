import type { UnifiedRequest } from '../request/unified-request.js';
import { requireFittingOffer } from './kit/offer-guard.js';
import {
  type AnswerSpec,
  acceptedValue,
  type CallPurpose,
  readProviderAnswer,
  sendToProvider,
} from './kit/provider-answer.js';
import type { ProviderHttpResponse, ProviderHttpSettings } from './kit/provider-http.js';
import { taskNotFound } from './kit/task-status.js';
import { buildOfficialBody, type OfficialDialect } from './official-request.js';
import {
  handleEndpoint,
  OFFICIAL_ENDPOINT_PATHS,
  type OfficialEndpoint,
  type OfficialModelOffer,
  officialCode,
  officialCreateResponseSchema,
  officialEnvelope,
  officialHandle,
  officialQueryResponseSchema,
  officialTaskStatus,
  TASK_NOT_FOUND_CODE,
  TOKEN_EXPIRED_CODE,
} from './official-wire.js';
import type {
  CallContext,
  ProviderAdapter,
  ProviderOffering,
  SubmitContext,
  SubmittedTask,
  TaskHandle,
  TaskStatus,
} from './provider.js';

/**
 * The calls of the official Kling format, shared by the official API (`kling`) and OpenAI-HK.
 * The two adapters only differ in auth, callback field name, `external_task_id` and catalog.
 * Wire shapes are in official-wire.ts, request bodies in official-request.ts.
 */

export type { OfficialDialect } from './official-request.js';
export { checkOfficialRequest } from './official-request.js';
// The catalogs type their offers with this; it lives with the wire shapes.
export type { OfficialModelOffer } from './official-wire.js';

export interface OfficialTransport {
  dialect: OfficialDialect;
  baseUrl: string;
  http: ProviderHttpSettings;
  /** The `Authorization` header value for the next call. */
  authorization(): Promise<string>;
  /**
   * A fresh credential after the provider answered code 1004 (token expired). Called at most
   * once per call; absent for static API keys, which cannot be renewed.
   */
  renewAuthorization?: () => Promise<string>;
}

/**
 * The submit and status of an official-format provider: a request that does not fit its
 * offering fails before anything is sent; the official API adds `findTask` to this.
 */
export function createOfficialAdapter(
  offering: ProviderOffering,
  transport: OfficialTransport,
): ProviderAdapter {
  const { id, displayName } = offering;
  return {
    ...offering,
    async submit(request, context) {
      const offer = requireFittingOffer<OfficialModelOffer>(
        id,
        displayName,
        offering.check(request),
      );
      return submitOfficialTask(transport, offer, request, context);
    },
    status: async (handle, context) => officialTaskStatusCall(transport, handle, context),
  };
}

/** Creates the task; the handle pins later status calls to the same endpoint. */
export async function submitOfficialTask(
  transport: OfficialTransport,
  offer: OfficialModelOffer,
  request: UnifiedRequest,
  context: SubmitContext,
): Promise<SubmittedTask> {
  const { provider, sendsExternalTaskId } = transport.dialect;
  const endpoint = offer.officialEndpoint;
  const body = await buildOfficialBody(transport.dialect, offer, request, context);
  const response = await officialCall(transport, 'submit', {
    method: 'POST',
    path: OFFICIAL_ENDPOINT_PATHS[endpoint],
    json: body,
    signal: context.signal,
  });
  // A reused idempotency key means an earlier send of this very submit was accepted: not a
  // bad request but an ambiguous one, resolved by looking the task up.
  const keySent = sendsExternalTaskId && context.externalTaskId !== undefined;
  const created = acceptedValue(
    readProviderAnswer(response, {
      ...officialSpec(provider, 'submit', keySent),
      success: officialCreateResponseSchema,
      expected: 'data.task_id in the response',
    }),
  );
  const taskId = created.data.task_id;
  return { taskId, handle: officialHandle(provider, taskId, endpoint) };
}

/** Queries one task on the endpoint it was created on. */
export async function officialTaskStatusCall(
  transport: OfficialTransport,
  handle: TaskHandle,
  context: CallContext,
): Promise<TaskStatus> {
  const { provider, displayName } = transport.dialect;
  const endpoint = handleEndpoint(provider, handle);
  const response = await officialCall(transport, 'status', {
    method: 'GET',
    path: `${OFFICIAL_ENDPOINT_PATHS[endpoint]}/${encodeURIComponent(handle.taskId)}`,
    signal: context.signal,
  });
  const answer = readProviderAnswer(response, {
    ...officialSpec(provider, 'status'),
    success: officialQueryResponseSchema,
    expected: 'task in the body',
  });
  if (!answer.found) {
    return taskNotFound(displayName, handle.taskId, `code ${TASK_NOT_FOUND_CODE}`);
  }
  return officialTaskStatus(provider, answer.value.data);
}

/**
 * Looks a task up by the `external_task_id` it was created with. The official docs ("Query
 * Task (Single)", `GET /v1/videos/text2video/{id}`, as mirrored at docs.kkiai.com and
 * doc.aimanyi.top) list `task_id` and `external_task_id` as the two alternative request path
 * parameters ("choose one of the two query methods"), so the external id goes in the path.
 * Undefined only when the provider says it does not know it (code 1203); any other failure
 * (a bare 404 from a proxy, a 5xx) throws a transient error: concluding "absent" wrongly
 * would invite a second submit.
 */
export async function findOfficialTask(
  transport: OfficialTransport,
  endpoint: OfficialEndpoint,
  externalTaskId: string,
  context: CallContext,
): Promise<SubmittedTask | undefined> {
  const { provider } = transport.dialect;
  const response = await officialCall(transport, 'lookup', {
    method: 'GET',
    path: `${OFFICIAL_ENDPOINT_PATHS[endpoint]}/${encodeURIComponent(externalTaskId)}`,
    signal: context.signal,
  });
  const answer = readProviderAnswer(response, {
    ...officialSpec(provider, 'lookup'),
    success: officialQueryResponseSchema,
    expected: 'task in the body',
  });
  if (!answer.found) return undefined;
  const task = answer.value.data;
  const echoed = task.task_info?.external_task_id;
  // The path takes either id; a task whose own external id differs is not the one we sent.
  if (echoed && echoed !== externalTaskId) return undefined;
  return { taskId: task.task_id, handle: officialHandle(provider, task.task_id, endpoint) };
}

function officialSpec(
  provider: string,
  purpose: CallPurpose,
  keySent = false,
): Omit<AnswerSpec<unknown>, 'success' | 'expected'> {
  return { provider, purpose, envelope: officialEnvelope(keySent) };
}

/** One HTTP call with the transport's credential, renewing it once after code 1004. */
async function officialCall(
  transport: OfficialTransport,
  purpose: CallPurpose,
  call: { method: 'GET' | 'POST'; path: string; json?: unknown; signal?: AbortSignal },
): Promise<ProviderHttpResponse> {
  const { provider } = transport.dialect;
  let authorization = await transport.authorization();
  let renewed = false;
  for (;;) {
    const response = await sendToProvider(
      transport.http,
      {
        method: call.method,
        url: `${transport.baseUrl}${call.path}`,
        headers: { authorization },
        ...(call.json !== undefined ? { json: call.json } : {}),
        ...(call.signal ? { signal: call.signal } : {}),
      },
      { provider, purpose },
    );
    // An expired token is rejected before anything is created, so the call is safe to repeat.
    if (
      !renewed &&
      transport.renewAuthorization &&
      officialCode(response.text) === TOKEN_EXPIRED_CODE
    ) {
      renewed = true;
      authorization = await transport.renewAuthorization();
      continue;
    }
    return response;
  }
}
