import { ProviderError, type ValidationIssue } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import { KLING_DISPLAY_NAME, KLING_OFFERS, priceKling } from './kling-catalog.js';
import { createKlingTokenSource } from './kling-jwt.js';
import {
  checkOfficialRequest,
  findOfficialTask,
  type OfficialModelOffer,
  type OfficialTransport,
  officialTaskStatusCall,
  submitOfficialTask,
} from './official-format.js';
import type {
  CallContext,
  OfferCheck,
  ProviderAdapter,
  SubmitContext,
  SubmittedTask,
  TaskHandle,
  TaskStatus,
} from './provider.js';
import type { ProviderHttpSettings } from './provider-http.js';

/**
 * The official Kling API: JWT from access key + secret key, the official wire format, and
 * `external_task_id` as an idempotency key, so an ambiguous submit is resolved by `findTask`.
 */

const PROVIDER = 'kling';
export const KLING_DEFAULT_BASE_URL = 'https://api-singapore.klingai.com';

export interface KlingSettings {
  accessKey: string;
  secretKey: string;
  baseUrl?: string;
  http: ProviderHttpSettings;
  /** Clock for the JWT's `exp`/`nbf` (milliseconds); tests move it. */
  now?: () => number;
}

export function createKlingProvider(settings: KlingSettings): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? KLING_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const tokens = createKlingTokenSource(
    { accessKey: settings.accessKey, secretKey: settings.secretKey },
    settings.now,
  );
  const transport: OfficialTransport = {
    dialect: {
      provider: PROVIDER,
      displayName: KLING_DISPLAY_NAME,
      callbackField: 'callback_url',
      sendsExternalTaskId: true,
    },
    baseUrl,
    http: settings.http,
    authorization: async () => `Bearer ${await tokens.current()}`,
    renewAuthorization: async () => `Bearer ${await tokens.renew()}`,
  };

  function check(request: UnifiedRequest): OfferCheck {
    const result = checkOfficialRequest(KLING_DISPLAY_NAME, KLING_OFFERS, request);
    return { ...result, issues: [...result.issues, ...officialCombinationIssues(request)] };
  }

  function requireOffer(request: UnifiedRequest): OfficialModelOffer {
    const { offer, issues } = check(request);
    if (!offer || issues.length > 0) {
      throw new ProviderError(
        'invalid-request',
        PROVIDER,
        `request does not fit ${KLING_DISPLAY_NAME}: ${issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`,
      );
    }
    return offer as OfficialModelOffer;
  }

  async function submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask> {
    return submitOfficialTask(transport, requireOffer(request), request, context);
  }

  async function status(handle: TaskHandle, context: CallContext): Promise<TaskStatus> {
    return officialTaskStatusCall(transport, handle, context);
  }

  async function findTask(
    externalTaskId: string,
    request: UnifiedRequest,
    context: CallContext,
  ): Promise<SubmittedTask | undefined> {
    // A request that does not fit was never submitted, so there is nothing to find.
    const { offer, issues } = check(request);
    if (!offer || issues.length > 0) return undefined;
    const { officialEndpoint } = offer as OfficialModelOffer;
    return findOfficialTask(transport, officialEndpoint, externalTaskId, context);
  }

  return {
    id: PROVIDER,
    displayName: KLING_DISPLAY_NAME,
    capabilities: {
      offers: KLING_OFFERS,
      callbacks: true,
      callbackField: 'callback_url',
      idempotentSubmit: true,
      imageForms: ['url', 'base64'],
      priceUnit: 'base-units',
      unverified: [
        'Kling task lookup by external_task_id in the query path (GET /v1/videos/<endpoint>/{external_task_id}); the official docs list it as an alternative path parameter',
        'Kling prices: no source gives the official per-model prices; OpenAI-HK multipliers are used in base units',
        'Kling omni-video image_list item shape {image_url, type: first_frame|end_frame}',
      ],
    },
    check,
    price: priceKling,
    submit,
    status,
    findTask,
  };
}

/**
 * Official capability map: `image` + `image_tail`, motion brush and `camera_control` are
 * mutually exclusive, so an end frame cannot be combined with camera control.
 */
function officialCombinationIssues(request: UnifiedRequest): ValidationIssue[] {
  if (request.endImage && request.cameraControl) {
    return [
      {
        field: 'cameraControl',
        message: `cannot be combined with endImage on ${KLING_DISPLAY_NAME} (the official API treats them as exclusive)`,
      },
    ];
  }
  return [];
}
