import type { ProviderId } from '../request/unified-request.js';

/**
 * Each provider's calls (submit, status, lookup) run on a task queue of their own, so the
 * server can rate-limit a provider across every worker (`maxTaskQueueActivitiesPerSecond` is
 * enforced per task queue) and one slow provider never starves another's polls.
 */
export function providerTaskQueue(taskQueue: string, provider: ProviderId): string {
  return `${taskQueue}.${provider}`;
}

/** The slot keeper (providerSlots workflow) of a provider, one per task queue and provider. */
export function providerSlotsWorkflowId(taskQueue: string, provider: ProviderId): string {
  return `${providerTaskQueue(taskQueue, provider)}.slots`;
}

/**
 * A submit's start-to-close timeout. The provider workers' shutdown grace is at least this, so
 * a worker stopped gracefully lets every submit in flight finish and be recorded.
 */
export const SUBMIT_START_TO_CLOSE_MS = 90_000;

/**
 * A submit's heartbeat timeout: a worker that dies mid-submit is noticed after this, not after
 * the whole start-to-close. The submit heartbeats every SUBMIT_HEARTBEAT_EVERY_MS meanwhile, and
 * the provider workers send heartbeats at most a second late (maxHeartbeatThrottleInterval).
 */
export const SUBMIT_HEARTBEAT_TIMEOUT_MS = 20_000;
export const SUBMIT_HEARTBEAT_EVERY_MS = 2_000;
