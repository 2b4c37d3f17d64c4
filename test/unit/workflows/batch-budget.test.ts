import { describe, expect, it } from 'vitest';
import { BatchBudget } from '../../../src/workflows/batch-budget.js';

const route = [
  { provider: 'hyprlab' as const, usd: 0.2 },
  { provider: 'kling' as const, usd: 0.1 },
];

describe('a batch budget under failover', () => {
  it('reserves whole routes while they fit, then the part of a route that still fits', () => {
    const budget = new BatchBudget(1, 0);
    expect(budget.reserve(0, route)).toEqual({ usd: 0.3 });
    expect(budget.reserve(1, route)).toEqual({ usd: 0.3 });
    expect(budget.reserve(2, route)).toEqual({ usd: 0.3 });
    // $0.10 left: only the official API fits, and the job is limited to it.
    expect(budget.reserve(3, route)).toEqual({ usd: 0.1, providers: ['kling'] });
    expect(budget.reserve(4, route)).toBeUndefined();
    expect(budget.committed()).toBe(1);
    expect(budget.reserved()).toBe(1);
  });

  it('settles to what the ledger says, giving the rest back; unknown spend keeps the reservation', () => {
    const budget = new BatchBudget(0.6, 0);
    budget.reserve(0, route);
    budget.reserve(1, route);
    expect(budget.reserve(2, route)).toBeUndefined();
    expect(budget.settle(0, { usd: 0.1, byUnit: {} }, true)).toBe(0.3);
    expect(budget.committed()).toBe(0.4);
    expect(budget.settle(1, undefined, false)).toBe(0.3);
    expect(budget.committed()).toBe(0.4);
    expect(budget.reserve(2, route)).toEqual({ usd: 0.2, providers: ['hyprlab'] });
  });

  it('counts what earlier runs spent', () => {
    const budget = new BatchBudget(2, 1.8);
    budget.addSpent(0.1);
    expect(budget.reserve(0, route)).toEqual({ usd: 0.1, providers: ['kling'] });
    expect(new BatchBudget(2, 2).reserve(0, route)).toBeUndefined();
  });

  it('never reserves a provider without a USD price', () => {
    expect(new BatchBudget(5, 0).reserve(0, [{ provider: 'apiframe' }])).toBeUndefined();
  });
});
