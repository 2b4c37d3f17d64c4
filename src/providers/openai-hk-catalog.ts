import type { Model, UnifiedRequest } from '../request/unified-request.js';
import * as officialRules from './official-capability-map.js';
import type { OfficialModelOffer } from './official-format.js';
import type { Price } from './provider.js';

/**
 * What OpenAI-HK sells (seeds/001): the official Kling format behind
 * `https://api.openai-hk.com/kling`, with its own, older limits (prompt ≤500, negative ≤200),
 * model lists per endpoint, and a price table given as multipliers of a base price.
 */

export const OPENAI_HK_DISPLAY_NAME = 'OpenAI-HK';

/** "prompt … max 500 characters", "negative_prompt … max 200 characters" (every endpoint). */
const PROMPT_LIMIT = 500;
const NEGATIVE_PROMPT_LIMIT = 200;
/** The seed's finished text2video sample took 291 s from created_at to updated_at. */
const TYPICAL_RENDER_SECONDS = 240;
/** The seed's omni-video sample took 63 s. */
const TYPICAL_OMNI_RENDER_SECONDS = 60;

const text2video = {
  officialEndpoint: 'text2video',
  endpoint: '/v1/videos/text2video',
  durations: officialRules.OFFICIAL_DURATIONS,
  startImage: 'unsupported',
  endImage: 'unsupported',
  aspectRatio: 'supported',
  aspectRatios: officialRules.OFFICIAL_ASPECT_RATIOS,
  maxPromptLength: PROMPT_LIMIT,
  maxNegativePromptLength: NEGATIVE_PROMPT_LIMIT,
  typicalRenderSeconds: TYPICAL_RENDER_SECONDS,
} as const satisfies Partial<OfficialModelOffer>;

const image2video = {
  officialEndpoint: 'image2video',
  endpoint: '/v1/videos/image2video',
  modes: ['std', 'pro'],
  durations: officialRules.OFFICIAL_DURATIONS,
  startImage: 'required',
  // The seed's body lists aspect_ratio, but the official image2video endpoint takes none (the
  // video follows the image), so it is dropped with a warning rather than sent.
  aspectRatio: 'unsupported',
  cfgScale: true,
  cameraControl: 'unsupported',
  sound: 'unsupported',
  sendsMode: true,
  // image2video: "prompt … Positive text prompt — optional" (text2video: "required").
  promptOptionalWithImage: true,
  maxPromptLength: PROMPT_LIMIT,
  maxNegativePromptLength: NEGATIVE_PROMPT_LIMIT,
  typicalRenderSeconds: TYPICAL_RENDER_SECONDS,
} as const satisfies Partial<OfficialModelOffer>;

export const OPENAI_HK_OFFERS: readonly OfficialModelOffer[] = [
  // text2video: "model_name … kling-v1 kling-v2-master kling-v1-5 kling-v1-6 kling-v2-6"
  {
    ...text2video,
    model: 'kling-v1',
    modes: ['std', 'pro'],
    providerModel: 'kling-v1',
    sendsMode: true,
    cfgScale: true,
    cameraControl: officialRules.CAMERA_AT_5S_STD,
    sound: 'unsupported',
  },
  {
    ...text2video,
    model: 'kling-v1.5',
    modes: ['std', 'pro'],
    providerModel: 'kling-v1-5',
    sendsMode: true,
    cfgScale: true,
    // The official capability map has text-to-video camera control on kling-v1 only.
    cameraControl: 'unsupported',
    sound: 'unsupported',
  },
  {
    ...text2video,
    model: 'kling-v1.6',
    modes: ['std', 'pro'],
    providerModel: 'kling-v1-6',
    sendsMode: true,
    cfgScale: true,
    cameraControl: 'unsupported',
    sound: 'unsupported',
  },
  {
    ...text2video,
    model: 'kling-v2',
    // "mode … not supported by kling-v2-master": one tier, requested as std.
    modes: ['std'],
    providerModel: 'kling-v2-master',
    sendsMode: false,
    ...officialRules.NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...text2video,
    model: 'kling-v2.6',
    modes: ['std', 'pro'],
    providerModel: 'kling-v2-6',
    sendsMode: true,
    cfgScale: false,
    cameraControl: 'unsupported',
    // "sound … Only supported by kling-v2-6"; pro-only as on the official API (its capability map,
    // and apimodels prices audio in pro rows only).
    sound: 'pro-only',
  },
  // image2video: "model_name … kling-v1, kling-v1-5, kling-v1-6"; image_tail as on the official
  // API: kling-v1 in both modes at 5 s only, 1.5 and 1.6 in pro only. Camera control as on the
  // official capability map: kling-v1.5 only, `simple` type, pro, 5 s.
  {
    ...image2video,
    model: 'kling-v1',
    providerModel: 'kling-v1',
    endImage: 'supported',
    endImageDurations: officialRules.KLING_V1_END_IMAGE_DURATIONS,
  },
  {
    ...image2video,
    model: 'kling-v1.5',
    providerModel: 'kling-v1-5',
    endImage: 'pro-only',
    cameraControl: officialRules.CAMERA_SIMPLE_AT_5S_PRO,
  },
  { ...image2video, model: 'kling-v1.6', providerModel: 'kling-v1-6', endImage: 'pro-only' },
  // omni-video: `kling-video-o1`; images go in `image_list` as first/end frame (official O1 docs).
  {
    officialEndpoint: 'omni-video',
    endpoint: '/v1/videos/omni-video',
    model: 'kling-o1',
    modes: ['std', 'pro'],
    providerModel: 'kling-video-o1',
    sendsMode: true,
    durations: officialRules.OFFICIAL_DURATIONS,
    startImage: 'optional',
    endImage: 'supported',
    aspectRatio: 'ignored-with-start-image',
    aspectRatios: officialRules.OFFICIAL_ASPECT_RATIOS,
    ...officialRules.NO_CFG_CAMERA_OR_SOUND,
    maxPromptLength: PROMPT_LIMIT,
    typicalRenderSeconds: TYPICAL_OMNI_RENDER_SECONDS,
    // `video_list`: a reference video, priced ×1.5 (seeds/001).
    referenceVideo: true,
    // The O1 request has no negative_prompt: describe what to avoid in the prompt instead.
    maxNegativePromptLength: 0,
  },
];

// ---------------------------------------------------------------------------------------------
// Prices. The seed gives no money amount: "kling-v1 at 5s duration in std mode is the base
// price", and every other combination as a multiple of it, so prices are in 'base-units'.

/** "kling-v1-5 and kling-v1-6 cost 2x the base price", "kling-v2-master costs 10x". */
export const SEED_MODEL_MULTIPLIERS: Partial<Record<Model, number>> = {
  'kling-v1': 1,
  'kling-v1.5': 2,
  'kling-v1.6': 2,
  'kling-v2': 10,
};

/**
 * Assumption: the seed lists kling-v2-6 (and the official API sells more v2.x/v3 models) without
 * a multiplier. They are priced like kling-v2-master, the highest published tier, so a route is
 * never ranked cheaper than it may be.
 */
export const ASSUMED_MODEL_MULTIPLIER = 10;

/** "10s duration costs 2x the base price". */
const SECONDS_PER_BASE_DURATION = 5;
/** "pro mode costs 3.5x the base price". */
export const PRO_MULTIPLIER = 3.5;
/** "audio costs 2x the base price". */
export const SOUND_MULTIPLIER = 2;

type PricedRequest = Pick<UnifiedRequest, 'model' | 'mode' | 'duration' | 'sound'>;

/**
 * The seed's multipliers combined: model × (duration / 5 s) × (pro ? 3.5) × (sound ? 2).
 * E.g. kling-v1-5 at 10 s in pro = 1 × 2 (model) × 2 (10 s) × 3.5 (pro) = 14 base units.
 */
export function baseUnitPrice(request: PricedRequest): number {
  const model = SEED_MODEL_MULTIPLIERS[request.model] ?? ASSUMED_MODEL_MULTIPLIER;
  const duration = request.duration / SECONDS_PER_BASE_DURATION;
  const mode = request.mode === 'pro' ? PRO_MULTIPLIER : 1;
  const sound = request.sound ? SOUND_MULTIPLIER : 1;
  return roundPrice(model * duration * mode * sound);
}

/**
 * Omni-video (O1) is billed in credits per second of video. The seed's worked example
 * "mode = pro, duration 5s, with video reference = 4/3 * 9000 * 1.5 * 5 = 90,000 credits" gives
 * the std rate, 9,000 credits per second, and the two multipliers.
 */
export const OMNI_CREDITS_PER_SECOND = 9000;
/** "mode is pro, the price multiplier is 4/3". */
export const OMNI_PRO_MULTIPLIER = 4 / 3;
/** "video_list contains a video reference, the price multiplier is 1.5". */
export const OMNI_VIDEO_REFERENCE_MULTIPLIER = 1.5;

export function omniCredits(options: {
  mode: UnifiedRequest['mode'];
  duration: number;
  /** A `referenceVideo` (omni-video `video_list`): ×1.5. */
  videoReference?: boolean;
}): number {
  // 4/3 is applied as ×4 ÷3 on the integer product so the result stays exact.
  const base = OMNI_CREDITS_PER_SECOND * options.duration;
  const mode = options.mode === 'pro' ? (base * 4) / 3 : base;
  const reference = options.videoReference ? mode * OMNI_VIDEO_REFERENCE_MULTIPLIER : mode;
  return roundPrice(reference);
}

export function priceOpenAiHk(request: UnifiedRequest): Price {
  if (request.model === 'kling-o1') {
    const videoReference = request.referenceVideo !== undefined;
    return { amount: omniCredits({ ...request, videoReference }), unit: 'credits' };
  }
  return { amount: baseUnitPrice(request), unit: 'base-units' };
}

/** Multiplying decimals (3.5, 4/3) must not leave 13.999999 in a price. */
function roundPrice(amount: number): number {
  return Math.round(amount * 1e6) / 1e6;
}
