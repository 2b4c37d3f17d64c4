import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FIRST_POLL_POLICY,
  firstPollDelay,
  quantile,
  renderSampleMs,
  renderTimeKey,
} from '../../../src/workflows/generation/poll-policy.js';

describe('quantile', () => {
  it('interpolates between the nearest ranks, whatever the input order', () => {
    expect(quantile([40, 10, 30, 20, 50], 0)).toBe(10);
    expect(quantile([40, 10, 30, 20, 50], 0.5)).toBe(30);
    expect(quantile([40, 10, 30, 20, 50], 1)).toBe(50);
    // Position 0.1 × 4 = 0.4: 40% of the way from 10 to 20.
    expect(quantile([40, 10, 30, 20, 50], 0.1)).toBeCloseTo(14);
    expect(quantile([7], 0.1)).toBe(7);
    expect(quantile([], 0.1)).toBeNaN();
  });
});

describe('first-poll delay', () => {
  const policy = { quantile: 0.1, minSamples: 5, floorShare: 0.25, capShare: 4 };
  const renders = [230_000, 240_000, 250_000, 236_000, 244_000, 260_000, 228_000, 248_000];

  it('falls back to the catalog guess without history, or with too little', () => {
    expect(firstPollDelay({ catalogGuessMs: 168_000, samples: [], policy })).toEqual({
      delayMs: 168_000,
      source: 'catalog',
    });
    expect(
      firstPollDelay({ catalogGuessMs: 168_000, samples: renders.slice(0, 4), policy }),
    ).toEqual({ delayMs: 168_000, source: 'catalog' });
  });

  it('follows the low quantile of learned renders once there are enough', () => {
    const decision = firstPollDelay({ catalogGuessMs: 168_000, samples: renders, policy });
    expect(decision.source).toBe('learned');
    expect(decision.delayMs).toBe(Math.round(quantile(renders, 0.1)));
    expect(decision.delayMs).toBeGreaterThan(228_000);
    expect(decision.delayMs).toBeLessThan(236_000);
    // A higher quantile waits longer.
    const later = firstPollDelay({
      catalogGuessMs: 168_000,
      samples: renders,
      policy: { ...policy, quantile: 0.5 },
    });
    expect(later.delayMs).toBeGreaterThan(decision.delayMs);
  });

  it('keeps a learned delay within the floor and cap around the catalog guess', () => {
    const tooFast = Array.from({ length: 10 }, () => 1_000);
    const tooSlow = Array.from({ length: 10 }, () => 3_600_000);
    expect(firstPollDelay({ catalogGuessMs: 100_000, samples: tooFast, policy }).delayMs).toBe(
      25_000,
    );
    expect(firstPollDelay({ catalogGuessMs: 100_000, samples: tooSlow, policy }).delayMs).toBe(
      400_000,
    );
  });

  it('uses the default policy when none is given', () => {
    const samples = Array.from({ length: DEFAULT_FIRST_POLL_POLICY.minSamples }, () => 200_000);
    expect(firstPollDelay({ catalogGuessMs: 168_000, samples })).toEqual({
      delayMs: 200_000,
      source: 'learned',
    });
  });
});

describe('render sample of a finished poll', () => {
  it('takes the middle of the last interval after a poll saw the task running', () => {
    expect(renderSampleMs({ elapsedMs: 245_000, polls: 3, pollIntervalMs: 10_000 })).toBe(240_000);
  });

  it('takes a task already done at the first poll one interval earlier, never below zero', () => {
    expect(renderSampleMs({ elapsedMs: 230_000, polls: 1, pollIntervalMs: 10_000 })).toBe(220_000);
    expect(renderSampleMs({ elapsedMs: 3_000, polls: 1, pollIntervalMs: 10_000 })).toBe(0);
  });
});

describe('render-time key', () => {
  it('tells providers, models, modes and durations apart', () => {
    const request = { model: 'kling-v1.6', mode: 'std', duration: 5 };
    expect(renderTimeKey('kling', request)).toBe('kling/kling-v1.6/std/5s');
    expect(renderTimeKey('fal', request)).not.toBe(renderTimeKey('kling', request));
    expect(renderTimeKey('kling', { ...request, duration: 10 })).not.toBe(
      renderTimeKey('kling', request),
    );
    expect(renderTimeKey('kling', { ...request, mode: 'pro' })).not.toBe(
      renderTimeKey('kling', request),
    );
  });
});
