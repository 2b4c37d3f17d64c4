import { ValidationError, type ValidationIssue } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import { checkAgainstOffers } from './offer-check.js';
import type { ModelOffer, Price } from './provider.js';

/**
 * What apimodels.app sells, from seeds/003: kling-v2.6, kling-v3 (with `multi_shot`), and
 * `kling-motion-control` (a character image performs a motion video, 720p/1080p, up to 30 s,
 * $0.0309). The seed: prompt is "Required for text-to-video", so image-to-video may leave it out.
 */

export const APIMODELS_DISPLAY_NAME = 'apimodels.app';

const SUBMIT_PATH = '/api/v1/video/generations';
/** The seed: prompt and negative_prompt "max 2500 chars". */
export const APIMODELS_PROMPT_LIMIT = 2500;
/** No render time in the seed (only "poll every 5-10 seconds"); Kling renders take 3–5 minutes. */
const TYPICAL_RENDER_SECONDS = 210;

const common = {
  modes: ['std', 'pro'],
  endpoint: SUBMIT_PATH,
  startImage: 'optional',
  aspectRatio: 'supported',
  aspectRatios: ['16:9', '9:16', '1:1'],
  cfgScale: true,
  cameraControl: 'supported',
  maxPromptLength: APIMODELS_PROMPT_LIMIT,
  maxNegativePromptLength: APIMODELS_PROMPT_LIMIT,
  typicalRenderSeconds: TYPICAL_RENDER_SECONDS,
  promptOptionalWithImage: true,
} as const satisfies Partial<ModelOffer>;

/** "Supports up to 30s": the motion video's length, which sets the output's. */
export const MOTION_CONTROL_DURATIONS = Array.from({ length: 30 }, (_, index) => index + 1);

export const APIMODELS_OFFERS: readonly ModelOffer[] = [
  {
    ...common,
    model: 'kling-v2.6',
    durations: [5, 10],
    providerModel: 'kling-v2-6',
    // Audio appears only in pro rows of the seed's v2.6 price table; the official API also
    // makes sound and start+end frames pro-only on kling-v2-6 (reference §7).
    endImage: 'pro-only',
    sound: 'pro-only',
  },
  {
    ...common,
    model: 'kling-v3',
    durations: [3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
    providerModel: 'kling-v3',
    endImage: 'supported',
    sound: 'supported',
    // "multi_shot: Enable multi-shot video generation" (the shots go as the official multi_prompt).
    shots: true,
  },
  {
    ...common,
    model: 'kling-motion-control',
    // std and pro are the seed's 720p and 1080p, at the same price.
    durations: MOTION_CONTROL_DURATIONS,
    providerModel: 'kling-motion-control',
    // "requires both image (character reference) and motion_video (motion source)".
    startImage: 'required',
    motionVideo: 'required',
    endImage: 'unsupported',
    aspectRatio: 'unsupported',
    cfgScale: false,
    cameraControl: 'unsupported',
    sound: 'unsupported',
  },
];

/** The seed's "Kling Motion Control (30% off)" table: 720p or 1080p, up to 30 s, per video. */
export const APIMODELS_MOTION_CONTROL_USD = 0.0309;

/** One row of the seed's Kling V2.6 table: USD per video. */
export interface ApiModelsV26PriceRow {
  mode: 'std' | 'pro';
  duration: 5 | 10;
  audio: boolean;
  voice: boolean;
  usd: number;
}

/** The seed's "Kling V2.6" table, row for row. */
export const APIMODELS_V26_PRICES: readonly ApiModelsV26PriceRow[] = [
  { mode: 'std', duration: 5, audio: false, voice: false, usd: 0.0159 },
  { mode: 'std', duration: 10, audio: false, voice: false, usd: 0.032 },
  { mode: 'pro', duration: 5, audio: false, voice: false, usd: 0.0267 },
  { mode: 'pro', duration: 10, audio: false, voice: false, usd: 0.0531 },
  { mode: 'pro', duration: 5, audio: true, voice: false, usd: 0.0531 },
  { mode: 'pro', duration: 10, audio: true, voice: false, usd: 0.1064 },
  { mode: 'pro', duration: 5, audio: true, voice: true, usd: 0.0639 },
  { mode: 'pro', duration: 10, audio: true, voice: true, usd: 0.1275 },
];

/** The seed's "Kling V3" table: USD per second, for 3–15 s. */
export const APIMODELS_V3_PER_SECOND: Readonly<
  Record<'std' | 'pro', Readonly<Record<'silent' | 'audio', number>>>
> = {
  std: { silent: 0.0633, audio: 0.0956 },
  pro: { silent: 0.0853, audio: 0.128 },
};

/** `providerOptions.apimodels.voice_list`, the seed's voice customisation (V2.6+, max 2). */
export function apiModelsVoiceList(request: UnifiedRequest): unknown {
  return request.providerOptions?.apimodels?.voice_list;
}

function hasVoices(request: UnifiedRequest): boolean {
  const voices = apiModelsVoiceList(request);
  return Array.isArray(voices) && voices.length > 0;
}

/**
 * Rules only apimodels has: voice_list takes at most two voice ids and only works with
 * sound on ("Voice customization requires V2.6+ with sound: "on" and voice_list").
 */
export function apiModelsIssues(request: UnifiedRequest): ValidationIssue[] {
  const voices = apiModelsVoiceList(request);
  if (voices === undefined) return [];
  const field = 'providerOptions.apimodels.voice_list';
  if (!Array.isArray(voices) || voices.some((voice) => typeof voice !== 'string')) {
    return [{ field, message: 'must be an array of voice id strings' }];
  }
  const issues: ValidationIssue[] = [];
  if (voices.length > 2) issues.push({ field, message: `has ${voices.length} voices; at most 2` });
  if (voices.length > 0 && !request.sound) {
    issues.push({ field, message: 'needs sound on (set sound: true)' });
  }
  return issues;
}

/** Price of one request at apimodels.app; throws ValidationError when it is not sold. */
export function priceApiModels(request: UnifiedRequest): Price {
  const { offer, issues } = checkAgainstOffers(APIMODELS_DISPLAY_NAME, APIMODELS_OFFERS, request);
  if (offer?.model === 'kling-motion-control' && offer.durations.includes(request.duration)) {
    return { amount: APIMODELS_MOTION_CONTROL_USD, unit: 'USD', usd: APIMODELS_MOTION_CONTROL_USD };
  }
  if (offer?.model === 'kling-v3' && offer.durations.includes(request.duration)) {
    const rate = APIMODELS_V3_PER_SECOND[request.mode][request.sound ? 'audio' : 'silent'];
    // Four decimals, as the seed's figures: 0.0633 × 7 must not print as 0.44310000000000005.
    const amount = Math.round(rate * request.duration * 10_000) / 10_000;
    return { amount, unit: 'USD', usd: amount };
  }
  if (offer?.model === 'kling-v2.6') {
    const audio = request.sound === true;
    const row = APIMODELS_V26_PRICES.find(
      (candidate) =>
        candidate.mode === request.mode &&
        candidate.duration === request.duration &&
        candidate.audio === audio &&
        candidate.voice === (audio && hasVoices(request)),
    );
    if (row) return { amount: row.usd, unit: 'USD', usd: row.usd };
  }
  throw new ValidationError(
    issues.length > 0
      ? issues
      : [{ field: 'request', message: 'has no row in the apimodels.app price table' }],
  );
}
