/**
 * When to make the first status call of a polled task. Every status call is a billable activity
 * attempt, so the first one should come just before the render is likely done: a fixed share
 * of the catalog's typical render time is early for slow providers (every early poll is paid)
 * and late for fast ones (detection waits). Render times learned from this worker's finished
 * jobs, per provider, model, mode and duration, replace the guess once there are enough.
 *
 * Pure functions: used by the planRoute activity (which records the delay in the plan, so the
 * workflow replays it) and by the status activity that records finished renders.
 */

export interface FirstPollPolicy {
  /**
   * Share of learned renders that are already done at the first poll: low enough that
   * detection latency stays bounded by the poll interval for most jobs, high enough that few
   * polls are made before the render ends.
   */
  quantile: number;
  /** Fewer learned renders than this: the catalog guess decides. */
  minSamples: number;
  /**
   * The learned delay stays within [floorShare, capShare] × the catalog guess, so a store
   * filled by a broken provider (or a mixed-up key) cannot make the first poll absurdly early
   * or late; the job's own deadline still bounds the wait.
   */
  floorShare: number;
  capShare: number;
}

export const DEFAULT_FIRST_POLL_POLICY: FirstPollPolicy = {
  quantile: 0.1,
  minSamples: 5,
  floorShare: 0.25,
  capShare: 4,
};

export interface FirstPollDecision {
  delayMs: number;
  source: 'learned' | 'catalog';
}

/** The first-poll delay: the learned low quantile, or the catalog guess without history. */
export function firstPollDelay(input: {
  catalogGuessMs: number;
  samples: readonly number[];
  policy?: FirstPollPolicy;
}): FirstPollDecision {
  const policy = input.policy ?? DEFAULT_FIRST_POLL_POLICY;
  const { catalogGuessMs, samples } = input;
  if (samples.length === 0 || samples.length < policy.minSamples) {
    return { delayMs: catalogGuessMs, source: 'catalog' };
  }
  const learned = quantile(samples, policy.quantile);
  const floor = catalogGuessMs * policy.floorShare;
  const cap = catalogGuessMs * policy.capShare;
  return { delayMs: Math.round(Math.min(cap, Math.max(floor, learned))), source: 'learned' };
}

/**
 * The q-quantile (0..1) of the values, interpolating between the two nearest ranks (so a
 * small window still moves smoothly as samples come and go).
 */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((left, right) => left - right);
  const position = Math.min(1, Math.max(0, q)) * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

/**
 * The render time one finished job teaches, from when its task was accepted to the status call
 * that saw it done. A poll only brackets the end: after an earlier poll saw the task running,
 * the end lies within the last interval (its middle is taken); a task already done at the
 * first poll ended at some unknown time before it, so it is taken one interval earlier. That
 * way a first poll that comes too late for more than `quantile` of the jobs moves earlier,
 * an interval at a time, instead of learning its own lateness.
 */
export function renderSampleMs(input: {
  elapsedMs: number;
  polls: number;
  pollIntervalMs: number;
}): number {
  const back = input.polls <= 1 ? input.pollIntervalMs : input.pollIntervalMs / 2;
  return Math.max(0, Math.round(input.elapsedMs - back));
}

/** What render times are learned per: the provider and what decides the render's length. */
export function renderTimeKey(
  provider: string,
  request: { model: string; mode: string; duration: number },
): string {
  return `${provider}/${request.model}/${request.mode}/${request.duration}s`;
}
