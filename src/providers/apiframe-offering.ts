import type { UnifiedRequest } from '../request/unified-request.js';
import { APIFRAME_DISPLAY_NAME, APIFRAME_OFFERS, priceApiFrame } from './apiframe-catalog.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { checkAgainstOffers } from './offer-check.js';
import type { ProviderOffering } from './provider.js';

/** What APIFrame (seeds/004) sells; its transport is in apiframe.ts. */
export const APIFRAME_OFFERING: ProviderOffering = {
  id: 'apiframe',
  displayName: APIFRAME_DISPLAY_NAME,
  capabilities: {
    offers: APIFRAME_OFFERS,
    callbacks: true,
    callbackField: 'webhookUrl',
    // Submits carry Idempotency-Key, but there is no lookup by key to implement findTask.
    idempotentSubmit: false,
    imageForms: ['url'],
    priceUnit: 'credits',
    unverified: unverifiedShapes(`
      APIFrame submit response {jobId, status} (not in the seed; from its OpenAPI and SDK)
      APIFrame poll endpoint GET /v2/jobs/:id and its job shape (not in the seed; from its docs)
      APIFrame video result shape ({videoUrl} or a bare URL string; docs show both)
      APIFrame error bodies {error} and 402 {error, creditsRequired, creditsAvailable}
      APIFrame webhookUrl callbacks and the Idempotency-Key header
    `),
  },
  check: (request: UnifiedRequest) =>
    checkAgainstOffers(APIFRAME_DISPLAY_NAME, APIFRAME_OFFERS, request),
  price: priceApiFrame,
};
