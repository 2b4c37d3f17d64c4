import type { UnifiedRequest } from '../request/unified-request.js';
import {
  offeredAmount,
  plainOfferFields,
  textOrImageFields,
  usdPrice,
} from './kit/catalog-rows.js';
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

const DURATIONS = [5, 10] as const;
const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
/** No limit on the version pages; Kling's own 2,500 characters is assumed. */
const PROMPT_LIMIT = 2500;
const TYPICAL_RENDER_SECONDS = 240;

const common = {
  ...plainOfferFields({ promptLimit: PROMPT_LIMIT, typicalRenderSeconds: TYPICAL_RENDER_SECONDS }),
  ...textOrImageFields(ASPECT_RATIOS),
  durations: DURATIONS,
  endpoint: '/v1/models/{owner}/{name}/predictions',
  cfgScale: false,
} as const satisfies Partial<ReplicateOffer>;

export const REPLICATE_OFFERS: readonly ReplicateOffer[] = [
  {
    ...common,
    model: 'kling-v1.6',
    modes: ['std', 'pro'],
    providerModel: { std: 'kwaivgi/kling-v1.6-standard', pro: 'kwaivgi/kling-v1.6-pro' },
    endImage: 'unsupported',
    // "cfg_scale ≤ 1" on the v1.6 standard version page.
    cfgScale: true,
  },
  {
    ...common,
    model: 'kling-v2.1',
    modes: ['std', 'pro'],
    providerModel: 'kwaivgi/kling-v2.1',
    inputMode: { std: 'standard', pro: 'pro' },
    // "start_image (required)"; "end_image (pro only)"; no aspect_ratio, no cfg_scale.
    startImage: 'required',
    endImage: 'pro-only',
    aspectRatio: 'unsupported',
  },
  {
    ...common,
    model: 'kling-v2.1-master',
    modes: ['std', 'pro'],
    providerModel: 'kwaivgi/kling-v2.1-master',
    // One quality tier: pro is served with a warning, as the same model at the same price.
    modesWithoutEffect: ['pro'],
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
