import type { UnifiedRequest } from '../request/unified-request.js';
import { HYPRLAB_DISPLAY_NAME, HYPRLAB_OFFERS, priceHyprLab } from './hyprlab-catalog.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { checkAgainstOffers } from './offer-check.js';
import type { ProviderOffering } from './provider.js';

/** What HyprLab (seeds/000) sells; its transport is in hyprlab.ts. */
export const HYPRLAB_OFFERING: ProviderOffering = {
  id: 'hyprlab',
  displayName: HYPRLAB_DISPLAY_NAME,
  capabilities: {
    offers: HYPRLAB_OFFERS,
    callbacks: false,
    idempotentSubmit: false,
    imageForms: ['url', 'data-uri', 'base64'],
    priceUnit: 'USD',
    usdPerUnit: 1,
    unverified: unverifiedShapes(`
      HyprLab poll body while the video renders (no seed shows it; read tolerantly)
      HyprLab poll body for a failed task (no seed shows it; read tolerantly)
      HyprLab error response bodies (OpenAI-style {error:{message}} assumed)
      HyprLab not-found answer for a polling URL (HTTP 404 with its {error:{message}} body assumed)
      HyprLab prompt limit (the seed gives none; the official 2,500 characters assumed)
    `),
  },
  check: (request: UnifiedRequest) =>
    checkAgainstOffers(HYPRLAB_DISPLAY_NAME, HYPRLAB_OFFERS, request),
  price: priceHyprLab,
};
