import { Agent } from 'undici';
import type { ValidationIssue } from '../errors.js';
import { PROVIDER_IDS, type ProviderId, type UnifiedRequest } from '../request/unified-request.js';
import { createConfiguredProviders, PROVIDER_ENVIRONMENT } from './configured-providers.js';
import type { ProviderAdapter } from './provider.js';
import { reservedOptionIssues } from './reserved-options.js';

let catalogAdapters: ProviderAdapter[] | undefined;

/**
 * Every provider's adapter with placeholder credentials, for what needs no network: checking a
 * request against capabilities, prices, and the `providers` table. Nothing here is ever sent.
 */
export function catalogProviders(): ProviderAdapter[] {
  if (!catalogAdapters) {
    const placeholders: NodeJS.ProcessEnv = {};
    for (const id of PROVIDER_IDS)
      for (const key of PROVIDER_ENVIRONMENT[id].keys) placeholders[key] = 'catalog-only';
    catalogAdapters = createConfiguredProviders(placeholders, {
      dispatcher: new Agent(),
      allowPrivateNetwork: false,
    });
  }
  return catalogAdapters;
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
    const adapter = catalogProviders().find((candidate) => candidate.id === id);
    if (!adapter) continue;
    const check = adapter.check(request);
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
