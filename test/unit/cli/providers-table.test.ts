import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { providerTable } from '../../../src/cli/commands/providers.js';
import { APIMODELS_V26_PRICES } from '../../../src/providers/apimodels-catalog.js';
import { catalogProviders } from '../../../src/providers/catalog.js';
import { PROVIDER_IDS } from '../../../src/request/unified-request.js';

const readme = readFileSync(fileURLToPath(new URL('../../../README.md', import.meta.url)), 'utf8');

describe('klingflow providers', () => {
  const rows = providerTable({});

  it('lists every provider with at least one priced offer', () => {
    expect(new Set(rows.map((row) => row.provider))).toEqual(new Set(PROVIDER_IDS));
    for (const row of rows) {
      expect(row.price.amount).toBeGreaterThanOrEqual(0);
      expect(row.providerModel.length).toBeGreaterThan(0);
    }
  });

  it('gives prices in units their USD value from KLINGFLOW_PRICE_RATES, and refuses a bad one', () => {
    const rated = providerTable({ KLINGFLOW_PRICE_RATES: 'openai-hk=0.14' });
    const kling1 = (row: (typeof rows)[number]) =>
      row.provider === 'openai-hk' && row.model === 'kling-v1' && row.mode === 'std';
    expect(rated.find((row) => kling1(row) && row.duration === 5)?.price).toEqual({
      amount: 1,
      unit: 'base-units',
      usd: 0.14,
    });
    expect(rows.find((row) => kling1(row) && row.duration === 5)?.price.usd).toBeUndefined();
    expect(() => providerTable({ KLINGFLOW_PRICE_RATES: 'kling=abc' })).toThrow(
      'KLINGFLOW_PRICE_RATES',
    );
  });

  it('reproduces seed prices in the table (HyprLab kling-v2.1 pro 5 s: $0.315; apimodels v3 pro 10 s: $0.853)', () => {
    expect(
      rows.find(
        (row) =>
          row.provider === 'hyprlab' &&
          row.model === 'kling-v2.1' &&
          row.mode === 'pro' &&
          row.duration === 5,
      )?.price,
    ).toMatchObject({
      amount: 0.315,
      unit: 'USD',
    });
    expect(
      rows.find(
        (row) =>
          row.provider === 'apimodels' &&
          row.model === 'kling-v3' &&
          row.mode === 'pro' &&
          row.duration === 10,
      )?.price,
    ).toMatchObject({
      amount: 0.853,
      unit: 'USD',
    });
  });

  const priceOf = (provider: string, model: string, mode: string, duration: number) =>
    rows
      .filter(
        (row) =>
          row.provider === provider &&
          row.model === model &&
          row.mode === mode &&
          row.duration === duration,
      )
      .map((row) => ({ audio: row.audio, voice: row.voice, amount: row.price.amount }));

  it('shows every row of the apimodels v2.6 seed table, sound and voice rows included', () => {
    const v26 = rows
      .filter((row) => row.provider === 'apimodels' && row.model === 'kling-v2.6')
      .map((row) => ({
        mode: row.mode,
        duration: row.duration,
        audio: row.audio,
        voice: row.voice,
        usd: row.price.amount,
      }));
    expect(v26).toEqual(
      expect.arrayContaining([...APIMODELS_V26_PRICES].map((row) => expect.objectContaining(row))),
    );
    expect(v26).toHaveLength(APIMODELS_V26_PRICES.length);
    expect(priceOf('apimodels', 'kling-v2.6', 'pro', 10)).toEqual([
      { audio: false, voice: false, amount: 0.0531 },
      { audio: true, voice: false, amount: 0.1064 },
      { audio: true, voice: true, amount: 0.1275 },
    ]);
  });

  it('shows apimodels v3 with audio (per-second seed rates) and OpenAI-HK audio at 2x', () => {
    expect(priceOf('apimodels', 'kling-v3', 'std', 5)).toEqual([
      { audio: false, voice: false, amount: 0.3165 },
      { audio: true, voice: false, amount: 0.478 },
    ]);
    expect(priceOf('apimodels', 'kling-v3', 'pro', 10)).toEqual([
      { audio: false, voice: false, amount: 0.853 },
      { audio: true, voice: false, amount: 1.28 },
    ]);
    // OpenAI-HK sells audio on kling-v2.6 in pro only; std has no audio row.
    expect(priceOf('openai-hk', 'kling-v2.6', 'pro', 5)).toEqual([
      { audio: false, voice: false, amount: 35 },
      { audio: true, voice: false, amount: 70 },
    ]);
    expect(priceOf('openai-hk', 'kling-v2.6', 'std', 5)).toEqual([
      { audio: false, voice: false, amount: 10 },
    ]);
  });

  it('marks which providers are configured from their keys', () => {
    const configured = providerTable({ HYPRLAB_API_KEY: 'set' });
    expect(
      configured.filter((row) => row.configured).every((row) => row.provider === 'hyprlab'),
    ).toBe(true);
    expect(configured.some((row) => row.configured)).toBe(true);
  });

  it('the README lists every response shape an adapter marks as unverified', () => {
    const unverified = catalogProviders().flatMap(
      (adapter) => adapter.capabilities.unverified ?? [],
    );
    expect(unverified.length).toBeGreaterThan(0);
    for (const item of unverified) expect(readme).toContain(item);
  });
});
