import type { Mode, UnifiedRequest } from '../request/unified-request.js';
import { plainOfferFields } from './kit/catalog-rows.js';
import type { ModelOffer, Price } from './provider.js';

/**
 * What 302.AI sells (seeds/002, "Kling Image video 2.1"): image-to-video 2.1 in four fixed
 * endpoints, 5 s and 10 s, standard and HD, each with its own price in PTC per call. Unified
 * `kling-v2.1` std maps to the 2.1 endpoints, pro to the HD ones.
 */

export const AI302_DISPLAY_NAME = '302.AI';

/**
 * Unverified: the seed names the four endpoints but not their URLs. These paths are the ones
 * public 302.AI clients on GitHub post to (`/klingai/m2v_21_img2video`, `…_10s`,
 * `…_hq`, `…_hq_10s`, multipart with `input_image`).
 */
export const AI302_SUBMIT_PATHS: Record<Mode, Record<5 | 10, string>> = {
  std: { 5: '/klingai/m2v_21_img2video', 10: '/klingai/m2v_21_img2video_10s' },
  pro: { 5: '/klingai/m2v_21_img2video_hq', 10: '/klingai/m2v_21_img2video_hq_10s' },
};

/** Seed prices per call: 2.1 5 s 0.3, 10 s 0.6; HD 5 s 0.5, HD 10 s 1 (PTC). Fetch is free. */
export const AI302_PRICES_PTC: Record<Mode, Record<5 | 10, number>> = {
  std: { 5: 0.3, 10: 0.6 },
  pro: { 5: 0.5, 10: 1 },
};

/**
 * Unverified: 302.AI's PTC is its prepaid balance unit; it is taken as pegged 1:1 to USD (its
 * price pages quote PTC where other resellers quote dollars). No public source found states it.
 */
export const AI302_USD_PER_PTC = 1;

/** The seed gives no prompt limit; 2,500 is the official Kling limit 302.AI forwards to. */
const PROMPT_LIMIT = 2500;
/** Kling 2.1 image-to-video renders in 3–5 minutes (providers.md §7). */
const TYPICAL_RENDER_SECONDS = 240;

const common = {
  model: 'kling-v2.1',
  durations: [5, 10],
  // "input_image … Required: First frame"
  startImage: 'required',
  // "prompt string Optional": every request here is image-to-video.
  promptOptionalWithImage: true,
  endImage: 'unsupported',
  // "aspect_ratio … Choose one of 1:1, 16:9, 9:16"
  aspectRatio: 'supported',
  aspectRatios: ['1:1', '16:9', '9:16'],
  ...plainOfferFields({ promptLimit: PROMPT_LIMIT, typicalRenderSeconds: TYPICAL_RENDER_SECONDS }),
  // `cfg`, [0, 1]
  cfgScale: true,
  // `enable_audio`: "Simultaneously generate video and audio"
  sound: 'supported',
} as const satisfies Partial<ModelOffer>;

export const AI302_OFFERS: readonly ModelOffer[] = [
  {
    ...common,
    modes: ['std'],
    providerModel: 'm2v_21_img2video',
    endpoint: AI302_SUBMIT_PATHS.std[5],
  },
  {
    ...common,
    modes: ['pro'],
    providerModel: 'm2v_21_img2video_hq',
    endpoint: AI302_SUBMIT_PATHS.pro[5],
  },
];

/** The submit path for a request the catalog accepts (5 or 10 s). */
export function ai302SubmitPath(request: Pick<UnifiedRequest, 'mode' | 'duration'>): string {
  const path = AI302_SUBMIT_PATHS[request.mode][request.duration as 5 | 10];
  if (!path) throw new Error(`302.AI has no ${request.mode} endpoint for ${request.duration} s`);
  return path;
}

export function priceAi302(request: UnifiedRequest): Price {
  const amount = AI302_PRICES_PTC[request.mode][request.duration as 5 | 10];
  if (amount === undefined) {
    // Only reached for requests check() rejects; priced as the dearest call so it never looks cheap.
    return { amount: AI302_PRICES_PTC.pro[10], unit: 'PTC', usd: AI302_PRICES_PTC.pro[10] };
  }
  return { amount, unit: 'PTC', usd: amount * AI302_USD_PER_PTC };
}
