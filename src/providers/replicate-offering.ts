import type { UnifiedRequest } from '../request/unified-request.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { checkAgainstOffers } from './offer-check.js';
import type { ProviderOffering } from './provider.js';
import { priceReplicate, REPLICATE_DISPLAY_NAME, REPLICATE_OFFERS } from './replicate-catalog.js';

/** What Replicate sells (reference/peer-apis.md); its transport is in replicate.ts. */
export const REPLICATE_OFFERING: ProviderOffering = {
  id: 'replicate',
  displayName: REPLICATE_DISPLAY_NAME,
  capabilities: {
    offers: REPLICATE_OFFERS,
    callbacks: true,
    callbackField: 'webhook',
    // No idempotency key: an ambiguous submit may only be adopted, never re-sent (TaskLookup).
    idempotentSubmit: false,
    lookup: 'adopt-only',
    imageForms: ['url', 'data-uri'],
    priceUnit: 'USD',
    usdPerUnit: 1,
    unverified: unverifiedShapes(`
      Replicate prices for every Kling model (none retrieved; priced at the assumed $0.28/s)
      Replicate kling-v1.6-pro inputs (not retrieved; the v1.6 standard inputs assumed)
      Replicate prediction listing carrying each prediction's webhook URL (the ambiguous-submit lookup matches on it)
      Replicate stored images sent as data URIs (the client sends small files that way)
    `),
  },
  check: (request: UnifiedRequest) =>
    checkAgainstOffers(REPLICATE_DISPLAY_NAME, REPLICATE_OFFERS, request),
  price: priceReplicate,
};
