import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { providerTable } from '../../../src/cli/commands/providers.js';
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
