import { ValidationError, type ValidationIssue } from '../../errors.js';
import type { UnifiedRequest } from '../../request/unified-request.js';
import { checkAgainstOffers } from '../offer-check.js';
import type { ModelOffer, Price } from '../provider.js';

/**
 * The shapes the resellers' catalogs share: the fields most of their Kling offers have in
 * common, and pricing a request against the offers (refused with the check's issues).
 */

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

/**
 * The amount `amountOf` gives for the offer serving `request`. A request no offer serves, or
 * one without a price, throws ValidationError with the check's issues (else `unpriced`).
 */
export function offeredAmount<Offer extends ModelOffer>(
  displayName: string,
  offers: readonly Offer[],
  request: UnifiedRequest,
  amountOf: (offer: Offer) => number | undefined,
  unpriced: ValidationIssue,
): number {
  const { offer, issues } = checkAgainstOffers(displayName, offers, request);
  const amount = offer ? amountOf(offer as Offer) : undefined;
  if (amount === undefined) throw new ValidationError(issues.length > 0 ? issues : [unpriced]);
  return amount;
}

/** A price in US dollars. */
export function usdPrice(amount: number): Price {
  return { amount, unit: 'USD', usd: amount };
}
