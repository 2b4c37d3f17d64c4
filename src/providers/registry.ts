import { type PriceRates, withPriceRate } from '../config/price-rates.js';
import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import { PROVIDER_IDS } from '../request/unified-request.js';
import type { Price, ProviderAdapter } from './provider.js';

/** The providers this worker can call (those whose keys are set), looked up by id. */
export class ProviderRegistry {
  private readonly adapters: Map<ProviderId, ProviderAdapter>;
  private readonly preferredOrder: ProviderId[] | undefined;
  private readonly priceRates: PriceRates;

  constructor(adapters: ProviderAdapter[], preferredOrder?: ProviderId[], priceRates?: PriceRates) {
    this.adapters = new Map(adapters.map((adapter) => [adapter.id, adapter]));
    this.preferredOrder = preferredOrder;
    this.priceRates = priceRates ?? {};
  }

  /** The adapter's price with its USD estimate from KLINGFLOW_PRICE_RATES where one is set. */
  price(adapter: ProviderAdapter, request: UnifiedRequest): Price {
    return withPriceRate(adapter.price(request), this.priceRates[adapter.id]);
  }

  get(id: ProviderId): ProviderAdapter | undefined {
    return this.adapters.get(id);
  }

  require(id: ProviderId): ProviderAdapter {
    const adapter = this.adapters.get(id);
    if (!adapter)
      throw new Error(`provider ${id} is not configured on this worker (its API key is not set)`);
    return adapter;
  }

  list(): ProviderAdapter[] {
    return PROVIDER_IDS.flatMap((id) => this.adapters.get(id) ?? []);
  }

  /**
   * KLINGFLOW_PROVIDERS when set; otherwise every configured provider that can serve the
   * request, cheapest first by estimated USD (providers without a USD rate go last). Providers
   * that cannot serve it are left out here; an explicit order keeps them, so the job records why
   * each was skipped.
   */
  defaultOrder(request: UnifiedRequest): ProviderId[] {
    if (this.preferredOrder) return this.preferredOrder;
    const priced = this.list().map((adapter, index) => {
      const check = adapter.check(request);
      const usable = check.offer !== undefined && check.issues.length === 0;
      const usd = usable ? this.price(adapter, request).usd : undefined;
      return { id: adapter.id, usable, usd, index };
    });
    return priced
      .filter((entry) => entry.usable)
      .sort((left, right) => {
        const leftCost = left.usd ?? Number.POSITIVE_INFINITY;
        const rightCost = right.usd ?? Number.POSITIVE_INFINITY;
        return leftCost - rightCost || left.index - right.index;
      })
      .map((entry) => entry.id);
  }
}
