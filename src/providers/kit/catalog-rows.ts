/** The fields most resellers' Kling offers have in common, as rows of their catalogs spread. */

/** One prompt limit for `prompt` and `negative_prompt`, and how long a render typically takes. */
export interface OfferLimits {
  promptLimit: number;
  typicalRenderSeconds: number;
}

/** Fields of a reseller's offer that take neither camera control nor sound. */
export function plainOfferFields({ promptLimit, typicalRenderSeconds }: OfferLimits) {
  return {
    cameraControl: 'unsupported',
    sound: 'unsupported',
    maxPromptLength: promptLimit,
    maxNegativePromptLength: promptLimit,
    typicalRenderSeconds,
  } as const;
}

/** A text-to-video offer that also takes a start image, whose aspect ratio then wins. */
export function textOrImageFields<const Ratios extends readonly string[]>(aspectRatios: Ratios) {
  return {
    startImage: 'optional',
    aspectRatio: 'ignored-with-start-image',
    aspectRatios,
  } as const;
}

/** An image-to-video only offer: a start image is required and the video follows its shape. */
export const IMAGE_TO_VIDEO_ONLY = {
  startImage: 'required',
  aspectRatio: 'unsupported',
} as const;

/**
 * A model with one quality tier (a "master" model, or no mode on the reseller): pro is served
 * with a warning, as the same model at the same price.
 */
export const ONE_QUALITY_TIER = {
  modes: ['std', 'pro'],
  modesWithoutEffect: ['pro'],
} as const;
