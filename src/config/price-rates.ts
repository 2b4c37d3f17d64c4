import { ConfigurationError } from '../errors.js';
import type { Price } from '../providers/provider.js';
import type { ProviderId } from '../request/unified-request.js';
import { parseProviderNumbers } from './provider-numbers.js';
import { VARIABLES } from './variables.js';

/** USD per price unit, per provider (KLINGFLOW_PRICE_RATES). */
export type PriceRates = Partial<Record<ProviderId, number>>;

export const PRICE_RATES_VARIABLE = VARIABLES.priceRates;

/**
 * Parses `openai-hk=0.14,kling=0.14,apiframe=0.01` (USD per unit of the provider's price). Some
 * providers price in credits or base units whose USD value depends on the user's plan; without a
 * rate they cannot be compared with a budget, so they are skipped whenever `--max-cost` is set.
 */
export function parsePriceRates(value: string | undefined): PriceRates {
  try {
    return parseProviderNumbers(value, PRICE_RATES_VARIABLE);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    throw new ConfigurationError(
      PRICE_RATES_VARIABLE,
      `${error.message.replace(`${PRICE_RATES_VARIABLE}: `, '').replace(/ \(example: .*\)$/, '')} (USD per price unit, example: openai-hk=0.14,kling=0.14,apiframe=0.01)`,
      { cause: error },
    );
  }
}

/**
 * The price with its USD estimate from the user's rate. A rate applies to prices in units or
 * credits (and overrides a seed's own conversion, since the user knows their plan); a price
 * already in USD is left alone.
 */
export function withPriceRate(price: Price, rate: number | undefined): Price {
  if (rate === undefined || price.unit === 'USD') return price;
  return { ...price, usd: Math.round(price.amount * rate * 1_000_000) / 1_000_000 };
}
