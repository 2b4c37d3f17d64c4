import type { UnifiedRequest } from '../request/unified-request.js';
import {
  IMAGE_TO_VIDEO_ONLY,
  ONE_QUALITY_TIER,
  plainOfferFields,
  textOrImageFields,
} from './kit/catalog-rows.js';
import { offeredAmount, usdPrice } from './kit/offer-price.js';
import { OFFICIAL_ASPECT_RATIOS, OFFICIAL_DURATIONS } from './official-capability-map.js';
import type { ModelOffer, Price } from './provider.js';

/**
 * What Replicate sells of Kling (reference/peer-apis.md, from the kwaivgi model version
 * pages): one Replicate model per Kling model, `owner/name`, submitted to
 * `/v1/models/{owner}/{name}/predictions`. kling-v2.1 is one model with an input `mode`
 * (`standard` 720p / `pro` 1080p); the others have one tier per model.
 */

export const REPLICATE_DISPLAY_NAME = 'Replicate';

/** A Replicate offer: the model's own `mode` input value per unified mode, where it has one. */
export interface ReplicateOffer extends ModelOffer {
  inputMode?: Partial<Record<'std' | 'pro', string>>;
}

/**
 * The official Kling API's durations and aspect ratios. No prompt limit on the version pages:
 * Kling's own 2,500 characters is assumed. Renders take 3–5 minutes (providers.md §7).
 */
const common = {
  ...plainOfferFields({ promptLimit: 2500, typicalRenderSeconds: 240 }),
  ...textOrImageFields(OFFICIAL_ASPECT_RATIOS),
  durations: OFFICIAL_DURATIONS,
  modes: ['std', 'pro'],
  endpoint: '/v1/models/{owner}/{name}/predictions',
  cfgScale: false,
} as const satisfies Partial<ReplicateOffer>;

export const REPLICATE_OFFERS: readonly ReplicateOffer[] = [
  {
    ...common,
    model: 'kling-v1.6',
    providerModel: { std: 'kwaivgi/kling-v1.6-standard', pro: 'kwaivgi/kling-v1.6-pro' },
    endImage: 'unsupported',
    // "cfg_scale ≤ 1" on the v1.6 standard version page.
    cfgScale: true,
  },
  {
    ...common,
    model: 'kling-v2.1',
    providerModel: 'kwaivgi/kling-v2.1',
    inputMode: { std: 'standard', pro: 'pro' },
    // "start_image (required)"; "end_image (pro only)"; no aspect_ratio, no cfg_scale.
    ...IMAGE_TO_VIDEO_ONLY,
    endImage: 'pro-only',
  },
  {
    ...common,
    model: 'kling-v2.1-master',
    ...ONE_QUALITY_TIER,
    providerModel: 'kwaivgi/kling-v2.1-master',
    endImage: 'unsupported',
  },
  {
    ...common,
    model: 'kling-v2.5-turbo',
    modes: ['pro'],
    providerModel: 'kwaivgi/kling-v2.5-turbo-pro',
    endImage: 'supported',
  },
];

/**
 * No Replicate price was found in the stored docs (a third-party config lists
 * kling-v2.1-master at $0.28 per second of output). Every model is priced at that rate, the
 * highest seen for Kling on the peer platforms, so a budget is never spent on a low guess;
 * the README lists the prices as unverified.
 */
export const REPLICATE_ASSUMED_USD_PER_SECOND = 0.28;

/** Price of one request on Replicate; throws ValidationError when Replicate does not sell it. */
export function priceReplicate(request: UnifiedRequest): Price {
  const amount = offeredAmount(
    REPLICATE_DISPLAY_NAME,
    REPLICATE_OFFERS,
    request,
    (offer) =>
      offer.durations.includes(request.duration)
        ? Math.round(REPLICATE_ASSUMED_USD_PER_SECOND * request.duration * 10_000) / 10_000
        : undefined,
    { field: 'model', message: 'is not offered by Replicate' },
  );
  return usdPrice(amount);
}
