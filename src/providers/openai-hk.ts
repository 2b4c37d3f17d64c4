import { ProviderError } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import {
  checkOfficialRequest,
  type OfficialModelOffer,
  type OfficialTransport,
  officialTaskStatusCall,
  submitOfficialTask,
} from './official-format.js';
import { OPENAI_HK_DISPLAY_NAME, OPENAI_HK_OFFERS, priceOpenAiHk } from './openai-hk-catalog.js';
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
 * OpenAI-HK (seeds/001): the official Kling format behind `{base}/v1/videos/...` with a static
 * `hk-` key. Its callback field is `notify_hook`, and it documents no `external_task_id`, so a
 * submit cannot be made idempotent and there is no `findTask`.
 */

const PROVIDER = 'openai-hk';
export const OPENAI_HK_DEFAULT_BASE_URL = 'https://api.openai-hk.com/kling';

export interface OpenAiHkSettings {
  apiKey: string;
  baseUrl?: string;
  http: ProviderHttpSettings;
}

export function createOpenAiHkProvider(settings: OpenAiHkSettings): ProviderAdapter {
  const baseUrl = (settings.baseUrl ?? OPENAI_HK_DEFAULT_BASE_URL).replace(/\/+$/, '');
  const authorization = `Bearer ${settings.apiKey}`;
  const transport: OfficialTransport = {
    dialect: {
      provider: PROVIDER,
      displayName: OPENAI_HK_DISPLAY_NAME,
      callbackField: 'notify_hook',
      sendsExternalTaskId: false,
    },
    baseUrl,
    http: settings.http,
    authorization: async () => authorization,
  };

  function check(request: UnifiedRequest): OfferCheck {
    return checkOfficialRequest(OPENAI_HK_DISPLAY_NAME, OPENAI_HK_OFFERS, request);
  }

  async function submit(request: UnifiedRequest, context: SubmitContext): Promise<SubmittedTask> {
    const { offer, issues } = check(request);
    if (!offer || issues.length > 0) {
      throw new ProviderError(
        'invalid-request',
        PROVIDER,
        `request does not fit ${OPENAI_HK_DISPLAY_NAME}: ${issues.map((issue) => `${issue.field} ${issue.message}`).join('; ')}`,
      );
    }
    return submitOfficialTask(transport, offer as OfficialModelOffer, request, context);
  }

  async function status(handle: TaskHandle, context: CallContext): Promise<TaskStatus> {
    return officialTaskStatusCall(transport, handle, context);
  }

  return {
    id: PROVIDER,
    displayName: OPENAI_HK_DISPLAY_NAME,
    capabilities: {
      offers: OPENAI_HK_OFFERS,
      callbacks: true,
      callbackField: 'notify_hook',
      idempotentSubmit: false,
      imageForms: ['url', 'base64'],
      // kling-o1 is priced in the seed's omni credits instead (see priceOpenAiHk).
      priceUnit: 'base-units',
      unverified: [
        'OpenAI-HK error bodies: assumed to be the official {code, message} envelope it proxies',
        'OpenAI-HK omni-video image_list (the seed defers to the official O1 docs)',
        'OpenAI-HK kling-v2-6 price multiplier (the seed gives none; priced like kling-v2-master)',
      ],
    },
    check,
    price: priceOpenAiHk,
    submit,
    status,
  };
}
