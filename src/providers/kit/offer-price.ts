import { ValidationError, type ValidationIssue } from '../../errors.js';
import type { UnifiedRequest } from '../../request/unified-request.js';
import { checkAgainstOffers } from '../offer-check.js';
import type { ModelOffer, Price } from '../provider.js';

/** Pricing a request against a reseller's offers: refused with the check's issues. */

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
