import type { ProviderAdapter, ProviderOffering, TaskHandle, TaskStatus } from '../provider.js';
import { type ApiKeySettings, bearerHeaders } from './adapter-settings.js';
import { callProvider, type ErrorEnvelope, type SuccessReader } from './provider-answer.js';
import { fittingSubmitter, type HttpSubmitCall, keyedTransport } from './submit-offer.js';
import { taskNotFound } from './task-status.js';

/**
 * The shape of an adapter for a provider with one static key, a submit call and a status
 * call: the adapter file says only what differs (its wire mapping, schemas and status
 * words); the guard, the calls, the answer reading and "no such task" are the kit's.
 */
export interface HttpAdapterSpec<Status> {
  defaultBaseUrl: string;
  /** The auth headers for the key; `Authorization: Bearer <key>` when not given. */
  headers?: (apiKey: string) => Record<string, string>;
  envelope: ErrorEnvelope;
  /** The submit call for a request that fits `offer`: the adapter's body mapping. */
  submitCall: HttpSubmitCall;
  /** The handle in an accepted submit's body; undefined when the body does not hold one. */
  accepted: SuccessReader<TaskHandle>;
  /** What `accepted` looks for, for the message when it is missing. */
  acceptedExpected: string;
  /** Where a task's status is read (absolute); may refuse a handle it cannot trust. */
  statusUrl(handle: TaskHandle, baseUrl: string): string;
  /** The status body's reader (a schema, or lenient), and its mapping to a TaskStatus. */
  statusBody: SuccessReader<Status>;
  readStatus(body: Status, handle: TaskHandle): TaskStatus;
}

export type { HttpSubmit, HttpSubmitCall } from './submit-offer.js';

export function createHttpAdapter<Status>(
  offering: ProviderOffering,
  settings: ApiKeySettings,
  spec: HttpAdapterSpec<Status>,
): ProviderAdapter {
  const transport = keyedTransport(
    settings,
    spec.defaultBaseUrl,
    (spec.headers ?? bearerHeaders)(settings.apiKey),
  );
  const { baseUrl, headers } = transport;
  const submit = fittingSubmitter(offering, transport, spec.submitCall, {
    envelope: spec.envelope,
    success: spec.accepted,
    expected: spec.acceptedExpected,
  });
  const provider = offering.id;

  return {
    ...offering,
    async submit(request, context) {
      const handle = await submit(request, context);
      return { taskId: handle.taskId, handle };
    },
    async status(handle, context) {
      const url = spec.statusUrl(handle, baseUrl);
      const answer = await callProvider(
        settings.http,
        { method: 'GET', url, headers, signal: context.signal },
        {
          provider,
          purpose: 'status',
          envelope: spec.envelope,
          success: spec.statusBody,
          expected: 'task status in the body',
        },
      );
      if (!answer.found) {
        return taskNotFound(offering.displayName, handle.taskId, answer.error.message);
      }
      return spec.readStatus(answer.value, handle);
    },
  };
}
