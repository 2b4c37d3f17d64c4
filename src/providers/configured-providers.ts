import type { ProviderId } from '../request/unified-request.js';
import { createAi302Provider } from './302ai.js';
import { createApiFrameProvider } from './apiframe.js';
import { createApiModelsProvider } from './apimodels.js';
import { createHyprLabProvider } from './hyprlab.js';
import type { ProviderHttpSettings } from './kit/provider-http.js';
import { createKlingProvider } from './kling.js';
import { createOpenAiHkProvider } from './openai-hk.js';
import type { ProviderAdapter } from './provider.js';

/** Environment variables per provider: its key(s) and its base URL. */
export const PROVIDER_ENVIRONMENT: Record<ProviderId, { keys: string[]; baseUrl: string }> = {
  hyprlab: { keys: ['HYPRLAB_API_KEY'], baseUrl: 'HYPRLAB_BASE_URL' },
  'openai-hk': { keys: ['OPENAI_HK_API_KEY'], baseUrl: 'OPENAI_HK_BASE_URL' },
  kling: { keys: ['KLING_ACCESS_KEY', 'KLING_SECRET_KEY'], baseUrl: 'KLING_BASE_URL' },
  '302ai': { keys: ['AI302_API_KEY'], baseUrl: 'AI302_BASE_URL' },
  apimodels: { keys: ['APIMODELS_API_KEY'], baseUrl: 'APIMODELS_BASE_URL' },
  apiframe: { keys: ['APIFRAME_API_KEY'], baseUrl: 'APIFRAME_BASE_URL' },
};

/** A provider is configured when all of its keys are set. */
export function configuredProviderIds(environment: NodeJS.ProcessEnv): ProviderId[] {
  return (Object.keys(PROVIDER_ENVIRONMENT) as ProviderId[]).filter((id) =>
    PROVIDER_ENVIRONMENT[id].keys.every((key) => Boolean(environment[key])),
  );
}

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
  };
  return configuredProviderIds(environment).map((id) => factories[id]());
}
