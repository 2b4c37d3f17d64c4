import { configuredProviderIds, PROVIDER_ENVIRONMENT } from '../config/provider-variables.js';
import type { ProviderId } from '../request/unified-request.js';
import { createAi302Provider } from './302ai.js';
import { createApiFrameProvider } from './apiframe.js';
import { createApiModelsProvider } from './apimodels.js';
import { createFalProvider } from './fal.js';
import { createHyprLabProvider } from './hyprlab.js';
import type { ProviderHttpSettings } from './kit/provider-http.js';
import { createKlingProvider } from './kling.js';
import { createOpenAiHkProvider } from './openai-hk.js';
import type { ProviderAdapter } from './provider.js';
import { createReplicateProvider } from './replicate.js';

/** Adapters for every configured provider. Keys stay here, in the worker process, only. */
export function createConfiguredProviders(
  environment: NodeJS.ProcessEnv,
  http: ProviderHttpSettings,
): ProviderAdapter[] {
  const base = (id: ProviderId) => environment[PROVIDER_ENVIRONMENT[id].baseUrl] || undefined;
  const key = (name: string) => environment[name] ?? '';
  const factories: Record<ProviderId, () => ProviderAdapter> = {
    hyprlab: () =>
      createHyprLabProvider({ apiKey: key('HYPRLAB_API_KEY'), baseUrl: base('hyprlab'), http }),
    'openai-hk': () =>
      createOpenAiHkProvider({
        apiKey: key('OPENAI_HK_API_KEY'),
        baseUrl: base('openai-hk'),
        http,
      }),
    kling: () =>
      createKlingProvider({
        accessKey: key('KLING_ACCESS_KEY'),
        secretKey: key('KLING_SECRET_KEY'),
        baseUrl: base('kling'),
        http,
      }),
    '302ai': () =>
      createAi302Provider({ apiKey: key('AI302_API_KEY'), baseUrl: base('302ai'), http }),
    apimodels: () =>
      createApiModelsProvider({
        apiKey: key('APIMODELS_API_KEY'),
        baseUrl: base('apimodels'),
        http,
      }),
    apiframe: () =>
      createApiFrameProvider({ apiKey: key('APIFRAME_API_KEY'), baseUrl: base('apiframe'), http }),
    fal: () => createFalProvider({ apiKey: key('FAL_KEY'), baseUrl: base('fal'), http }),
    replicate: () =>
      createReplicateProvider({
        apiKey: key('REPLICATE_API_TOKEN'),
        baseUrl: base('replicate'),
        http,
      }),
  };
  return configuredProviderIds(environment).map((id) => factories[id]());
}
