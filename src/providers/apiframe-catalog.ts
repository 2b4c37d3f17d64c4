import type { Mode, UnifiedRequest } from '../request/unified-request.js';
import { offeredAmount } from './kit/offer-price.js';
import type { ModelOffer, Price } from './provider.js';

/**
 * What APIFrame sells for Kling, from seeds/004 ("Kling 2.1"): one model, `kling-2.1`, whose
 * mode travels separately in `klingParams.mode` as "standard" or "pro".
 */

export const APIFRAME_DISPLAY_NAME = 'APIFrame';

/** Unified mode → `klingParams.mode`. The wire default is "pro", so the mode is always sent. */
export const APIFRAME_MODES: Readonly<Record<Mode, 'standard' | 'pro'>> = {
  std: 'standard',
  pro: 'pro',
};

/**
 * The seed gives no prompt limit. APIFrame's own OpenAPI (apiframe-ai/apiframe-nodejs-sdk,
 * openapi.json) allows 4,000 for kling-2.1, but the official Kling API behind it takes 2,500,
 * so the lower one is used; negative_prompt "max 2,500 chars" is in the seed.
 */
const PROMPT_LIMIT = 2500;
/** APIFrame's FAQ: "Videos — typically 1–5 minutes depending on duration". */
const TYPICAL_RENDER_SECONDS = 210;

export const APIFRAME_OFFERS: readonly ModelOffer[] = [
  {
    model: 'kling-v2.1',
    modes: ['std', 'pro'],
    durations: [5, 10],
    providerModel: 'kling-2.1',
    endpoint: '/v2/videos/generate',
    startImage: 'optional',
    // "URL of an image to use as the last frame (pro mode)".
    endImage: 'pro-only',
    aspectRatio: 'supported',
    aspectRatios: ['16:9', '9:16', '1:1'],
    cfgScale: true,
    cameraControl: 'unsupported',
    sound: 'unsupported',
    maxPromptLength: PROMPT_LIMIT,
    maxNegativePromptLength: 2500,
    typicalRenderSeconds: TYPICAL_RENDER_SECONDS,
  },
];

/** The seed's "Credit cost" table: variant → credits. */
export const APIFRAME_CREDITS: Readonly<
  Record<'standard' | 'pro', Readonly<Record<5 | 10, number>>>
> = {
  standard: { 5: 3, 10: 5 },
  pro: { 5: 5, 10: 10 },
};

/**
 * Price of one request in APIFrame credits. The seed gives no USD rate for a credit, so `usd`
 * stays undefined (routes ordered by cost put APIFrame where unknown prices go).
 */
export function priceApiFrame(request: UnifiedRequest): Price {
  const amount = offeredAmount(
    APIFRAME_DISPLAY_NAME,
    APIFRAME_OFFERS,
    request,
    () => APIFRAME_CREDITS[APIFRAME_MODES[request.mode]][request.duration as 5 | 10],
    { field: 'duration', message: 'has no APIFrame price', allowed: [5, 10] },
  );
  return { amount, unit: 'credits' };
}
