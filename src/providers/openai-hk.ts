import type { UnifiedRequest } from '../request/unified-request.js';
import { type ApiKeySettings, baseUrlOf } from './kit/adapter-settings.js';
import { requireFittingOffer } from './kit/offer-guard.js';
import {
  type OfficialModelOffer,
  type OfficialTransport,
  officialTaskStatusCall,
  submitOfficialTask,
} from './official-format.js';
import { OPENAI_HK_OFFERING } from './openai-hk-offering.js';
import type { ProviderAdapter } from './provider.js';

/**
 * OpenAI-HK (seeds/001): the official Kling format behind `{base}/v1/videos/...` with a static
 * `hk-` key. Its callback field is `notify_hook`, and it documents no `external_task_id`, so a
 * submit cannot be made idempotent and there is no `findTask`.
 */

export const OPENAI_HK_DEFAULT_BASE_URL = 'https://api.openai-hk.com/kling';

export type OpenAiHkSettings = ApiKeySettings;

export function createOpenAiHkProvider(settings: OpenAiHkSettings): ProviderAdapter {
  const { id, displayName } = OPENAI_HK_OFFERING;
  const authorization = `Bearer ${settings.apiKey}`;
  const transport: OfficialTransport = {
    dialect: {
      provider: id,
      displayName,
      callbackField: 'notify_hook',
      sendsExternalTaskId: false,
    },
    baseUrl: baseUrlOf(settings.baseUrl, OPENAI_HK_DEFAULT_BASE_URL),
    http: settings.http,
    authorization: async () => authorization,
  };
  const offerFor = (request: UnifiedRequest) =>
    requireFittingOffer<OfficialModelOffer>(id, displayName, OPENAI_HK_OFFERING.check(request));

  return {
    ...OPENAI_HK_OFFERING,
    submit: async (request, context) =>
      submitOfficialTask(transport, offerFor(request), request, context),
    status: async (handle, context) => officialTaskStatusCall(transport, handle, context),
  };
}
