import { ProviderError } from '../../errors.js';
import type { TaskHandle } from '../provider.js';

/**
 * A URL the provider returned at submit (a polling, result or cancel URL), kept in the task
 * handle. The key goes only where it went for the submit: a returned URL on another host
 * would receive our Authorization header, so it is refused.
 */
export function returnedUrl(
  handle: TaskHandle,
  field: string,
  baseUrl: string,
  displayName: string,
): string {
  const value = handle[field];
  if (typeof value !== 'string' || value === '') {
    throw new ProviderError('invalid-request', handle.provider, `task handle has no ${field}`);
  }
  return onProviderHost(handle.provider, field, value, baseUrl, displayName);
}

/** `url` when it is on the base URL's origin; a provider-unavailable error otherwise. */
export function onProviderHost(
  provider: string,
  what: string,
  url: string,
  baseUrl: string,
  displayName: string,
): string {
  if (!sameOrigin(url, baseUrl)) {
    throw new ProviderError(
      'provider-unavailable',
      provider,
      `${what} ${originOf(url)} is not on the ${displayName} host ${originOf(baseUrl)}; the API key is not sent there`,
    );
  }
  return url;
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(not a URL)';
  }
}

function sameOrigin(url: string, base: string): boolean {
  try {
    return new URL(url).origin === new URL(base).origin;
  } catch {
    return false;
  }
}
