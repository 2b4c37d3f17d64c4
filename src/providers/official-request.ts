import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import { jsonImage } from './kit/image-form.js';
import { checkAgainstOffers, providerModelName } from './offer-check.js';
import { officialMultiShotFields, officialShotIssues } from './official-multi-shot.js';
import type { OfficialModelOffer } from './official-wire.js';
import type { ImageResolver, OfferCheck, SubmitContext } from './provider.js';

/** Differences between the official API and the proxies that speak its format. */
export interface OfficialDialect {
  provider: ProviderId;
  displayName: string;
  /** `callback_url` on the official API; OpenAI-HK names it `notify_hook`. */
  callbackField: 'callback_url' | 'notify_hook';
  /** Only the official API documents `external_task_id` (the idempotency key). */
  sendsExternalTaskId: boolean;
}

/**
 * The same model is sold on text2video and image2video with different rules, and
 * `checkAgainstOffers` takes the first offer in the right mode. So the offers of the endpoint
 * the request needs (image2video when it has a start image) are put first; the others stay in
 * the list so a request no endpoint fits still gets the message naming the field.
 */
export function checkOfficialRequest(
  displayName: string,
  offers: readonly OfficialModelOffer[],
  request: UnifiedRequest,
): OfferCheck {
  const wantsImage = request.startImage !== undefined;
  const fits = (offer: OfficialModelOffer) =>
    wantsImage ? offer.startImage !== 'unsupported' : offer.startImage !== 'required';
  const ordered = [...offers.filter(fits), ...offers.filter((offer) => !fits(offer))];
  const check = checkAgainstOffers(displayName, ordered, request);
  if (check.offer?.shots && request.shots) {
    const on = `${request.model} on ${displayName}`;
    check.issues.push(...officialShotIssues(request, on));
    if (request.prompt !== '') {
      check.warnings.push(`prompt is ignored with shots on ${on}; it was dropped`);
    }
  }
  return check;
}

/** Official and OpenAI-HK take an image as a URL or raw base64 (no `data:` prefix). */
function officialImage(images: ImageResolver, reference: string): Promise<string> {
  return jsonImage(images, reference, 'base64');
}

/** The JSON body for one create call, in the official field names and types. */
export async function buildOfficialBody(
  dialect: OfficialDialect,
  offer: OfficialModelOffer,
  request: UnifiedRequest,
  context: SubmitContext,
): Promise<Record<string, unknown>> {
  // Pass-through fields first, so they can add to the body but never replace a mapped field.
  const body: Record<string, unknown> = { ...request.providerOptions?.[dialect.provider] };
  body.model_name = providerModelName(offer, request.mode);
  // Left out, not sent empty, where the offer lets image-to-video go without one; with shots
  // the docs say it is ignored, so it is not sent (the check warned that it was dropped).
  const shots = offer.shots ? request.shots : undefined;
  if (request.prompt !== '' && !shots) body.prompt = request.prompt;
  if (shots) Object.assign(body, officialMultiShotFields(shots));
  // Omni-video has no negative_prompt field (its catalog entries allow 0 characters).
  if (request.negativePrompt !== undefined && offer.maxNegativePromptLength > 0) {
    body.negative_prompt = request.negativePrompt;
  }
  // The official format takes the duration as a string ("5"), never a number.
  body.duration = String(request.duration);
  if (offer.sendsMode) body.mode = request.mode;

  const aspectRatioDropped =
    offer.aspectRatio === 'unsupported' ||
    (offer.aspectRatio === 'ignored-with-start-image' && request.startImage !== undefined);
  if (request.aspectRatio !== undefined && !aspectRatioDropped) {
    body.aspect_ratio = request.aspectRatio;
  }
  if (request.cfgScale !== undefined && offer.cfgScale) body.cfg_scale = request.cfgScale;
  if (request.cameraControl && offer.cameraControl !== 'unsupported') {
    const { type, config } = request.cameraControl;
    // Only the `simple` type takes a config; for the others the docs say to leave it empty.
    body.camera_control = { type, ...(type === 'simple' && config ? { config } : {}) };
  }
  if (request.sound !== undefined && offer.sound !== 'unsupported') {
    body.sound = request.sound ? 'on' : 'off';
  } else if (shots) {
    // Resellers report that multi-shot renders with audio unless told otherwise; audio doubles
    // the price, and the estimate assumed none, so "off" is sent explicitly.
    body.sound = 'off';
  }
  Object.assign(body, await officialImages(offer, request, context.images));

  if (context.callbackUrl) body[dialect.callbackField] = context.callbackUrl;
  if (dialect.sendsExternalTaskId && context.externalTaskId) {
    body.external_task_id = context.externalTaskId;
  }
  return body;
}

/** image2video: `image` and `image_tail`; omni-video: `image_list` of first and end frame. */
async function officialImages(
  offer: OfficialModelOffer,
  request: UnifiedRequest,
  images: ImageResolver,
): Promise<Record<string, unknown>> {
  const fields: Record<string, unknown> = {};
  if (offer.officialEndpoint === 'image2video') {
    if (request.startImage) fields.image = await officialImage(images, request.startImage);
    if (request.endImage) fields.image_tail = await officialImage(images, request.endImage);
  } else if (offer.officialEndpoint === 'omni-video') {
    const imageList: { image_url: string; type: 'first_frame' | 'end_frame' }[] = [];
    if (request.startImage) {
      const imageUrl = await officialImage(images, request.startImage);
      imageList.push({ image_url: imageUrl, type: 'first_frame' });
    }
    if (request.endImage) {
      imageList.push({
        image_url: await officialImage(images, request.endImage),
        type: 'end_frame',
      });
    }
    if (imageList.length > 0) fields.image_list = imageList;
    if (request.referenceVideo) {
      // A reference for features (style, motion), not a video to edit (`refer_type: base`).
      const videoUrl = await images.asUrl(request.referenceVideo);
      fields.video_list = [{ video_url: videoUrl, refer_type: 'feature' }];
    }
  }
  return fields;
}
