import type { ValidationIssue } from '../errors.js';
import { PROVIDER_IDS, type ProviderId, type UnifiedRequest } from '../request/unified-request.js';
import { AI302_OFFERING } from './302ai-offering.js';
import { APIFRAME_OFFERING } from './apiframe-offering.js';
import { APIMODELS_OFFERING } from './apimodels-offering.js';
import { HYPRLAB_OFFERING } from './hyprlab-offering.js';
import { KLING_OFFERING } from './kling-offering.js';
import { OPENAI_HK_OFFERING } from './openai-hk-offering.js';
import type { ProviderOffering } from './provider.js';
import { reservedOptionIssues } from './reserved-options.js';

/** Every provider's offering, keyed by id: plain data, no keys, nothing that calls out. */
export const PROVIDER_OFFERINGS: Readonly<Record<ProviderId, ProviderOffering>> = {
  hyprlab: HYPRLAB_OFFERING,
  'openai-hk': OPENAI_HK_OFFERING,
  kling: KLING_OFFERING,
  '302ai': AI302_OFFERING,
  apimodels: APIMODELS_OFFERING,
  apiframe: APIFRAME_OFFERING,
};

/**
 * Every provider's offering in the canonical order, for what needs no network: checking a
 * request against capabilities, prices, and the `providers` table.
 */
export function catalogProviders(): ProviderOffering[] {
  return PROVIDER_IDS.map((id) => PROVIDER_OFFERINGS[id]);
}

export interface ProvidersCheck {
  /** Providers among the candidates that can serve the request as it is. */
  servable: ProviderId[];
  /** Why each other candidate cannot, field by field. */
  issues: ValidationIssue[];
  warnings: string[];
}

/** Checks a request against the candidate providers (all when none are given). */
export function checkRequestAgainstProviders(
  request: UnifiedRequest,
  candidates?: readonly ProviderId[],
): ProvidersCheck {
  // An option overriding a priced or validated field makes the request invalid everywhere.
  const reserved = reservedOptionIssues(request);
  if (reserved.length > 0) return { servable: [], issues: reserved, warnings: [] };
  const ids = candidates ?? PROVIDER_IDS;
  const result: ProvidersCheck = { servable: [], issues: [], warnings: [] };
  for (const id of ids) {
    const check = PROVIDER_OFFERINGS[id].check(request);
    if (check.offer && check.issues.length === 0) {
      result.servable.push(id);
      result.warnings.push(...check.warnings);
    } else {
      result.issues.push(
        ...check.issues.map((issue) => ({ ...issue, location: `provider ${id}` })),
      );
    }
  }
  return result;
}
