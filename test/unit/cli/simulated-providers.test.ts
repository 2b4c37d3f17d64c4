import { describe, expect, it } from 'vitest';
import { startSimulatedProviders } from '../../../src/cli/simulated-providers.js';
import { ConfigurationError } from '../../../src/errors.js';

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
});
