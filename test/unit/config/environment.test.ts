import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/config/duration.js';
import { readSettings } from '../../../src/config/environment.js';

describe('settings from the environment', () => {
  it('uses the contract defaults', () => {
    const settings = readSettings({});
    expect(settings).toMatchObject({
      taskQueue: 'klingflow',
      pollIntervalMs: 10_000,
      allowPrivateNetwork: false,
      providerOrder: undefined,
    });
    expect(settings.storageDirectory).toMatch(/\/videos$/);
  });

  it('reads every KLINGFLOW_ variable', () => {
    const settings = readSettings({
      KLINGFLOW_TASK_QUEUE: 'renders',
      KLINGFLOW_STORAGE_DIR: '/data/out',
      KLINGFLOW_PROVIDERS: 'kling, hyprlab',
      KLINGFLOW_POLL_INTERVAL: '1s',
      KLINGFLOW_ALLOW_PRIVATE_NETWORK: '1',
    });
    expect(settings).toEqual({
      taskQueue: 'renders',
      storageDirectory: '/data/out',
      providerOrder: ['kling', 'hyprlab'],
      pollIntervalMs: 1000,
      initialWaitMs: undefined,
      allowPrivateNetwork: true,
      providerRateLimits: {},
      providerConcurrency: {},
      priceRates: {},
    });
  });

  it('reads per-provider rate limits and in-flight caps', () => {
    const settings = readSettings({
      KLINGFLOW_PROVIDER_RATE_LIMITS: 'kling=2, hyprlab=0.5',
      KLINGFLOW_PROVIDER_CONCURRENCY: 'kling=5',
    });
    expect(settings.providerRateLimits).toEqual({ kling: 2, hyprlab: 0.5 });
    expect(settings.providerConcurrency).toEqual({ kling: 5 });
    expect(() => readSettings({ KLINGFLOW_PROVIDER_CONCURRENCY: 'kling=2.5' })).toThrow(
      /KLINGFLOW_PROVIDER_CONCURRENCY: kling=2.5 is not a positive whole number/,
    );
    expect(() => readSettings({ KLINGFLOW_PROVIDER_RATE_LIMITS: 'fal=1' })).toThrow(
      /unknown provider "fal"/,
    );
  });

  it('names the variable and the allowed values when one is wrong', () => {
    expect(() => readSettings({ KLINGFLOW_PROVIDERS: 'kling,fal' })).toThrow(
      /KLINGFLOW_PROVIDERS: unknown provider fal \(allowed: hyprlab, openai-hk, kling, 302ai, apimodels, apiframe\)/,
    );
    expect(() => readSettings({ KLINGFLOW_POLL_INTERVAL: 'often' })).toThrow(
      /KLINGFLOW_POLL_INTERVAL/,
    );
  });

  it('parses durations with units', () => {
    expect([
      parseDuration('10s'),
      parseDuration('500ms'),
      parseDuration('2m'),
      parseDuration('1.5s'),
      parseDuration('250'),
    ]).toEqual([10_000, 500, 120_000, 1500, 250]);
    expect(parseDuration('ten seconds')).toBeUndefined();
  });
});
