import { Agent } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createPlanRoute } from '../../../src/activities/plan-route.js';
import { readSettings } from '../../../src/config/environment.js';
import { parsePriceRates, withPriceRate } from '../../../src/config/price-rates.js';
import { createConfiguredProviders } from '../../../src/providers/configured-providers.js';
import { ProviderRegistry } from '../../../src/providers/registry.js';
import { parseUnifiedRequest } from '../../../src/request/parse-request.js';

describe('KLINGFLOW_PRICE_RATES', () => {
  it('parses USD per unit for each provider', () => {
    expect(parsePriceRates('openai-hk=0.14, kling=0.14,apiframe=0.01')).toEqual({
      'openai-hk': 0.14,
      kling: 0.14,
      apiframe: 0.01,
    });
    expect(parsePriceRates(undefined)).toEqual({});
    expect(parsePriceRates('  ')).toEqual({});
    expect(readSettings({ KLINGFLOW_PRICE_RATES: 'kling=0.2' }).priceRates).toEqual({
      kling: 0.2,
    });
  });

  it.each([
    ['kling=cheap', /KLINGFLOW_PRICE_RATES: kling=cheap is not a positive number/],
    ['kling=0', /KLINGFLOW_PRICE_RATES: kling=0 is not a positive number/],
    ['kling=-1', /KLINGFLOW_PRICE_RATES: kling=-1 is not a positive number/],
    ['kling', /KLINGFLOW_PRICE_RATES: kling= is not a positive number/],
    ['midjourney=0.1', /KLINGFLOW_PRICE_RATES: unknown provider "midjourney"/],
  ])('refuses %s, naming the variable', (value, message) => {
    expect(() => parsePriceRates(value)).toThrow(message);
    expect(() => readSettings({ KLINGFLOW_PRICE_RATES: value })).toThrow(message);
    expect(() => parsePriceRates(value)).toThrow(/USD per price unit, example: openai-hk=0.14/);
  });

  it('converts prices in units or credits, and leaves USD prices alone', () => {
    expect(withPriceRate({ amount: 35, unit: 'credits' }, 0.01)).toEqual({
      amount: 35,
      unit: 'credits',
      usd: 0.35,
    });
    expect(withPriceRate({ amount: 0.2, unit: 'USD', usd: 0.2 }, 5)).toEqual({
      amount: 0.2,
      unit: 'USD',
      usd: 0.2,
    });
    expect(withPriceRate({ amount: 1, unit: 'base-units' }, undefined)).toEqual({
      amount: 1,
      unit: 'base-units',
    });
  });
});

describe('route planning with price rates', () => {
  const dispatcher = new Agent();
  afterAll(() => dispatcher.close());
  const environment = {
    HYPRLAB_API_KEY: 'test-key',
    KLING_ACCESS_KEY: 'test-access',
    KLING_SECRET_KEY: 'test-secret',
  };
  const request = parseUnifiedRequest({ prompt: 'a heron', model: 'kling-v1.6' });

  function planner(rates?: Record<string, number>) {
    const providers = new ProviderRegistry(
      createConfiguredProviders(environment, { dispatcher, allowPrivateNetwork: false }),
      undefined,
      rates,
    );
    return createPlanRoute({ providers, routing: { pollIntervalMs: 1000, initialWaitShare: 0.8 } });
  }

  it('without a rate, a provider priced in units cannot take part in a budget', async () => {
    const plan = await planner()({ request, maxCost: 5 });
    expect(plan.route.map((entry) => entry.provider)).toEqual(['hyprlab']);
    expect(plan.skipped).toEqual([
      expect.objectContaining({ provider: 'kling', errorKind: 'over-budget' }),
    ]);
  });

  it('with a rate, it is priced in USD, fits the budget and is ordered by cost', async () => {
    const plan = await planner({ kling: 0.01 })({ request, maxCost: 5 });
    expect(plan.route.map((entry) => [entry.provider, entry.price.unit])).toEqual([
      ['kling', 'base-units'],
      ['hyprlab', 'USD'],
    ]);
    const kling = plan.route[0]!.price;
    expect(kling.usd).toBeCloseTo(kling.amount * 0.01, 6);
    expect(kling.usd).toBeLessThan(plan.route[1]!.price.usd!);
  });
});
