import { ConfigurationError } from '../errors.js';
import type { ProviderId } from '../request/unified-request.js';

/** Environment variables per provider: its key(s) and its base URL. */
export const PROVIDER_ENVIRONMENT: Record<ProviderId, { keys: string[]; baseUrl: string }> = {
  hyprlab: { keys: ['HYPRLAB_API_KEY'], baseUrl: 'HYPRLAB_BASE_URL' },
  'openai-hk': { keys: ['OPENAI_HK_API_KEY'], baseUrl: 'OPENAI_HK_BASE_URL' },
  kling: { keys: ['KLING_ACCESS_KEY', 'KLING_SECRET_KEY'], baseUrl: 'KLING_BASE_URL' },
  '302ai': { keys: ['AI302_API_KEY'], baseUrl: 'AI302_BASE_URL' },
  apimodels: { keys: ['APIMODELS_API_KEY'], baseUrl: 'APIMODELS_BASE_URL' },
  apiframe: { keys: ['APIFRAME_API_KEY'], baseUrl: 'APIFRAME_BASE_URL' },
  fal: { keys: ['FAL_KEY'], baseUrl: 'FAL_BASE_URL' },
  replicate: { keys: ['REPLICATE_API_TOKEN'], baseUrl: 'REPLICATE_BASE_URL' },
};

/** A provider is configured when all of its keys are set. */
export function configuredProviderIds(environment: NodeJS.ProcessEnv): ProviderId[] {
  return (Object.keys(PROVIDER_ENVIRONMENT) as ProviderId[]).filter((id) =>
    PROVIDER_ENVIRONMENT[id].keys.every((key) => Boolean(environment[key])),
  );
}

/** `KLING_ACCESS_KEY + KLING_SECRET_KEY`: what to set to configure a provider. */
export function providerKeyNames(id: ProviderId): string {
  return PROVIDER_ENVIRONMENT[id].keys.join(' + ');
}

/** The base URL variables that configured providers set, with their values. */
export function configuredBaseUrls(
  environment: NodeJS.ProcessEnv,
): { variable: string; value: string }[] {
  return configuredProviderIds(environment).flatMap((id) => {
    const variable = PROVIDER_ENVIRONMENT[id].baseUrl;
    const value = environment[variable];
    return value ? [{ variable, value }] : [];
  });
}

/**
 * A configured provider's base URL, when set, must be an http(s) URL: a typo otherwise surfaces
 * only at the first submit, as a failed job, after the request was accepted.
 */
export function checkProviderBaseUrls(environment: NodeJS.ProcessEnv): void {
  for (const { variable, value } of configuredBaseUrls(environment)) {
    if (!URL.canParse(value) || !/^https?:$/.test(new URL(value).protocol)) {
      // The value is not repeated: a base URL can carry credentials (https://user:token@host).
      throw new ConfigurationError(
        variable,
        'is not an http(s) URL (example: https://api.example.com/v1)',
      );
    }
  }
}
