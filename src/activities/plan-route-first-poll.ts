import type { ProviderId, UnifiedRequest } from '../request/unified-request.js';
import type { RenderTimeStore } from '../storage/render-time-store.js';
import {
  type FirstPollPolicy,
  firstPollDelay,
  renderTimeKey,
} from '../workflows/generation/poll-policy.js';

export interface FirstPollSettings {
  /** Overrides the wait before the first poll (tests, the simulated provider). */
  initialWaitMs?: number;
  /** Share of the typical render time slept before the first poll when nothing is learned. */
  initialWaitShare: number;
  /**
   * Render times learned from finished jobs (read here, recorded by checkTask); absent: the
   * catalog guess always decides.
   */
  renderTimes?: RenderTimeStore;
  firstPoll?: FirstPollPolicy;
}

/**
 * How long a route entry waits before its first status call: the operator's fixed wait when
 * set, else the low quantile of this provider's learned render times for the request, else a
 * share of the catalog's typical render time. A store that cannot be read falls back to the
 * guess: it only tunes the cost of polling.
 */
export async function firstPollWaitMs(
  settings: FirstPollSettings,
  provider: ProviderId,
  request: UnifiedRequest,
  typicalRenderSeconds: number,
): Promise<number> {
  if (settings.initialWaitMs !== undefined) return settings.initialWaitMs;
  const catalogGuessMs = Math.round(typicalRenderSeconds * 1000 * settings.initialWaitShare);
  const samples = await settings.renderTimes
    ?.samples(renderTimeKey(provider, request))
    .catch(() => []);
  return firstPollDelay({
    catalogGuessMs,
    samples: samples ?? [],
    ...(settings.firstPoll ? { policy: settings.firstPoll } : {}),
  }).delayMs;
}
