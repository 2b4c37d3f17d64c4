import type { RouteEntry, RoutePlan } from '../contracts/generation.js';
import type { ProviderAdapter } from '../providers/provider.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import { type FirstPollSettings, firstPollWaitMs } from './plan-route-first-poll.js';

export interface PlanRouteInput {
  request: UnifiedRequest;
  providers?: ProviderId[];
  maxCost?: number;
}

export interface RoutingSettings extends FirstPollSettings {
  pollIntervalMs: number;
  /** In-flight caps per provider (KLINGFLOW_PROVIDER_CONCURRENCY). */
  providerConcurrency?: Partial<Record<ProviderId, number>>;
}

/**
 * Which configured providers can serve the request, in the user's order or cheapest first.
 * Runs on the worker because only the worker knows which providers have keys; the plan it
 * returns is recorded in history, so the workflow replays the same route.
 */
export function createPlanRoute(deps: { providers: ProviderRegistry; routing: RoutingSettings }) {
  return async function planRoute(input: PlanRouteInput): Promise<RoutePlan> {
    const skipped: RoutePlan['skipped'] = [];
    const candidates = input.providers ?? deps.providers.defaultOrder(input.request);
    const route: RouteEntry[] = [];
    for (const id of candidates) {
      const adapter = deps.providers.get(id);
      if (!adapter) {
        skipped.push({
          provider: id,
          reason: 'not configured (no API key set)',
          errorKind: 'provider-unavailable',
        });
        continue;
      }
      const check = adapter.check(input.request);
      if (!check.offer || check.issues.length > 0) {
        skipped.push({
          provider: id,
          reason: check.issues.map((issue) => `${issue.field}: ${issue.message}`).join('; '),
          errorKind: 'invalid-request',
        });
        continue;
      }
      const price = deps.providers.price(adapter, input.request);
      if (input.maxCost !== undefined) {
        if (price.usd === undefined) {
          skipped.push({
            provider: id,
            reason: `price in ${price.unit} has no USD rate to compare with --max-cost`,
            errorKind: 'over-budget',
          });
          continue;
        }
        if (price.usd > input.maxCost) {
          skipped.push({
            provider: id,
            reason: `estimated $${price.usd} is over the budget of $${input.maxCost}`,
            errorKind: 'over-budget',
          });
          continue;
        }
      }
      route.push({
        provider: id,
        price,
        warnings: check.warnings,
        initialWaitMs: await firstPollWaitMs(
          deps.routing,
          id,
          input.request,
          check.offer.typicalRenderSeconds,
        ),
        idempotentSubmit: adapter.capabilities.idempotentSubmit && adapter.findTask !== undefined,
        ...lookupOf(adapter),
        ...(adapter.cancel ? { cancellable: true } : {}),
        ...(deps.routing.providerConcurrency?.[id]
          ? { maxInFlight: deps.routing.providerConcurrency[id] }
          : {}),
      });
    }
    return { route, skipped, pollIntervalMs: deps.routing.pollIntervalMs };
  };
}

/** The provider's lookup mode, when it can look a task up at all. */
function lookupOf(adapter: ProviderAdapter): Pick<RouteEntry, 'lookup'> {
  if (!adapter.findTask) return {};
  const lookup =
    adapter.capabilities.lookup ??
    (adapter.capabilities.idempotentSubmit ? 'idempotent' : undefined);
  return lookup ? { lookup } : {};
}
