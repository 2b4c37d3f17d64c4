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
    expect(() => readSettings({ KLINGFLOW_PROVIDER_RATE_LIMITS: 'runway=1' })).toThrow(
      /unknown provider "runway"/,
    );
    // Pasted with a colon or the provider's own spelling: the pair it means.
    expect(() => readSettings({ KLINGFLOW_PROVIDER_CONCURRENCY: 'hyprlab:2' })).toThrow(
      'KLINGFLOW_PROVIDER_CONCURRENCY: unknown provider "hyprlab:2"; write hyprlab=2',
    );
    expect(() => readSettings({ KLINGFLOW_PROVIDER_RATE_LIMITS: 'HyprLab=0.5' })).toThrow(
      'unknown provider "HyprLab"; write hyprlab=0.5',
    );
  });

  it('names the variable and the allowed values when one is wrong', () => {
    expect(() => readSettings({ KLINGFLOW_PROVIDERS: 'kling,runway' })).toThrow(
      /KLINGFLOW_PROVIDERS: unknown provider "runway" \(allowed: hyprlab, openai-hk, kling, 302ai, apimodels, apiframe, fal, replicate\)/,
    );
    // A pasted spelling is suggested, never taken: the order decides who is paid.
    expect(() => readSettings({ KLINGFLOW_PROVIDERS: 'HyprLab,openai_hk,fal.ai,302.AI' })).toThrow(
      'unknown provider "HyprLab" (did you mean hyprlab?), "openai_hk" (did you mean openai-hk?), "fal.ai" (did you mean fal?), "302.AI" (did you mean 302ai?)',
    );
    expect(() => readSettings({ KLINGFLOW_POLL_INTERVAL: 'often' })).toThrow(
      /KLINGFLOW_POLL_INTERVAL/,
    );
  });

  it('refuses a poll interval so short it is a unit mistake, suggesting the seconds meant', () => {
    expect(() => readSettings({ KLINGFLOW_POLL_INTERVAL: '10' })).toThrow(
      'KLINGFLOW_POLL_INTERVAL: "10" is 10 ms, under the 100 ms minimum; did you mean 10s?',
    );
    expect(() => readSettings({ KLINGFLOW_POLL_INTERVAL: '50ms' })).toThrow(
      '"50ms" is 50 ms, under the 100 ms minimum',
    );
    expect(readSettings({ KLINGFLOW_POLL_INTERVAL: '200ms' }).pollIntervalMs).toBe(200);
  });

  it("refuses a configured provider's base URL that is not an http(s) URL, naming the variable", () => {
    for (const value of ['notaurl', 'ftp://api.example.com', 'api.hyprlab.io/v1', 'user:sk-1@x']) {
      const refusal = (() => {
        try {
          readSettings({ HYPRLAB_API_KEY: 'k', HYPRLAB_BASE_URL: value });
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(refusal).toBe(
        'HYPRLAB_BASE_URL: is not an http(s) URL (example: https://api.example.com/v1)',
      );
    }
    expect(
      readSettings({ HYPRLAB_API_KEY: 'k', HYPRLAB_BASE_URL: 'http://127.0.0.1:8080/v1' }),
    ).toBeDefined();
    // Without its key the provider is not configured, so its base URL is never used.
    expect(readSettings({ HYPRLAB_BASE_URL: 'notaurl' })).toBeDefined();
  });

  it('parses durations with units', () => {
    expect([
      parseDuration('10s'),
      parseDuration('500ms'),
      parseDuration('2m'),
      parseDuration('1.5s'),
      parseDuration('250'),
      parseDuration('7d'),
    ]).toEqual([10_000, 500, 120_000, 1500, 250, 604_800_000]);
    expect(parseDuration('ten seconds')).toBeUndefined();
  });
});
