import type { UnifiedRequest } from '../request/unified-request.js';
import {
  APIMODELS_DISPLAY_NAME,
  APIMODELS_OFFERS,
  apiModelsIssues,
  priceApiModels,
} from './apimodels-catalog.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { checkAgainstOffers } from './offer-check.js';
import type { OfferCheck, ProviderOffering } from './provider.js';

function check(request: UnifiedRequest): OfferCheck {
  const result = checkAgainstOffers(APIMODELS_DISPLAY_NAME, APIMODELS_OFFERS, request);
  return result.offer
    ? { ...result, issues: [...result.issues, ...apiModelsIssues(request)] }
    : result;
}

/** What apimodels.app (seeds/003) sells; its transport is in apimodels.ts. */
export const APIMODELS_OFFERING: ProviderOffering = {
  id: 'apimodels',
  displayName: APIMODELS_DISPLAY_NAME,
  capabilities: {
    offers: APIMODELS_OFFERS,
    callbacks: true,
    callbackField: 'callback_url',
    idempotentSubmit: false,
    imageForms: ['url', 'base64'],
    priceUnit: 'USD',
    usdPerUnit: 1,
    unverified: unverifiedShapes(`
      apimodels.app error response bodies ({code, msg} assumed, like its success envelope)
      apimodels.app callback body (the seed names callback_url but not what it POSTs)
      apimodels.app shots for multi_shot, sent as the official multi_prompt [{index, prompt, duration}] (the seed names only multi_shot)
      apimodels.app prompt of a multi-shot request without one: the shots' prompts joined (the seed requires a prompt for text-to-video)
      apimodels.app kling-motion-control sent without duration (the seed lists none for it; the motion video sets the length)
    `),
  },
  check,
  price: priceApiModels,
};
