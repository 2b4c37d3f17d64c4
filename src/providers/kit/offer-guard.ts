import { ProviderError } from '../../errors.js';
import type { ModelOffer, OfferCheck } from '../provider.js';

/**
 * The offer a submit goes out with. The workflow checks requests before it submits; this guard
 * makes a request that slipped through fail as invalid here, before anything is sent or paid.
 */
export function requireFittingOffer<Offer extends ModelOffer = ModelOffer>(
  provider: string,
  displayName: string,
  check: OfferCheck,
): Offer {
  if (!check.offer || check.issues.length > 0) {
    const issues = check.issues.map((issue) => `${issue.field} ${issue.message}`).join('; ');
    throw new ProviderError(
      'invalid-request',
      provider,
      `request does not fit ${displayName}: ${issues}`,
    );
  }
  return check.offer as Offer;
}
