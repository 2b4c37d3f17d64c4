import type { UnifiedRequest } from '../request/unified-request.js';
import {
  IMAGE_TO_VIDEO_ONLY,
  ONE_QUALITY_TIER,
  plainOfferFields,
  textOrImageFields,
} from './kit/catalog-rows.js';
import { offeredAmount, usdPrice } from './kit/offer-price.js';
import { providerModelName } from './offer-check.js';
import type { ModelOffer, Price } from './provider.js';

/**
 * What HyprLab sells, from seeds/000 (HyprLab's Kling page). Every model is one endpoint; the
 * mode is part of the model name (`kling-v2.1-standard` / `-pro`), and v2 and 2.1 master have
 * no mode at all, so both unified modes map to the same name there.
 */

export const HYPRLAB_DISPLAY_NAME = 'HyprLab';

const SUBMIT_PATH = '/video/generations';
const DURATIONS = [5, 10] as const;
const ASPECT_RATIOS = ['16:9', '1:1', '9:16'] as const;
/** The seed gives no prompt limit; 2,500 is the official Kling API's limit, which HyprLab proxies. */
const PROMPT_LIMIT = 2500;
/** The seed: "Video Generation took 3-4 Minutes before it finish." */
const TYPICAL_RENDER_SECONDS = 210;

const common = {
  ...plainOfferFields({ promptLimit: PROMPT_LIMIT, typicalRenderSeconds: TYPICAL_RENDER_SECONDS }),
  durations: DURATIONS,
  endpoint: SUBMIT_PATH,
} as const satisfies Partial<ModelOffer>;
const textOrImage = textOrImageFields(ASPECT_RATIOS);

export const HYPRLAB_OFFERS: readonly ModelOffer[] = [
  {
    ...common,
    model: 'kling-v1.6',
    modes: ['std', 'pro'],
    providerModel: { std: 'kling-v1.6-standard', pro: 'kling-v1.6-pro' },
    ...textOrImage,
    endImage: 'supported',
    cfgScale: true,
  },
  {
    ...common,
    model: 'kling-v2',
    ...ONE_QUALITY_TIER,
    providerModel: 'kling-v2',
    ...textOrImage,
    endImage: 'unsupported',
    cfgScale: true,
  },
  {
    ...common,
    model: 'kling-v2.1',
    modes: ['std', 'pro'],
    providerModel: { std: 'kling-v2.1-standard', pro: 'kling-v2.1-pro' },
    // "start_image (string, required)" in the 2.1 PRO and STANDARD section; no aspect_ratio or cfg_scale there.
    ...IMAGE_TO_VIDEO_ONLY,
    endImage: 'unsupported',
    cfgScale: false,
  },
  {
    ...common,
    model: 'kling-v2.1-master',
    ...ONE_QUALITY_TIER,
    providerModel: 'kling-v2.1-master',
    ...textOrImage,
    endImage: 'unsupported',
    cfgScale: false,
  },
];

/** USD per video by HyprLab model name and duration, exactly as the seed's price list. */
export const HYPRLAB_PRICES_USD: Readonly<Record<string, Readonly<Record<5 | 10, number>>>> = {
  'kling-v2.1-master': { 5: 1, 10: 2 },
  'kling-v2.1-pro': { 5: 0.315, 10: 0.63 },
  'kling-v2.1-standard': { 5: 0.175, 10: 0.35 },
  'kling-v2': { 5: 1, 10: 2 },
  'kling-v1.6-pro': { 5: 0.35, 10: 0.7 },
  'kling-v1.6-standard': { 5: 0.2, 10: 0.4 },
};

/** Price of one request at HyprLab; throws ValidationError when HyprLab does not sell it. */
export function priceHyprLab(request: UnifiedRequest): Price {
  const amount = offeredAmount(
    HYPRLAB_DISPLAY_NAME,
    HYPRLAB_OFFERS,
    request,
    (offer) =>
      HYPRLAB_PRICES_USD[providerModelName(offer, request.mode)]?.[request.duration as 5 | 10],
    { field: 'duration', message: 'has no HyprLab price', allowed: DURATIONS },
  );
  return usdPrice(amount);
}
