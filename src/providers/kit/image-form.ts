import type { ImageResolver } from '../provider.js';
import { isHttpUrl } from './lenient-json.js';

/**
 * An image in the form a JSON provider takes: an http(s) reference goes as its URL (the
 * provider fetches it), a stored blob as the inline form the provider accepts.
 */
export async function jsonImage(
  images: ImageResolver,
  reference: string,
  inline: 'base64' | 'data-uri',
): Promise<string> {
  if (isHttpUrl(reference)) return images.asUrl(reference);
  return inline === 'base64' ? images.asBase64(reference) : images.asDataUri(reference);
}
