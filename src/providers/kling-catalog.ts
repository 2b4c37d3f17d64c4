import type { UnifiedRequest } from '../request/unified-request.js';
import {
  CAMERA_AT_5S_STD,
  CAMERA_SIMPLE_AT_5S_PRO,
  KLING_V1_END_IMAGE_DURATIONS,
  NO_CFG_CAMERA_OR_SOUND,
  OFFICIAL_ASPECT_RATIOS,
  OFFICIAL_DURATIONS,
} from './official-capability-map.js';
import type { OfficialModelOffer } from './official-format.js';
import {
  baseUnitPrice,
  OMNI_PRO_MULTIPLIER,
  OMNI_VIDEO_REFERENCE_MULTIPLIER,
} from './openai-hk-catalog.js';
import type { Price } from './provider.js';

/**
 * What the official Kling API sells (reference/providers.md §1, the endpoint × model table),
 * with the per-model rules from its capability map: cfg_scale only before v2, image_tail
 * (end frame) pro-only from 1.5 on and 5 s only on kling-v1, sound pro-only on v2-6, camera
 * control on kling-v1 text-to-video at 5 s std and on kling-v1.5 image-to-video (`simple`, pro,
 * 5 s), v3 at 3–15 s, and the master models with a single quality tier.
 */

export const KLING_DISPLAY_NAME = 'Kling (official API)';

const V3_DURATIONS = [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] as const;
/** The official limits for `prompt` and `negative_prompt`. */
const PROMPT_LIMIT = 2500;
/** Renders take 3–5 minutes (providers.md §7). */
const TYPICAL_RENDER_SECONDS = 240;
/** The omni-video sample in seeds/001 finished in 63 s. */
const TYPICAL_OMNI_RENDER_SECONDS = 60;
const shared = {
  maxPromptLength: PROMPT_LIMIT,
  maxNegativePromptLength: PROMPT_LIMIT,
  typicalRenderSeconds: TYPICAL_RENDER_SECONDS,
} as const;

const text2video = {
  ...shared,
  officialEndpoint: 'text2video',
  endpoint: '/v1/videos/text2video',
  startImage: 'unsupported',
  endImage: 'unsupported',
  aspectRatio: 'supported',
  aspectRatios: OFFICIAL_ASPECT_RATIOS,
} as const satisfies Partial<OfficialModelOffer>;

const image2video = {
  ...shared,
  officialEndpoint: 'image2video',
  endpoint: '/v1/videos/image2video',
  startImage: 'required',
  // image2video takes no aspect_ratio: the video follows the image.
  aspectRatio: 'unsupported',
  // image2video: "prompt … optional" (seeds/001, OpenAI-HK's copy of the official fields);
  // text2video and omni-video require it.
  promptOptionalWithImage: true,
} as const satisfies Partial<OfficialModelOffer>;

const twoModes = { modes: ['std', 'pro'], sendsMode: true } as const;
/** Master models: one quality tier, requested as std, no `mode` on the wire. */
const singleTier = { modes: ['std'], sendsMode: false } as const;

export const KLING_OFFERS: readonly OfficialModelOffer[] = [
  // text2video: kling-v1 (default), v1-6, v2-master, v2-1-master, v2-5-turbo, v2-6, v3
  {
    ...text2video,
    ...twoModes,
    model: 'kling-v1',
    providerModel: 'kling-v1',
    durations: OFFICIAL_DURATIONS,
    cfgScale: true,
    cameraControl: CAMERA_AT_5S_STD,
    sound: 'unsupported',
  },
  {
    ...text2video,
    ...twoModes,
    model: 'kling-v1.6',
    providerModel: 'kling-v1-6',
    durations: OFFICIAL_DURATIONS,
    cfgScale: true,
    cameraControl: 'unsupported',
    sound: 'unsupported',
  },
  {
    ...text2video,
    ...singleTier,
    model: 'kling-v2',
    providerModel: 'kling-v2-master',
    durations: OFFICIAL_DURATIONS,
    ...NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...text2video,
    ...singleTier,
    model: 'kling-v2.1-master',
    providerModel: 'kling-v2-1-master',
    durations: OFFICIAL_DURATIONS,
    ...NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...text2video,
    ...twoModes,
    model: 'kling-v2.5-turbo',
    providerModel: 'kling-v2-5-turbo',
    durations: OFFICIAL_DURATIONS,
    ...NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...text2video,
    ...twoModes,
    model: 'kling-v2.6',
    providerModel: 'kling-v2-6',
    durations: OFFICIAL_DURATIONS,
    cfgScale: false,
    cameraControl: 'unsupported',
    sound: 'pro-only',
  },
  {
    ...text2video,
    ...twoModes,
    model: 'kling-v3',
    providerModel: 'kling-v3',
    durations: V3_DURATIONS,
    cfgScale: false,
    cameraControl: 'unsupported',
    sound: 'supported',
    // multi_shot + multi_prompt (official-multi-shot.ts); priced per second like one shot.
    shots: true,
  },
  // image2video: kling-v1, v1-5, v1-6, v2-master, v2-1, v2-1-master, v2-5-turbo, v2-6, v3
  {
    ...image2video,
    ...twoModes,
    model: 'kling-v1',
    providerModel: 'kling-v1',
    durations: OFFICIAL_DURATIONS,
    endImage: 'supported',
    endImageDurations: KLING_V1_END_IMAGE_DURATIONS,
    cfgScale: true,
    // The map has camera control for kling-v1 text-to-video only; the API refuses it here (1201).
    cameraControl: 'unsupported',
    sound: 'unsupported',
  },
  {
    ...image2video,
    ...twoModes,
    model: 'kling-v1.5',
    providerModel: 'kling-v1-5',
    durations: OFFICIAL_DURATIONS,
    endImage: 'pro-only',
    cfgScale: true,
    cameraControl: CAMERA_SIMPLE_AT_5S_PRO,
    sound: 'unsupported',
  },
  {
    ...image2video,
    ...twoModes,
    model: 'kling-v1.6',
    providerModel: 'kling-v1-6',
    durations: OFFICIAL_DURATIONS,
    endImage: 'pro-only',
    cfgScale: true,
    cameraControl: 'unsupported',
    sound: 'unsupported',
  },
  {
    ...image2video,
    ...singleTier,
    model: 'kling-v2',
    providerModel: 'kling-v2-master',
    durations: OFFICIAL_DURATIONS,
    endImage: 'unsupported',
    ...NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...image2video,
    ...twoModes,
    model: 'kling-v2.1',
    providerModel: 'kling-v2-1',
    durations: OFFICIAL_DURATIONS,
    endImage: 'pro-only',
    ...NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...image2video,
    ...singleTier,
    model: 'kling-v2.1-master',
    providerModel: 'kling-v2-1-master',
    durations: OFFICIAL_DURATIONS,
    endImage: 'unsupported',
    ...NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...image2video,
    ...twoModes,
    model: 'kling-v2.5-turbo',
    providerModel: 'kling-v2-5-turbo',
    durations: OFFICIAL_DURATIONS,
    endImage: 'pro-only',
    ...NO_CFG_CAMERA_OR_SOUND,
  },
  {
    ...image2video,
    ...twoModes,
    model: 'kling-v2.6',
    providerModel: 'kling-v2-6',
    durations: OFFICIAL_DURATIONS,
    endImage: 'pro-only',
    cfgScale: false,
    cameraControl: 'unsupported',
    sound: 'pro-only',
  },
  {
    ...image2video,
    ...twoModes,
    model: 'kling-v3',
    providerModel: 'kling-v3',
    durations: V3_DURATIONS,
    endImage: 'supported',
    cfgScale: false,
    cameraControl: 'unsupported',
    sound: 'supported',
    // Multi-shot from a first frame (no end frame with shots: official-multi-shot.ts).
    shots: true,
  },
  // omni-video: kling-video-o1; text and first-frame requests take 5 or 10 s.
  {
    ...shared,
    ...twoModes,
    officialEndpoint: 'omni-video',
    endpoint: '/v1/videos/omni-video',
    model: 'kling-o1',
    providerModel: 'kling-video-o1',
    durations: OFFICIAL_DURATIONS,
    startImage: 'optional',
    endImage: 'supported',
    aspectRatio: 'ignored-with-start-image',
    aspectRatios: OFFICIAL_ASPECT_RATIOS,
    ...NO_CFG_CAMERA_OR_SOUND,
    typicalRenderSeconds: TYPICAL_OMNI_RENDER_SECONDS,
    // `video_list`: a reference video, priced ×1.5 (the seeds/001 omni rule).
    referenceVideo: true,
    // The O1 request has no negative_prompt: describe what to avoid in the prompt instead.
    maxNegativePromptLength: 0,
  },
];

/**
 * O1 in base units: the seeds/001 omni sample is one task (847130448077000794) created as
 * std, 5 s, and its query reports `final_unit_deduction: "4"`, i.e. 0.8 units per second; pro
 * uses the seed's 4/3 omni multiplier.
 */
const OMNI_UNITS_PER_SECOND = 4 / 5;

/**
 * No seed gives the official API's prices, and no public source found gives them per model.
 * OpenAI-HK resells the official API and publishes its prices as multiples of the kling-v1 5 s
 * std price, so the official API is priced with the same multiplier model, in 'base-units'
 * (models the seed does not list take the assumed v2-master tier: see openai-hk-catalog.ts).
 */
export function priceKling(request: UnifiedRequest): Price {
  if (request.model === 'kling-o1') {
    const reference = request.referenceVideo ? OMNI_VIDEO_REFERENCE_MULTIPLIER : 1;
    const mode = request.mode === 'pro' ? OMNI_PRO_MULTIPLIER : 1;
    const perSecond = OMNI_UNITS_PER_SECOND * mode * reference;
    return { amount: Math.round(perSecond * request.duration * 1e6) / 1e6, unit: 'base-units' };
  }
  return { amount: baseUnitPrice(request), unit: 'base-units' };
}
