import type { ApiKeySettings } from './kit/adapter-settings.js';
import { baseUrlOf } from './kit/adapter-settings.js';
import { createOfficialAdapter } from './official-format.js';
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
  const authorization = `Bearer ${settings.apiKey}`;
  return createOfficialAdapter(OPENAI_HK_OFFERING, {
    dialect: {
      provider: OPENAI_HK_OFFERING.id,
      displayName: OPENAI_HK_OFFERING.displayName,
      callbackField: 'notify_hook',
      sendsExternalTaskId: false,
    },
    baseUrl: baseUrlOf(settings.baseUrl, OPENAI_HK_DEFAULT_BASE_URL),
    http: settings.http,
    authorization: async () => authorization,
  });
}
