import type { ProviderId } from '../../src/request/unified-request.js';
import { ai302ErrorBody } from '../../src/simulated/302ai-fake.js';
import { apiFrameCreditsBody, apiFrameErrorBody } from '../../src/simulated/apiframe-fake.js';
import { apiModelsErrorBody } from '../../src/simulated/apimodels-fake.js';
import { bareNotFoundFault, type Fault } from '../../src/simulated/fake-server.js';
import { falErrorBody } from '../../src/simulated/fal-fake.js';
import { hyprLabErrorBody } from '../../src/simulated/hyprlab-fake.js';
import { officialFault } from '../../src/simulated/official-format-fake.js';
import { replicateErrorBody } from '../../src/simulated/replicate-fake.js';
import { between, type Random } from './random.js';

/**
 * The faults a job can bring to its first provider. Each is injected into that provider's fake
 * just before the job starts and hits the provider's next such call (usually the job's own).
 */
export type FaultKind =
  | 'submit 503 (provider envelope), retried'
  | 'submit 5xx outage (provider envelope)'
  | 'submit 429 + Retry-After'
  | 'credits exhausted'
  | 'status 500'
  | 'status 429 + Retry-After'
  | 'status malformed JSON'
  | 'submit malformed JSON'
  | 'submit accepted, connection cut'
  | 'submit accepted, gateway 502 page'
  | 'submit accepted, gateway 502 page, lookup errors'
  | 'submit accepted, slow answer'
  | 'status 401 after accept'
  | 'status bare 404 after accept'
  | 'download connection reset'
  | 'status hang';

export interface PlannedFault {
  kind: FaultKind;
  provider: ProviderId;
  /** Each rule goes in as planned: a submit fault and the lookup errors that go with it, say. */
  rules: { route: 'submit' | 'status' | 'download'; fault: Fault; times: number }[];
}

export const FAULT_WEIGHTS: Record<Exclude<FaultKind, 'status hang'>, number> = {
  'submit 503 (provider envelope), retried': 12,
  'submit 5xx outage (provider envelope)': 5,
  'submit 429 + Retry-After': 12,
  'credits exhausted': 9,
  'status 500': 10,
  'status 429 + Retry-After': 6,
  'status malformed JSON': 8,
  'submit malformed JSON': 3,
  'submit accepted, connection cut': 3,
  'submit accepted, gateway 502 page': 8,
  'submit accepted, gateway 502 page, lookup errors': 6,
  'submit accepted, slow answer': 4,
  'status 401 after accept': 6,
  'status bare 404 after accept': 6,
  'download connection reset': 6,
};

/** Only the official API looks a task up by our idempotency key (`external_task_id`). */
export function hasLookup(provider: ProviderId): boolean {
  return provider === 'kling';
}

export function faultFits(kind: FaultKind, provider: ProviderId): boolean {
  return kind !== 'submit accepted, gateway 502 page, lookup errors' || hasLookup(provider);
}

export const MODERATION_MESSAGES = [
  'Failure to pass the risk control system',
  'The prompt was flagged by content moderation',
  'Content policy violation: sensitive content detected',
];
export const PLAIN_FAILURE_MESSAGES = [
  'internal render error',
  'GPU node lost during rendering, please retry',
  'render worker crashed',
];

function isOfficial(provider: ProviderId): boolean {
  return provider === 'kling' || provider === 'openai-hk';
}

/**
 * The provider's own error answer (its JSON envelope) with this HTTP status: the only kind of
 * 4xx/500/503 that proves a submit created nothing, so the submit may be re-sent.
 */
export function envelopeFault(
  provider: ProviderId,
  status: 429 | 500 | 503,
  headers?: Record<string, string>,
): Fault {
  const message =
    status === 429 ? 'Too many requests' : status === 500 ? 'Internal error' : 'Overloaded';
  const fault = (body: unknown): Fault => ({
    type: 'status',
    status,
    body,
    ...(headers ? { headers } : {}),
  });
  switch (provider) {
    case 'kling':
    case 'openai-hk':
      return officialFault(status === 429 ? 1302 : status === 500 ? 5000 : 5001, headers);
    case 'hyprlab':
      return fault(hyprLabErrorBody(message, status === 429 ? 'rate_limit_error' : 'server_error'));
    case 'apimodels':
      return fault(apiModelsErrorBody(status, message));
    case 'apiframe':
      return fault(apiFrameErrorBody(message));
    case '302ai':
      return fault(ai302ErrorBody(-status, message));
    case 'fal':
      return fault(falErrorBody(message));
    case 'replicate':
      return fault(replicateErrorBody(status, message));
  }
}

function creditsFault(provider: ProviderId): Fault {
  switch (provider) {
    case 'kling':
    case 'openai-hk':
      return officialFault(1102);
    case 'hyprlab':
      return {
        type: 'status',
        status: 402,
        body: hyprLabErrorBody('You have insufficient credits', 'insufficient_quota'),
      };
    case 'apimodels':
      return { type: 'status', status: 402, body: apiModelsErrorBody(402, 'Insufficient credits') };
    case 'apiframe':
      return { type: 'status', status: 402, body: apiFrameCreditsBody() };
    case '302ai':
      return { type: 'status', status: 402, body: ai302ErrorBody(-10010, 'Insufficient balance') };
    case 'fal':
      // reference/providers.md §6: an exhausted fal balance is HTTP 403 "User is locked".
      return { type: 'status', status: 403, body: falErrorBody('User is locked') };
    case 'replicate':
      return {
        type: 'status',
        status: 402,
        body: replicateErrorBody(402, 'You have insufficient credit', 'Insufficient credit'),
      };
  }
}

export function plannedFault(kind: FaultKind, provider: ProviderId, random: Random): PlannedFault {
  const retryAfter = { 'retry-after': '1' };
  const one = (
    route: PlannedFault['rules'][number]['route'],
    fault: Fault,
    times: number,
  ): PlannedFault => ({ kind, provider, rules: [{ route, fault, times }] });
  switch (kind) {
    case 'submit 503 (provider envelope), retried':
      return one('submit', envelopeFault(provider, 503), between(random, 1, 2));
    case 'submit 5xx outage (provider envelope)':
      // More than the submit's five attempts: the job (or its neighbours) fail over.
      return one('submit', envelopeFault(provider, 500), 6);
    case 'submit 429 + Retry-After':
      return one(
        'submit',
        isOfficial(provider)
          ? officialFault(1302, retryAfter)
          : envelopeFault(provider, 429, retryAfter),
        between(random, 1, 2),
      );
    case 'credits exhausted':
      return one('submit', creditsFault(provider), between(random, 2, 5));
    case 'status 500':
      return one('status', { type: 'status', status: 500 }, between(random, 1, 3));
    case 'status 429 + Retry-After':
      return one('status', { type: 'status', status: 429, headers: retryAfter }, 1);
    case 'status malformed JSON':
      return one('status', { type: 'malformed-json' }, between(random, 1, 2));
    case 'submit malformed JSON':
      return one('submit', { type: 'malformed-json' }, 1);
    case 'submit accepted, connection cut':
      return one('submit', { type: 'accept-then-cut' }, 1);
    case 'submit accepted, gateway 502 page':
      return one('submit', { type: 'accept-then-gateway-page' }, 1);
    case 'submit accepted, gateway 502 page, lookup errors':
      // The lookup by external_task_id goes to the status route: its next calls get a gateway
      // page, no envelope (a lookup that cannot tell), then it answers again.
      return {
        kind,
        provider,
        rules: [
          { route: 'submit', fault: { type: 'accept-then-gateway-page' }, times: 1 },
          {
            route: 'status',
            fault: { type: 'accept-then-gateway-page', status: 502 },
            times: between(random, 1, 3),
          },
        ],
      };
    case 'submit accepted, slow answer':
      return one('submit', { type: 'accept-then-delay', ms: between(random, 3_000, 8_000) }, 1);
    case 'status 401 after accept':
      return one('status', { type: 'status', status: 401 }, between(random, 1, 3));
    case 'status bare 404 after accept':
      return one('status', bareNotFoundFault(), between(random, 1, 3));
    case 'download connection reset':
      return one('download', { type: 'reset' }, 1);
    case 'status hang':
      return one('status', { type: 'hang' }, 1);
  }
}
