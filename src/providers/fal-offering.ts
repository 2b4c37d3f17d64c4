import type { UnifiedRequest } from '../request/unified-request.js';
import { FAL_DISPLAY_NAME, FAL_OFFERS, priceFal } from './fal-catalog.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { checkAgainstOffers } from './offer-check.js';
import type { ProviderOffering } from './provider.js';

/** What fal.ai sells (reference/peer-apis.md); its transport is in fal.ts. */
export const FAL_OFFERING: ProviderOffering = {
  id: 'fal',
  displayName: FAL_DISPLAY_NAME,
  capabilities: {
    offers: FAL_OFFERS,
    callbacks: true,
    callbackField: 'fal_webhook',
    // fal's queue takes no idempotency key: an ambiguous submit is never re-sent.
    idempotentSubmit: false,
    imageForms: ['url', 'data-uri'],
    priceUnit: 'USD',
    usdPerUnit: 1,
    unverified: unverifiedShapes(`
      fal.ai prices for kling-v1.5, kling-v1.6, kling-v2, kling-v2.1-master, kling-v2.6 and kling-o1 (not retrieved; priced at the assumed $0.28/s)
      fal.ai kling-v3 prices (quoted from a secondary source, not from fal's own page)
      fal.ai not-found answer for a request id (HTTP 404 with its {detail} body assumed)
      fal.ai result answer for a failed request (an error status with {detail} assumed)
      fal.ai error and error_type fields on a COMPLETED status (read when present)
      fal.ai cancel answers (202 CANCELLATION_REQUESTED, 400 ALREADY_COMPLETED assumed)
      fal.ai stored images sent as data URIs (fal documents data URIs as file inputs)
    `),
  },
  check: (request: UnifiedRequest) => checkAgainstOffers(FAL_DISPLAY_NAME, FAL_OFFERS, request),
  price: priceFal,
};
