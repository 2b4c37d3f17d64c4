import type { Command } from 'commander';
import { parsePriceRates, withPriceRate } from '../../config/price-rates.js';
import { configuredProviderIds } from '../../config/provider-variables.js';
import { VARIABLES } from '../../config/variables.js';
import { catalogProviders } from '../../providers/catalog.js';
import { providerModelName } from '../../providers/offer-check.js';
import type { Price, ProviderOffering } from '../../providers/provider.js';
import { parseUnifiedRequest } from '../../request/parse-request.js';
import type { UnifiedRequest } from '../../request/unified-request.js';
import { printJson } from '../output.js';

export interface ProviderTableRow {
  provider: string;
  configured: boolean;
  model: string;
  mode: string;
  providerModel: string;
  endpoint: string;
  duration: number;
  /** The price of this row is with audio on (`sound: true`). */
  audio: boolean;
  /** The price of this row is with a custom voice (apimodels' `voice_list`) as well. */
  voice: boolean;
  price: Price;
  startImage: string;
  endImage: string;
  sound: string;
  cameraControl: string;
  callbacks: boolean;
}

/** A voice id for pricing the voice rows; only apimodels prices `voice_list`. */
const PRICING_VOICE = { apimodels: { voice_list: ['voice'] } };

/**
 * Every (provider, model, mode, duration) offered, with its price from the seed tables, and
 * the audio and voice variants wherever the provider serves them, so every seed price row
 * (apimodels pro+audio, pro+audio+voice, v3 with audio, OpenAI-HK's audio ×2) is visible.
 */
export function providerTable(environment: NodeJS.ProcessEnv = process.env): ProviderTableRow[] {
  const configured = new Set(configuredProviderIds(environment));
  // Prices in units or credits get their USD value from the user's rates, as routing does.
  const rates = parsePriceRates(environment[VARIABLES.priceRates]);
  const rows: ProviderTableRow[] = [];
  for (const adapter of catalogProviders()) {
    const priceOf = (request: UnifiedRequest) =>
      withPriceRate(adapter.price(request), rates[adapter.id]);
    for (const offer of adapter.capabilities.offers) {
      for (const mode of offer.modes) {
        for (const duration of offer.durations) {
          const base = {
            prompt: 'price',
            model: offer.model,
            mode,
            duration,
            ...(offer.startImage === 'required'
              ? { startImage: 'https://example.com/first-frame.png' }
              : {}),
          };
          const row = (audio: boolean, voice: boolean, price: Price): ProviderTableRow => ({
            provider: adapter.id,
            configured: configured.has(adapter.id),
            model: offer.model,
            mode,
            providerModel: providerModelName(offer, mode),
            endpoint: offer.endpoint,
            duration,
            audio,
            voice,
            price,
            startImage: offer.startImage,
            endImage: offer.endImage,
            sound: offer.sound,
            cameraControl:
              typeof offer.cameraControl === 'string' ? offer.cameraControl : 'restricted',
            callbacks: adapter.capabilities.callbacks,
          });
          rows.push(row(false, false, priceOf(parseUnifiedRequest(base))));
          const withAudio = parseUnifiedRequest({ ...base, sound: true });
          if (!servable(adapter, withAudio)) continue;
          const audioPrice = priceOf(withAudio);
          rows.push(row(true, false, audioPrice));
          const withVoice = parseUnifiedRequest({
            ...base,
            sound: true,
            providerOptions: PRICING_VOICE,
          });
          // Voice rows only where a voice is priced on its own (the seed's v2.6 table).
          if (servable(adapter, withVoice)) {
            const voicePrice = priceOf(withVoice);
            if (voicePrice.amount !== audioPrice.amount) rows.push(row(true, true, voicePrice));
          }
        }
      }
    }
  }
  return rows;
}

function servable(adapter: ProviderOffering, request: UnifiedRequest): boolean {
  const check = adapter.check(request);
  return check.offer !== undefined && check.issues.length === 0;
}

export function registerProvidersCommand(program: Command): void {
  program
    .command('providers')
    .description('capabilities and prices per provider and model')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      const rows = providerTable();
      if (flags.json) {
        const providers = catalogProviders().map((adapter) => ({
          id: adapter.id,
          name: adapter.displayName,
          configured: rows.some((row) => row.provider === adapter.id && row.configured),
          capabilities: {
            callbacks: adapter.capabilities.callbacks,
            idempotentSubmit: adapter.capabilities.idempotentSubmit,
            imageForms: adapter.capabilities.imageForms,
            priceUnit: adapter.capabilities.priceUnit,
            unverified: adapter.capabilities.unverified ?? [],
          },
          offers: rows.filter((row) => row.provider === adapter.id),
        }));
        printJson({ providers });
        return;
      }
      const header = [
        'provider',
        'model',
        'mode',
        'sec',
        'extras',
        'price',
        'provider model',
        'start image',
        'sound',
      ];
      const body = rows.map((row) => [
        `${row.provider}${row.configured ? '*' : ''}`,
        row.model,
        row.mode,
        String(row.duration),
        row.voice ? 'audio+voice' : row.audio ? 'audio' : '',
        `${row.price.amount} ${row.price.unit}${row.price.unit !== 'USD' && row.price.usd !== undefined ? ` (≈ $${row.price.usd})` : ''}`,
        row.providerModel,
        row.startImage,
        row.sound,
      ]);
      const widths = header.map((title, column) =>
        Math.max(title.length, ...body.map((cells) => cells[column]?.length ?? 0)),
      );
      const format = (cells: string[]) =>
        cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
      process.stdout.write(
        `${format(header)}\n${body.map(format).join('\n')}\n(* = configured: its API key is set)\n`,
      );
    });
}
