import type { ValidationIssue } from '../errors.js';
import { PROVIDER_IDS, type ProviderId, type UnifiedRequest } from '../request/unified-request.js';

/**
 * Pass-through options (`providerOptions.<id>`) are merged into a provider's request as they
 * are. A key that sets what klingflow priced or validated (model, mode, duration, sound,
 * images, camera, callback, idempotency key) would make the provider bill and render something
 * else than what was checked: a kling-v1.6 request priced $0.20 but sent as kling-v2.1-master
 * at 10 s bills $2.00. So such a key is a validation issue, for every provider by one rule;
 * only the wire names differ, and they are listed here as data.
 */

/** What to use instead of a reserved key: a unified request field, or why there is none. */
interface Reserved {
  /** The unified request field that sets it, e.g. `startImage`. */
  unified?: string;
  /** Why there is no unified field, when there is none. */
  reason?: string;
}

const MODEL: Reserved = { unified: 'model (with mode)' };
const MODE: Reserved = { unified: 'mode' };
const DURATION: Reserved = { unified: 'duration' };
const PROMPT: Reserved = { unified: 'prompt' };
const NEGATIVE_PROMPT: Reserved = { unified: 'negativePrompt' };
const ASPECT_RATIO: Reserved = { unified: 'aspectRatio' };
const CFG_SCALE: Reserved = { unified: 'cfgScale' };
const SOUND: Reserved = { unified: 'sound' };
const START_IMAGE: Reserved = { unified: 'startImage' };
const END_IMAGE: Reserved = { unified: 'endImage' };
const IMAGES: Reserved = { unified: 'startImage and endImage' };
const CAMERA: Reserved = { unified: 'cameraControl' };
const CALLBACK: Reserved = {
  reason: 'klingflow sets the callback itself (webhooks are configured on the worker)',
};
const IDEMPOTENCY_KEY: Reserved = {
  reason: 'klingflow derives it from the job id and attempt, so a resend cannot pay twice',
};
const VIDEO_REFERENCE: Reserved = { unified: 'referenceVideo' };
const SHOTS: Reserved = { unified: 'shots' };
const MOTION_VIDEO: Reserved = { unified: 'motionVideo (with model kling-motion-control)' };

/**
 * The official format's create fields (reference/providers.md §1), refused for every provider:
 * each one resells Kling and may forward an official field upstream, where it is billed.
 */
const OFFICIAL_FIELDS: Record<string, Reserved> = {
  model_name: MODEL,
  model: MODEL,
  mode: MODE,
  duration: DURATION,
  prompt: PROMPT,
  negative_prompt: NEGATIVE_PROMPT,
  aspect_ratio: ASPECT_RATIO,
  cfg_scale: CFG_SCALE,
  sound: SOUND,
  image: START_IMAGE,
  image_tail: END_IMAGE,
  image_list: IMAGES,
  video_list: VIDEO_REFERENCE,
  multi_shot: SHOTS,
  multi_prompt: SHOTS,
  shot_type: SHOTS,
  camera_control: CAMERA,
  callback_url: CALLBACK,
  external_task_id: IDEMPOTENCY_KEY,
};

/** Callback field names used by any provider (OpenAI-HK `notify_hook`, APIFrame `webhookUrl`). */
const CALLBACK_FIELDS: Record<string, Reserved> = {
  callback_url: CALLBACK,
  notify_hook: CALLBACK,
  webhook: CALLBACK,
  webhook_url: CALLBACK,
};

/** Each provider's own wire names (read from its adapter's request builder). */
export const RESERVED_PROVIDER_OPTIONS: Readonly<Record<ProviderId, Record<string, Reserved>>> = {
  kling: {},
  'openai-hk': {},
  // JSON: model (mode is in the name), duration, start_image, end_image, …
  hyprlab: { start_image: START_IMAGE, end_image: END_IMAGE },
  // multipart form: input_image, cfg, enable_audio; mode and duration pick the endpoint.
  '302ai': { input_image: START_IMAGE, cfg: CFG_SCALE, enable_audio: SOUND },
  // JSON: model, mode, duration, sound, image, image_tail, camera_control, callback_url.
  apimodels: { motion_video: MOTION_VIDEO },
  // JSON: model, prompt, webhookUrl, and klingParams.{duration, mode, start_image, end_image, …}.
  apiframe: {
    start_image: START_IMAGE,
    end_image: END_IMAGE,
    'klingParams.duration': DURATION,
    'klingParams.mode': MODE,
    'klingParams.aspect_ratio': ASPECT_RATIO,
    'klingParams.start_image': START_IMAGE,
    'klingParams.end_image': END_IMAGE,
    'klingParams.negative_prompt': NEGATIVE_PROMPT,
    'klingParams.cfg_scale': CFG_SCALE,
    'klingParams.sound': SOUND,
    'klingParams.camera_control': CAMERA,
  },
  // JSON to {endpoint_id}?fal_webhook=: the endpoint (model, mode, text/image) is in the path;
  // duration, generate_audio, image_url/start_image_url, tail_image_url/end_image_url, multi_prompt.
  fal: {
    generate_audio: SOUND,
    image_url: START_IMAGE,
    start_image_url: START_IMAGE,
    tail_image_url: END_IMAGE,
    end_image_url: END_IMAGE,
    multi_prompt: SHOTS,
    shot_type: SHOTS,
    fal_webhook: CALLBACK,
  },
  // {input: {...}, webhook}: the pass-through options go into `input`.
  replicate: {
    start_image: START_IMAGE,
    end_image: END_IMAGE,
    image: START_IMAGE,
    webhook_events_filter: CALLBACK,
  },
};

/**
 * Names compare without case, `_` or `-`: providers read `webhookUrl`, `webhook_url` and
 * `Webhook-URL` alike, so a spelling must not slip a reserved key through.
 */
function normalise(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

function reservedFor(provider: ProviderId): Map<string, Reserved> {
  const entries = {
    ...OFFICIAL_FIELDS,
    ...CALLBACK_FIELDS,
    ...RESERVED_PROVIDER_OPTIONS[provider],
  };
  return new Map(Object.entries(entries).map(([key, reserved]) => [normalise(key), reserved]));
}

const RESERVED_BY_PROVIDER = new Map(PROVIDER_IDS.map((id) => [id, reservedFor(id)]));

/** Every key of the options, with nested object keys as `parent.child` (APIFrame's klingParams). */
function optionKeys(options: Record<string, unknown>): string[] {
  return Object.entries(options).flatMap(([key, value]) =>
    value !== null && typeof value === 'object' && !Array.isArray(value)
      ? [key, ...Object.keys(value).map((child) => `${key}.${child}`)]
      : [key],
  );
}

/**
 * One issue per pass-through key that would set what klingflow priced or validated, naming
 * `providerOptions.<id>.<key>` and the unified field to use instead. Every provider's options
 * are checked, not only the candidates': a failover may reach any provider the request names.
 */
export function reservedOptionIssues(
  request: Pick<UnifiedRequest, 'providerOptions'>,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  for (const provider of PROVIDER_IDS) {
    const options = request.providerOptions?.[provider];
    if (!options) continue;
    const reserved = RESERVED_BY_PROVIDER.get(provider);
    for (const key of optionKeys(options)) {
      const rule = reserved?.get(normalise(key));
      if (!rule) continue;
      const instead = rule.unified
        ? `use the request field ${rule.unified} instead`
        : `it cannot be set: ${rule.reason}`;
      issues.push({
        field: `providerOptions.${provider}.${key}`,
        message: `would change what klingflow priced and validated; ${instead}`,
      });
    }
  }
  return issues;
}
