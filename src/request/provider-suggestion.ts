import { PROVIDER_IDS, type ProviderId } from './unified-request.js';

/** Letters and digits only, lower case. */
function loose(value: string): string {
  return value.toLowerCase().replace(/[^a-z0-9]/g, '');
}

/**
 * The provider id a pasted name means (`HyprLab`, `openai_hk`, `302.AI`, `fal.ai`), to suggest,
 * never to take: the failover order decides who is paid.
 */
export function suggestedProviderId(input: string): ProviderId | undefined {
  // As typed (`302.AI`), and without a pasted domain's ending (`fal.ai`, `apimodels.app`).
  const wanted = [loose(input), loose(input.trim().replace(/\.(ai|app|io|com)$/i, ''))];
  return PROVIDER_IDS.find((id) => wanted.includes(loose(id)));
}

/** `"HyprLab" (did you mean hyprlab?), "runway"`: unknown ids as a user typed them. */
export function describeUnknownProviders(unknown: readonly unknown[]): string {
  return unknown
    .map((id) => {
      const meant = typeof id === 'string' ? suggestedProviderId(id) : undefined;
      return `${JSON.stringify(id)}${meant ? ` (did you mean ${meant}?)` : ''}`;
    })
    .join(', ');
}
