import type { ProviderId } from '../request/unified-request.js';
import { AI302_FAKE_API_KEY, startAi302Fake } from './302ai-fake.js';
import { APIFRAME_FAKE_API_KEY, startApiFrameFake } from './apiframe-fake.js';
import { APIMODELS_FAKE_API_KEY, startApiModelsFake } from './apimodels-fake.js';
import type { FakeProviderServer } from './fake-server.js';
import { HYPRLAB_FAKE_API_KEY, startHyprLabFake } from './hyprlab-fake.js';
import { KLING_FAKE_ACCESS_KEY, KLING_FAKE_SECRET_KEY, startKlingFake } from './kling-fake.js';
import { OPENAI_HK_FAKE_API_KEY, startOpenAiHkFake } from './openai-hk-fake.js';

export interface SimulatedProviderSet {
  fakes: Record<ProviderId, FakeProviderServer>;
  /** Keys and base URLs that point every provider at its fake (what a worker's environment needs). */
  environment: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

/**
 * Every provider's fake on loopback, and the environment that points klingflow at them. Used by
 * the integration tests and by the simulated providers of the demo (no API key set).
 */
export async function startSimulatedProviders(
  options: { renderMs?: number; only?: readonly ProviderId[] } = {},
): Promise<SimulatedProviderSet> {
  const wanted = (id: ProviderId) => !options.only || options.only.includes(id);
  const renderMs = options.renderMs;
  const settings = renderMs === undefined ? {} : { renderMs };
  const starters: Record<ProviderId, () => Promise<[FakeProviderServer, NodeJS.ProcessEnv]>> = {
    hyprlab: async () => {
      const fake = await startHyprLabFake(settings);
      return [fake, { HYPRLAB_API_KEY: HYPRLAB_FAKE_API_KEY, HYPRLAB_BASE_URL: fake.baseUrl }];
    },
    'openai-hk': async () => {
      const fake = await startOpenAiHkFake(settings);
      return [
        fake,
        { OPENAI_HK_API_KEY: OPENAI_HK_FAKE_API_KEY, OPENAI_HK_BASE_URL: fake.baseUrl },
      ];
    },
    kling: async () => {
      const fake = await startKlingFake(settings);
      return [
        fake,
        {
          KLING_ACCESS_KEY: KLING_FAKE_ACCESS_KEY,
          KLING_SECRET_KEY: KLING_FAKE_SECRET_KEY,
          KLING_BASE_URL: fake.baseUrl,
        },
      ];
    },
    '302ai': async () => {
      const fake = await startAi302Fake(settings);
      return [fake, { AI302_API_KEY: AI302_FAKE_API_KEY, AI302_BASE_URL: fake.baseUrl }];
    },
    apimodels: async () => {
      const fake = await startApiModelsFake(settings);
      return [
        fake,
        { APIMODELS_API_KEY: APIMODELS_FAKE_API_KEY, APIMODELS_BASE_URL: fake.baseUrl },
      ];
    },
    apiframe: async () => {
      const fake = await startApiFrameFake(settings);
      return [fake, { APIFRAME_API_KEY: APIFRAME_FAKE_API_KEY, APIFRAME_BASE_URL: fake.baseUrl }];
    },
  };
  const fakes = {} as Record<ProviderId, FakeProviderServer>;
  const environment: NodeJS.ProcessEnv = {};
  for (const id of Object.keys(starters) as ProviderId[]) {
    if (!wanted(id)) continue;
    const [fake, variables] = await starters[id]();
    fakes[id] = fake;
    Object.assign(environment, variables);
  }
  return {
    fakes,
    environment,
    async stop() {
      await Promise.all(Object.values(fakes).map((fake) => fake.stop()));
    },
  };
}
