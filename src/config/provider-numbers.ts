import { ConfigurationError } from '../errors.js';
import { describeUnknownProviders, suggestedProviderId } from '../request/provider-suggestion.js';
import { PROVIDER_IDS, type ProviderId } from '../request/unified-request.js';

const isProviderId = (id: string): id is ProviderId =>
  (PROVIDER_IDS as readonly string[]).includes(id);

/** Parses `kling=2,hyprlab=0.5` into numbers per provider, naming the variable when wrong. */
export function parseProviderNumbers(
  value: string | undefined,
  source: string,
  options: { integer?: boolean } = {},
): Partial<Record<ProviderId, number>> {
  const result: Partial<Record<ProviderId, number>> = {};
  if (!value?.trim()) return result;
  for (const part of value.split(',')) {
    const [id = '', raw = ''] = part.split('=').map((piece) => piece.trim());
    if (!(PROVIDER_IDS as readonly string[]).includes(id)) {
      // `hyprlab:2` or `HyprLab=2`: the pair it means, never taken as it is.
      const [name = '', number = raw] = raw || !id.includes(':') ? [id] : id.split(':');
      const meant =
        suggestedProviderId(name.trim()) ?? (isProviderId(name.trim()) ? name.trim() : undefined);
      const pair = meant && number.trim() ? `${meant}=${number.trim()}` : undefined;
      throw new ConfigurationError(
        source,
        `unknown provider ${pair ? `${JSON.stringify(id)}; write ${pair}` : describeUnknownProviders([id])} (allowed: ${PROVIDER_IDS.join(', ')})`,
      );
    }
    const number = Number(raw);
    if (
      !raw ||
      !Number.isFinite(number) ||
      number <= 0 ||
      (options.integer && !Number.isInteger(number))
    ) {
      throw new ConfigurationError(
        source,
        `${id}=${raw} is not a positive ${options.integer ? 'whole number' : 'number'} (example: kling=5,hyprlab=2)`,
      );
    }
    result[id as ProviderId] = number;
  }
  return result;
}
