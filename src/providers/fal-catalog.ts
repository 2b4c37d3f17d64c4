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
 * What fal.ai sells of Kling (reference/peer-apis.md, from fal-js's generated endpoint types
 * and fal's llms.txt model pages). Every model family is a fal endpoint id per tier, e.g.
 * `fal-ai/kling-video/v2.1/pro`, with `/text-to-video` and `/image-to-video` under it; the
 * submit picks the one by whether a start image is given. Some families are image-to-video
 * only (v2.1, v2.5-turbo standard, o1), so their offers require a start image.
 */

export const FAL_DISPLAY_NAME = 'fal.ai';

/** A fal offer: which image fields its endpoints take (they were renamed from v2.6 on). */
export interface FalOffer extends ModelOffer {
  /** `providerModel` is the endpoint family; these are the two endpoints under it. */
  textToVideo: boolean;
  /** v1 to v2.5: `image_url` / `tail_image_url`; v2.6, v3 and o1: `start_image_url` / `end_image_url`. */
  imageFields: 'image_url' | 'start_image_url';
}

const DURATIONS = [5, 10] as const;
const V3_DURATIONS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] as const;
const O1_DURATIONS = [3, 4, 5, 6, 7, 8, 9, 10] as const;
const ASPECT_RATIOS = ['16:9', '9:16', '1:1'] as const;
/** fal's Kling inputs: "For best results keep the prompt under 2500 characters". */
const PROMPT_LIMIT = 2500;
/** Kling renders take 3–5 minutes (reference/providers.md §7); fal queues in front of them. */
const TYPICAL_RENDER_SECONDS = 240;

const common = {
  ...plainOfferFields({ promptLimit: PROMPT_LIMIT, typicalRenderSeconds: TYPICAL_RENDER_SECONDS }),
  ...textOrImageFields(ASPECT_RATIOS),
  durations: DURATIONS,
  cfgScale: true,
  textToVideo: true,
  imageFields: 'image_url',
} as const satisfies Partial<FalOffer>;

const KV = 'fal-ai/kling-video';

/** The endpoint as the providers table shows it, relative to the base URL. */
function endpointOf(families: string, textToVideo: boolean): string {
  return `/${KV}/${families}/${textToVideo ? '{text,image}' : 'image'}-to-video`;
}

export const FAL_OFFERS: readonly FalOffer[] = [
  {
    ...common,
    model: 'kling-v1',
    modes: ['std'],
    providerModel: `${KV}/v1/standard`,
    endpoint: endpointOf('v1/standard', true),
    endImage: 'supported',
  },
  {
    ...common,
    model: 'kling-v1.5',
    modes: ['pro'],
    providerModel: `${KV}/v1.5/pro`,
    endpoint: endpointOf('v1.5/pro', true),
    endImage: 'unsupported',
  },
  {
    ...common,
    model: 'kling-v1.6',
    modes: ['std', 'pro'],
    providerModel: { std: `${KV}/v1.6/standard`, pro: `${KV}/v1.6/pro` },
    endpoint: endpointOf('v1.6/{standard,pro}', true),
    // The standard image-to-video input has no tail_image_url; pro has one.
    endImage: 'pro-only',
  },
  {
    ...common,
    model: 'kling-v2',
    ...ONE_QUALITY_TIER,
    providerModel: `${KV}/v2/master`,
    endpoint: endpointOf('v2/master', true),
    endImage: 'unsupported',
  },
  {
    ...common,
    model: 'kling-v2.1',
    modes: ['std', 'pro'],
    providerModel: { std: `${KV}/v2.1/standard`, pro: `${KV}/v2.1/pro` },
    endpoint: endpointOf('v2.1/{standard,pro}', false),
    // v2.1 standard and pro are image-to-video only on fal; only pro takes tail_image_url.
    textToVideo: false,
    ...IMAGE_TO_VIDEO_ONLY,
    endImage: 'pro-only',
  },
  {
    ...common,
    model: 'kling-v2.1-master',
    ...ONE_QUALITY_TIER,
    providerModel: `${KV}/v2.1/master`,
    endpoint: endpointOf('v2.1/master', true),
    endImage: 'unsupported',
  },
  {
    ...common,
    model: 'kling-v2.5-turbo',
    modes: ['pro'],
    providerModel: `${KV}/v2.5-turbo/pro`,
    endpoint: endpointOf('v2.5-turbo/pro', true),
    endImage: 'supported',
  },
  {
    ...common,
    model: 'kling-v2.5-turbo',
    modes: ['std'],
    providerModel: `${KV}/v2.5-turbo/standard`,
    endpoint: endpointOf('v2.5-turbo/standard', false),
    textToVideo: false,
    ...IMAGE_TO_VIDEO_ONLY,
    endImage: 'unsupported',
  },
  {
    ...common,
    model: 'kling-v2.6',
    modes: ['pro'],
    providerModel: `${KV}/v2.6/pro`,
    endpoint: endpointOf('v2.6/pro', true),
    imageFields: 'start_image_url',
    endImage: 'supported',
    sound: 'supported',
    // The v2.6 image-to-video input has no cfg_scale.
    cfgScale: false,
  },
  {
    ...common,
    model: 'kling-v3',
    modes: ['std', 'pro'],
    durations: V3_DURATIONS,
    providerModel: { std: `${KV}/v3/standard`, pro: `${KV}/v3/pro` },
    endpoint: endpointOf('v3/{standard,pro}', true),
    imageFields: 'start_image_url',
    endImage: 'supported',
    sound: 'supported',
    shots: true,
  },
  {
    ...common,
    model: 'kling-o1',
    modes: ['std', 'pro'],
    durations: O1_DURATIONS,
    providerModel: { std: `${KV}/o1/standard`, pro: `${KV}/o1` },
    endpoint: endpointOf('o1[/standard]', false),
    textToVideo: false,
    ...IMAGE_TO_VIDEO_ONLY,
    imageFields: 'start_image_url',
    endImage: 'supported',
    cfgScale: false,
    // The o1 input lists no negative_prompt: describe what to avoid in the prompt instead.
    maxNegativePromptLength: 0,
  },
];

/** A published fal price: per second, or per first 5 s plus per extra second. */
export type FalRate =
  | { perSecond: number; perSecondWithAudio?: number }
  | { firstFiveSeconds: number; perExtraSecond: number };

/**
 * The USD prices fal publishes on its llms.txt model pages, by endpoint family (v3 quoted
 * from a secondary source, see peer-apis.md). Families not listed have no retrieved price.
 */
export const FAL_PRICES_USD: Readonly<Record<string, FalRate>> = {
  [`${KV}/v1/standard`]: { perSecond: 0.045 },
  [`${KV}/v2.1/standard`]: { firstFiveSeconds: 0.28, perExtraSecond: 0.056 },
  [`${KV}/v2.1/pro`]: { firstFiveSeconds: 0.49, perExtraSecond: 0.098 },
  [`${KV}/v2.5-turbo/pro`]: { firstFiveSeconds: 0.35, perExtraSecond: 0.07 },
  [`${KV}/v2.5-turbo/standard`]: { firstFiveSeconds: 0.21, perExtraSecond: 0.042 },
  [`${KV}/v3/standard`]: { perSecond: 0.084, perSecondWithAudio: 0.126 },
  [`${KV}/v3/pro`]: { perSecond: 0.112, perSecondWithAudio: 0.168 },
};

/**
 * Families whose price was not retrieved are priced at $0.28 per second, the highest Kling
 * rate seen on the peer platforms (v2.1 master): a budget is never spent on a guess that is
 * too low. The README lists them as unverified.
 */
export const FAL_ASSUMED_USD_PER_SECOND = 0.28;

/** The USD price of `seconds` at a rate, to four decimals like the published figures. */
export function falAmount(rate: FalRate, seconds: number, audio: boolean): number {
  const amount =
    'perSecond' in rate
      ? (audio ? (rate.perSecondWithAudio ?? rate.perSecond) : rate.perSecond) * seconds
      : rate.firstFiveSeconds + Math.max(0, seconds - 5) * rate.perExtraSecond;
  return Math.round(amount * 10_000) / 10_000;
}

/** Price of one request on fal.ai; throws ValidationError when fal does not sell it. */
export function priceFal(request: UnifiedRequest): Price {
  const amount = offeredAmount(
    FAL_DISPLAY_NAME,
    FAL_OFFERS,
    request,
    (offer) => {
      if (!offer.durations.includes(request.duration)) return undefined;
      const rate = FAL_PRICES_USD[providerModelName(offer, request.mode)] ?? {
        perSecond: FAL_ASSUMED_USD_PER_SECOND,
      };
      return falAmount(rate, request.duration, request.sound === true);
    },
    { field: 'model', message: 'is not offered by fal.ai' },
  );
  return usdPrice(amount);
}
