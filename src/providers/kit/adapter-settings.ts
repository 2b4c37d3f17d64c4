import type { ProviderHttpSettings } from './provider-http.js';

/** What an adapter authenticated by one static API key is built from. */
export interface ApiKeySettings {
  apiKey: string;
  /** The provider's API root; its default when unset. */
  baseUrl?: string;
  http: ProviderHttpSettings;
}

/** The base URL without trailing slashes, so `${base}/path` never doubles one. */
export function baseUrlOf(configured: string | undefined, fallback: string): string {
  return (configured ?? fallback).replace(/\/+$/, '');
}

/** `Authorization: Bearer <key>`, the header most providers take. */
export function bearerHeaders(apiKey: string): Record<string, string> {
  return { authorization: `Bearer ${apiKey}` };
}
