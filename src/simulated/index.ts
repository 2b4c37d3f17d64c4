import { PROVIDER_ENVIRONMENT } from '../config/provider-variables.js';
import type { ProviderId } from '../request/unified-request.js';
import { AI302_FAKE_API_KEY, startAi302Fake } from './302ai-fake.js';
import { APIFRAME_FAKE_API_KEY, startApiFrameFake } from './apiframe-fake.js';
import { APIMODELS_FAKE_API_KEY, startApiModelsFake } from './apimodels-fake.js';
import type { FakeProviderServer } from './fake-server.js';
import { FAL_FAKE_API_KEY, startFalFake } from './fal-fake.js';
import { HYPRLAB_FAKE_API_KEY, startHyprLabFake } from './hyprlab-fake.js';
import { KLING_FAKE_ACCESS_KEY, KLING_FAKE_SECRET_KEY, startKlingFake } from './kling-fake.js';
import { OPENAI_HK_FAKE_API_KEY, startOpenAiHkFake } from './openai-hk-fake.js';
import { REPLICATE_FAKE_API_KEY, startReplicateFake } from './replicate-fake.js';

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
  options: {
    renderMs?: number;
    only?: readonly ProviderId[];
    /** See FakeProviderServer.recoverUnknownTasks: the CLI's restartable simulation. */
    recoverUnknownTasks?: boolean;
  } = {},
): Promise<SimulatedProviderSet> {
  const wanted = (id: ProviderId) => !options.only || options.only.includes(id);
  const renderMs = options.renderMs;
  const settings = renderMs === undefined ? {} : { renderMs };
  const fakes = {} as Record<ProviderId, FakeProviderServer>;
  const environment: NodeJS.ProcessEnv = {};
  for (const id of Object.keys(SIMULATED) as ProviderId[]) {
    if (!wanted(id)) continue;
    const [start, credentials] = SIMULATED[id];
    const fake = await start(settings);
    fake.recoverUnknownTasks = options.recoverUnknownTasks ?? false;
    fakes[id] = fake;
    const variables = PROVIDER_ENVIRONMENT[id];
    variables.keys.forEach((name, index) => {
      environment[name] = credentials[index];
    });
    environment[variables.baseUrl] = fake.baseUrl;
  }
  return {
    fakes,
    environment,
    async stop() {
      await Promise.all(Object.values(fakes).map((fake) => fake.stop()));
    },
  };
}

type FakeStarter = (settings: { renderMs?: number }) => Promise<FakeProviderServer>;

/** Each provider's fake, and the credentials it accepts in PROVIDER_ENVIRONMENT's key order. */
const SIMULATED: Record<ProviderId, [FakeStarter, credentials: string[]]> = {
  hyprlab: [startHyprLabFake, [HYPRLAB_FAKE_API_KEY]],
  'openai-hk': [startOpenAiHkFake, [OPENAI_HK_FAKE_API_KEY]],
  kling: [startKlingFake, [KLING_FAKE_ACCESS_KEY, KLING_FAKE_SECRET_KEY]],
  '302ai': [startAi302Fake, [AI302_FAKE_API_KEY]],
  apimodels: [startApiModelsFake, [APIMODELS_FAKE_API_KEY]],
  apiframe: [startApiFrameFake, [APIFRAME_FAKE_API_KEY]],
  fal: [startFalFake, [FAL_FAKE_API_KEY]],
  replicate: [startReplicateFake, [REPLICATE_FAKE_API_KEY]],
};
