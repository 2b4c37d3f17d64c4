import type { UnifiedRequest } from '../request/unified-request.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { checkOfficialRequest } from './official-request.js';
import { OPENAI_HK_DISPLAY_NAME, OPENAI_HK_OFFERS, priceOpenAiHk } from './openai-hk-catalog.js';
import type { ProviderOffering } from './provider.js';

/** What OpenAI-HK (seeds/001) sells; its transport is in openai-hk.ts. */
export const OPENAI_HK_OFFERING: ProviderOffering = {
  id: 'openai-hk',
  displayName: OPENAI_HK_DISPLAY_NAME,
  capabilities: {
    offers: OPENAI_HK_OFFERS,
    callbacks: true,
    callbackField: 'notify_hook',
    idempotentSubmit: false,
    imageForms: ['url', 'base64'],
    // kling-o1 is priced in the seed's omni credits instead (see priceOpenAiHk).
    priceUnit: 'base-units',
    unverified: unverifiedShapes(`
      OpenAI-HK error bodies: assumed to be the official {code, message} envelope it proxies
      OpenAI-HK omni-video image_list (the seed defers to the official O1 docs)
      OpenAI-HK kling-v2-6 price multiplier (the seed gives none; priced like kling-v2-master)
      OpenAI-HK WebP images forwarded (the seed lists .jpg/.jpeg/.png only)
    `),
  },
  check: (request: UnifiedRequest) =>
    checkOfficialRequest(OPENAI_HK_DISPLAY_NAME, OPENAI_HK_OFFERS, request),
  price: priceOpenAiHk,
};
