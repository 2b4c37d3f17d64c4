import { describe, expect, it } from 'vitest';
import {
  fitSettingsToSimulation,
  startSimulatedProviders,
} from '../../../src/cli/simulated-providers.js';
import { readSettings } from '../../../src/config/environment.js';
import { ConfigurationError } from '../../../src/errors.js';
import { createConfiguredProviders } from '../../../src/providers/configured-providers.js';
import type { TaskHandle } from '../../../src/providers/provider.js';
import { http } from '../providers/provider-test-support.js';

describe('the simulated providers of a keyless run', () => {
  it('render for KLINGFLOW_SIMULATED_RENDER_TIME, and refuse a value that is not a duration', async () => {
    const simulated = await startSimulatedProviders({ KLINGFLOW_SIMULATED_RENDER_TIME: '2s' });
    await simulated.stop();
    expect(simulated.renderMs).toBe(2_000);

    const refusal = startSimulatedProviders({ KLINGFLOW_SIMULATED_RENDER_TIME: 'fast' });
    await expect(refusal).rejects.toBeInstanceOf(ConfigurationError);
    await expect(refusal).rejects.toThrow(
      'KLINGFLOW_SIMULATED_RENDER_TIME: "fast" is not a duration (examples: 10s, 2m)',
    );
  });

  it('poll each second unless KLINGFLOW_POLL_INTERVAL is set, which is then honoured', () => {
    const unset = readSettings({});
    fitSettingsToSimulation(unset, {}, 5_000);
    expect(unset).toMatchObject({ pollIntervalMs: 1_000, initialWaitMs: 4_000 });
    expect(unset.allowPrivateNetwork).toBe(true);

    const environment = { KLINGFLOW_POLL_INTERVAL: '30s', KLINGFLOW_INITIAL_WAIT: '2s' };
    const set = readSettings(environment);
    fitSettingsToSimulation(set, environment, 5_000);
    expect(set).toMatchObject({ pollIntervalMs: 30_000, initialWaitMs: 2_000 });
  });
});

describe('the simulated providers restarted under a resumed job', () => {
  it('answer a task id they lost in the restart as a finished task, for every query path', async () => {
    const simulated = await startSimulatedProviders({});
    try {
      const adapters = createConfiguredProviders(simulated.environment, http);
      const statusOf = (provider: string, handle: TaskHandle) =>
        adapters.find((adapter) => adapter.id === provider)!.status(handle, {});
      for (const [provider, handle] of [
        ['kling', { provider: 'kling', taskId: 'before-restart-1', endpoint: 'text2video' }],
        [
          'openai-hk',
          { provider: 'openai-hk', taskId: 'before-restart-2', endpoint: 'image2video' },
        ],
        ['apimodels', { provider: 'apimodels', taskId: 'before-restart-3' }],
      ] as const) {
        expect((await statusOf(provider, handle)).state, provider).toBe('succeeded');
      }
    } finally {
      await simulated.stop();
    }
  });
});
