import type { ValidationIssue } from '../errors.js';
import type { UnifiedRequest } from '../request/unified-request.js';
import { unverifiedShapes } from './kit/unverified-shapes.js';
import { KLING_DISPLAY_NAME, KLING_OFFERS, priceKling } from './kling-catalog.js';
import { checkOfficialRequest } from './official-request.js';
import type { OfferCheck, ProviderOffering } from './provider.js';

function check(request: UnifiedRequest): OfferCheck {
  const result = checkOfficialRequest(KLING_DISPLAY_NAME, KLING_OFFERS, request);
  return { ...result, issues: [...result.issues, ...officialCombinationIssues(request)] };
}

/**
 * Official capability map: `image` + `image_tail`, motion brush and `camera_control` are
 * mutually exclusive, so an end frame cannot be combined with camera control.
 */
function officialCombinationIssues(request: UnifiedRequest): ValidationIssue[] {
  if (request.endImage && request.cameraControl) {
    return [
      {
        field: 'cameraControl',
        message: `cannot be combined with endImage on ${KLING_DISPLAY_NAME} (the official API treats them as exclusive)`,
      },
    ];
  }
  return [];
}

/** What the official Kling API sells; its transport is in kling.ts. */
export const KLING_OFFERING: ProviderOffering = {
  id: 'kling',
  displayName: KLING_DISPLAY_NAME,
  capabilities: {
    offers: KLING_OFFERS,
    callbacks: true,
    callbackField: 'callback_url',
    idempotentSubmit: true,
    imageForms: ['url', 'base64'],
    priceUnit: 'base-units',
    unverified: unverifiedShapes(`
      Kling task lookup by external_task_id in the query path (GET /v1/videos/<endpoint>/{external_task_id}); the official docs list it as an alternative path parameter
      Kling prices: no source gives the official per-model prices; OpenAI-HK multipliers are used in base units
      Kling omni-video image_list item shape {image_url, type: first_frame|end_frame}
      Kling omni-video video_list item shape {video_url, refer_type: feature} for referenceVideo
      Kling kling-v3 shots as multi_shot + shot_type customize + multi_prompt [{index from 1, prompt, duration string}] (no seed; the official field list as mirrored by resellers); sound sent off unless asked, since multi-shot is reported to default to audio
      Kling answer to a reused external_task_id (a parameter error whose message names external_task_id and says it exists; matched by pattern)
    `),
  },
  check,
  price: priceKling,
};
