import type { UnifiedRequest } from '../request/unified-request.js';
import {
  AI302_DISPLAY_NAME,
  AI302_OFFERS,
  AI302_USD_PER_PTC,
  priceAi302,
} from './302ai-catalog.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { checkAgainstOffers } from './offer-check.js';
import type { ProviderOffering } from './provider.js';

/** What 302.AI (seeds/002) sells; its transport is in 302ai.ts. */
export const AI302_OFFERING: ProviderOffering = {
  id: '302ai',
  displayName: AI302_DISPLAY_NAME,
  capabilities: {
    offers: AI302_OFFERS,
    callbacks: false,
    idempotentSubmit: false,
    imageForms: ['multipart'],
    priceUnit: 'PTC',
    usdPerUnit: AI302_USD_PER_PTC,
    unverified: unverifiedShapes(`
      302.AI submit URLs (/klingai/m2v_21_img2video[_10s|_hq|_hq_10s]; the seed names the endpoints, not their paths)
      302.AI Fetch URL (/klingai/task/{id}/fetch?geo=global)
      302.AI submit and Fetch response bodies (data.task.id, numeric data.status 5/10/50/99, data.works[].resource.resource)
      302.AI error bodies ({error: {err_code, message}} assumed)
      302.AI not-found answer on Fetch (HTTP 404 with its {error: {err_code, message}} body assumed)
      302.AI PTC taken as 1 USD
      302.AI prompt limit (the seed gives none; the official 2,500 characters assumed)
      302.AI "HD" endpoints taken as pro mode (the seed says high-definition, not pro)
      302.AI input_image sent as a multipart file part (the seed types it as a string)
      302.AI WebP images forwarded (the seed lists JPG/PNG only)
    `),
  },
  check: (request: UnifiedRequest) => checkAgainstOffers(AI302_DISPLAY_NAME, AI302_OFFERS, request),
  price: priceAi302,
};
